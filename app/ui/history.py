"""History at a glance: the JSON behind every dashboard chart (app/services/history.py) and
the charts the pages draw from the same figures (app/ui/charts.py), so what a test reads
from an endpoint is what the page shows."""
from flask import jsonify, request
from flask_login import login_required

from ..models import Client, Job
from ..services import documents, history
from ..services.runs import iso
from . import blp, owner
from . import charts
from .filters import when_text

OVERVIEW_DAYS = 14
CLIENT_DAYS = 30


def _when(value: str | None) -> str:
    return when_text(value) if value else "—"  # plain text: chart labels, table cells


# --- per job ------------------------------------------------------------------------------

def job_charts(data: dict) -> dict:
    """The job page's two charts (duration, compressed size) with failed runs marked, and
    their figures as table rows."""
    runs = data["runs"]
    classes = ["bad" if r["failed"] else ("busy" if r["result"] == "running" else
                                           ("ok" if r["result"] == "success" else "warn"))
               for r in runs]
    labels = [f"{_when(r['started_at'])}: {r['result'] or 'no result'}" for r in runs]
    duration = charts.series("Run duration (s), oldest left", [r["duration"] for r in runs],
                             classes, [f"{l}, {charts.number(r['duration'], 's')}"
                                       for l, r in zip(labels, runs)], "s",
                             data["duration"]["average"], data["duration"]["trend_per_run"])
    size = charts.series("Backup size (MB compressed), oldest left",
                         [r["backup_size_compressed"] for r in runs], classes,
                         [f"{l}, {charts.number(r['backup_size_compressed'], 'MB')}"
                          for l, r in zip(labels, runs)], "MB", data["size"]["average"],
                         data["size"]["trend_per_run"])
    rows = [[_when(r["started_at"]), r["result"] or "no result", charts.number(r["duration"], "s"),
             charts.number(r["backup_size_compressed"], "MB"),
             charts.number(r["backup_size_uncompressed"], "MB")] for r in reversed(runs)]
    return {"data": data, "duration_chart": duration, "size_chart": size, "rows": rows}


@blp.route("/jobs/<job_id>/history.json")
@login_required
def job_history_json(job_id):
    row = documents.get(Job, owner(), job_id)
    return jsonify(history.job_runs(owner(), row.job_id))


def job_sparklines(job_ids: list[str]) -> dict:
    """{job_id: {"spark": Chart, "marks": Chart, "figures": ...}} for a page of jobs."""
    out = {}
    for job_id, runs in history.recent_runs(owner(), job_ids).items():
        figures = history.sparkline(runs)
        out[job_id] = {"figures": figures, "spark": charts.sparkline(figures["rates"]),
                       "marks": charts.marks(figures["marks"])}
    return out


@blp.route("/jobs/sparklines.json")
@login_required
def job_sparklines_json():
    job_ids = request.args.getlist("job_id")[:200]
    return jsonify({job_id: history.sparkline(runs)
                    for job_id, runs in history.recent_runs(owner(), job_ids).items()})


# --- overview -----------------------------------------------------------------------------

def overview_figures() -> dict:
    me = owner()
    totals = history.window_totals(me, (24, 24 * 7))
    return {"last_24h": totals[24], "last_7d": totals[24 * 7],
            "backups_per_day": history.backups_per_day(me, OVERVIEW_DAYS),
            "failed_runs": history.failed_runs(me, 24 * 7)}


def overview_charts(figures: dict) -> dict:
    days = figures["backups_per_day"]
    chart = charts.bars(f"Backed up per day, last {len(days)} days (MB compressed)",
                        [d["size_compressed"] for d in days], [d["day"] for d in days], "MB",
                        ["volume"] * len(days))
    rows = [[d["day"], d["backups"], charts.number(d["size_compressed"], "MB"),
             charts.number(d["size_uncompressed"], "MB")] for d in reversed(days)]
    return {"figures": figures, "volume_chart": chart, "volume_rows": rows,
            "failed_when": [dict(r, failed=_when(r["failed_at"] or r["started_at"]))
                            for r in figures["failed_runs"]]}


@blp.route("/overview/figures.json")
@login_required
def overview_figures_json():
    return jsonify(overview_figures())


# --- clients ------------------------------------------------------------------------------

def client_history(client: Client) -> dict:
    me = owner()
    days = history.client_volume(me, client.hostname, CLIENT_DAYS) if client.hostname else []
    last = history.last_success_by_client(me, [client.client_id]).get(client.client_id)
    chart = charts.bars(f"Backed up per day by {client.hostname or client.client_id}, last "
                        f"{CLIENT_DAYS} days (MB compressed)",
                        [d["size_compressed"] for d in days], [d["day"] for d in days], "MB",
                        ["volume"] * len(days))
    rows = [[d["day"], d["backups"], charts.number(d["size_compressed"], "MB"),
             charts.number(d["size_uncompressed"], "MB")] for d in reversed(days) if d["backups"]]
    return {"volume": days, "volume_chart": chart, "volume_rows": rows,
            "last_success": iso(last), "total_compressed": round(sum(d["size_compressed"] for d in days), 3),
            "total_backups": sum(d["backups"] for d in days)}


@blp.route("/clients/<client_id>/history.json")
@login_required
def client_history_json(client_id):
    row = documents.get(Client, owner(), client_id)
    data = client_history(row)
    return jsonify({"client_id": row.client_id, "hostname": row.hostname, "days": CLIENT_DAYS,
                    "volume": data["volume"], "last_success": data["last_success"],
                    "last_seen": iso(row.last_seen),
                    "total_compressed": data["total_compressed"],
                    "total_backups": data["total_backups"]})


# --- backup sets --------------------------------------------------------------------------

def set_charts(groups: list[dict]) -> list[dict]:
    for group in groups:
        growth = group["growth"]
        group["growth_chart"] = charts.series(
            f"Growth of {group['backup_name']} on {group['hostname']}: cumulative MB compressed "
            f"over its last {len(growth)} backups",
            [g["cumulative_compressed"] if any(x["size_compressed"] for x in growth) else None
             for g in growth],
            ["ok" if g["level"] == 0 else "busy" for g in growth],
            [f"L{g['level']}: {charts.number(g['size_compressed'], 'MB')}" for g in growth],
            "MB", width=240, height=60)
    return groups
