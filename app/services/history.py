"""History at a glance: the figures behind the dashboard's charts, each read from a bounded
index range (a job's last runs, the last days of a project's runs and backups, the last
backups of a set), so a chart costs what its window holds, never the whole history.

Every function takes the caller's Scope and returns plain values (dicts, lists, numbers),
which the JSON endpoints answer as they are and the pages draw (app/ui/charts.py)."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import case, func, select, union_all

from ..extensions import db
from ..models import Backup, Job
from ..models.run import Run
from .. import clock
from .runs import SIZE_KEYS, backup_facts, iso
from .scope import Scope

DAY = 86400
JOB_RUNS = 100          # the job page: the last 100 runs ...
JOB_DAYS = 30           # ... of the last 30 days
SPARK_RUNS = 20         # the jobs list: success rate over the last 20 runs
SPARK_WINDOW = 5        # ... each point the rate of the 5 runs up to it
MARKS = 10              # ... and the last 10 runs as marks
SET_ROWS = 10           # the backups list: the last 10 backups of each set as rows ...
SET_GROWTH = 30         # ... and its growth over the last 30


def _duration(run: Run):
    if run.ended_at is None:
        return None
    return round(max(0.0, (run.ended_at - run.started_at).total_seconds()), 3)


def _sizes(facts: dict) -> dict:
    """A run's summed backup sizes, of its runs.backup_facts."""
    return {key: round(facts[key], 3) if facts[key] is not None else None for key in SIZE_KEYS}


def average(values) -> float | None:
    values = [v for v in values if v is not None]
    return round(sum(values) / len(values), 3) if values else None


def trend(points) -> float | None:
    """Least-squares slope of (x, y) points, None below two distinct x values: y's change
    per unit of x."""
    points = [(x, y) for x, y in points if y is not None]
    if len(points) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return None
    return round(sum((x - mean_x) * (y - mean_y) for x, y in points) / spread, 6)


# --- per job ------------------------------------------------------------------------------

def job_runs(scope: Scope, job_id: str, now: datetime | None = None) -> dict:
    """The job's last JOB_RUNS runs of the last JOB_DAYS days, oldest first, with duration
    (s) and backup sizes (MB) per run, failed ones marked, and the average and trend of
    duration and compressed size (least-squares change from one run to the next: per run,
    not per day, as runs minutes apart would make a day's extrapolation absurd). Read newest first on (project_id, job_id, pk) and
    cut by date in Python: a job with years of runs costs the same 100 rows."""
    now = now or clock.utcnow()
    since = now - timedelta(days=JOB_DAYS)
    rows = db.session.scalars(select(Run).where(scope.where(Run), Run.job_id == job_id)
                              .order_by(Run.pk.desc()).limit(JOB_RUNS))
    runs = [run for run in rows if run.started_at >= since][::-1]
    facts = backup_facts(runs)
    out = [{"run_id": run.pk, "started_at": iso(run.started_at), "ended_at": iso(run.ended_at),
            "result": run.result if run.ended_at is not None else "running",
            "failed": run.result == "fail", "duration": _duration(run),
            **_sizes(facts[run.pk])} for run in runs]
    ended = [r for r in out if r["result"] != "running"]
    summary = {}
    for name, key in (("duration", "duration"), ("size", "backup_size_compressed")):
        summary[name] = {"average": average(r[key] for r in out),
                         "trend_per_run": trend(enumerate(r[key] for r in out))}
    return {"job_id": job_id, "since": iso(since), "until": iso(now), "days": JOB_DAYS,
            "runs": out, "count": len(out), "failed": sum(1 for r in out if r["failed"]),
            "success_rate": _rate(ended), **summary}


def _rate(runs) -> float | None:
    ended = [r for r in runs if r["result"] not in (None, "running")]
    if not ended:
        return None
    return round(sum(1 for r in ended if r["result"] == "success") / len(ended), 4)


def recent_runs(scope: Scope, job_ids: list[str], per_job: int = SPARK_RUNS) -> dict:
    """{job_id: its last `per_job` runs, oldest first} for a page of jobs, in one statement
    of one bounded index range per job (UNION ALL of LIMITed reads)."""
    job_ids = list(dict.fromkeys(job_ids))
    if not job_ids:
        return {}
    parts = [select(Run.pk).where(scope.where(Run), Run.job_id == job_id)
             .order_by(Run.pk.desc()).limit(per_job).subquery() for job_id in job_ids]
    pks = union_all(*[select(part.c.pk) for part in parts]).subquery()
    rows = db.session.scalars(select(Run).where(Run.pk.in_(select(pks.c.pk)))
                              .order_by(Run.pk))
    out = {job_id: [] for job_id in job_ids}
    for run in rows:
        out.setdefault(run.job_id, []).append(run)
    return out


def sparkline(runs: list[Run]) -> dict:
    """What the jobs list draws for one job: the success rate of the SPARK_WINDOW ended runs
    up to each ended run (0..1), and the last MARKS runs' results."""
    ended = [run for run in runs if run.ended_at is not None]
    rates = []
    for i in range(len(ended)):
        window = ended[max(0, i - SPARK_WINDOW + 1):i + 1]
        rates.append(round(sum(1 for r in window if r.result == "success") / len(window), 4))
    marks = [{"run_id": run.pk, "result": run.result if run.ended_at is not None else "running",
              "started_at": iso(run.started_at)} for run in runs[-MARKS:]]
    rate = round(sum(1 for r in ended if r.result == "success") / len(ended), 4) if ended else None
    return {"rates": rates, "marks": marks, "success_rate": rate, "runs": len(ended)}


# --- overview -----------------------------------------------------------------------------

def run_totals(scope: Scope, hours: int, now: datetime | None = None) -> dict:
    """Runs started in the last `hours`: how many, by result, and the success rate of the
    ended ones."""
    return window_totals(scope, (hours,), now)[hours]


def _along_time(stmt, scope: Scope):
    """Read a project's runs of a time window along (started_at, project_id, result), which
    covers the count: MariaDB otherwise picks (project_id, started_at) for its equality on
    project_id, then reads every run of the window (23,000 rows for 7 days at 20,000 jobs,
    156 ms). A per-user (v1) scope keeps the planner's choice."""
    if scope.reads[0] == "user_id":
        return stmt
    for dialect in ("mysql", "mariadb"):
        stmt = stmt.with_hint(Run, "FORCE INDEX (ix_runs_started_project)", dialect)
    return stmt


def window_totals(scope: Scope, windows, now: datetime | None = None) -> dict:
    """{hours: totals} for each window of `windows` (run_totals), all counted in one pass
    over the widest window's index range (covering: (started_at, project_id, result))."""
    now = now or clock.utcnow()
    windows = sorted(set(windows))
    stmt = (select(Run.result, *[func.sum(case((Run.started_at >= now - timedelta(hours=h), 1),
                                               else_=0)) for h in windows])
            .where(scope.where(Run), Run.started_at >= now - timedelta(hours=windows[-1]))
            .group_by(Run.result))
    rows = db.session.execute(_along_time(stmt, scope)).all()
    out = {}
    for i, hours in enumerate(windows):
        counts = {row[0]: int(row[i + 1] or 0) for row in rows}
        running = counts.pop(None, 0)
        ended = sum(counts.values())
        success = counts.get("success", 0)
        out[hours] = {"hours": hours, "runs": running + ended, "running": running,
                      "success": success, "fail": counts.get("fail", 0),
                      "aborted": counts.get("aborted", 0), "unfinished": counts.get("", 0),
                      "success_rate": round(success / ended, 4) if ended else None}
    return out


def failed_runs(scope: Scope, hours: int, limit: int = 10, now: datetime | None = None) -> list:
    """The failed runs started in the last `hours`, newest first, with when each failed."""
    now = now or clock.utcnow()
    rows = list(db.session.scalars(
        select(Run).where(scope.where(Run), Run.started_at >= now - timedelta(hours=hours),
                          Run.result == "fail")
        .order_by(Run.started_at.desc()).limit(limit)))
    jobs = {}
    if rows:
        jobs = {job.job_id: job for job in db.session.scalars(
            select(Job).where(scope.where(Job), Job.job_id.in_({r.job_id for r in rows})))}
    return [{"run_id": r.pk, "job_id": r.job_id, "client_id": r.client_id,
             "started_at": iso(r.started_at), "failed_at": iso(r.ended_at),
             "description": (jobs[r.job_id].doc.get("description") if r.job_id in jobs else None)}
            for r in rows]


def _day_start(now: datetime) -> int:
    epoch = int(now.replace(tzinfo=timezone.utc).timestamp())
    return epoch - epoch % DAY


def _daily(stmt_where, days: int, now: datetime | None):
    """Backups per UTC day over the last `days` days (today included): count and sizes,
    every day present (0 when nothing was backed up)."""
    now = now or clock.utcnow()
    first = _day_start(now) - (days - 1) * DAY
    day = (Backup.time_stamp - Backup.time_stamp % DAY).label("day")
    stmt = (select(day, func.count(), func.sum(Backup.size_compressed),
                   func.sum(Backup.size_uncompressed))
            .where(*stmt_where, Backup.time_stamp >= first)
            .group_by(day))
    found = {int(d): (n, c, u) for d, n, c, u in db.session.execute(stmt).all()}
    out = []
    for i in range(days):
        start = first + i * DAY
        n, c, u = found.get(start, (0, None, None))
        out.append({"day": datetime.fromtimestamp(start, timezone.utc).strftime("%Y-%m-%d"),
                    "backups": n, "size_compressed": round(c or 0.0, 3),
                    "size_uncompressed": round(u or 0.0, 3)})
    return out


def backups_per_day(scope: Scope, days: int = 14, now: datetime | None = None) -> list:
    """The project's backups per day (a covering range on (project_id, time_stamp, sizes))."""
    return _daily([scope.where(Backup)], days, now)


def client_volume(scope: Scope, hostname: str, days: int = 30,
                  now: datetime | None = None) -> list:
    """One host's backups per day (a covering range on (project_id, hostname, time_stamp))."""
    return _daily([scope.where(Backup), Backup.hostname == hostname], days, now)


def volume_by_host(scope: Scope, hostnames, days: int = 14,
                   now: datetime | None = None) -> dict:
    """{hostname: [MB compressed per day, oldest first]} for a page of clients, in one
    statement (a covering range on (project_id, hostname, time_stamp) per host)."""
    hostnames = list(dict.fromkeys(h for h in hostnames if h))
    if not hostnames:
        return {}
    now = now or clock.utcnow()
    first = _day_start(now) - (days - 1) * DAY
    day = (Backup.time_stamp - Backup.time_stamp % DAY).label("day")
    stmt = (select(Backup.hostname, day, func.sum(Backup.size_compressed))
            .where(scope.where(Backup), Backup.hostname.in_(hostnames),
                   Backup.time_stamp >= first)
            .group_by(Backup.hostname, day))
    out = {h: [0.0] * days for h in hostnames}
    for hostname, start, size in db.session.execute(stmt).all():
        index = (int(start) - first) // DAY
        if 0 <= index < days:
            out[hostname][index] = round(size or 0.0, 3)
    return out


def last_success_by_client(scope: Scope, client_ids) -> dict:
    """{client_id: when its jobs last succeeded} (jobs keep last_success_at)."""
    client_ids = [c for c in client_ids if c]
    if not client_ids:
        return {}
    stmt = (select(Job.client_id, func.max(Job.last_success_at))
            .where(scope.where(Job), Job.client_id.in_(client_ids)).group_by(Job.client_id))
    return {c: when for c, when in db.session.execute(stmt).all() if when is not None}


# --- backup sets --------------------------------------------------------------------------

def _set_filters(scope: Scope, args: dict) -> list:
    where = [scope.where(Backup)]
    for key, column in (("hostname", Backup.hostname), ("backup_name", Backup.backup_name),
                        ("container", Backup.container), ("job_id", Backup.job_id)):
        if args.get(key):
            where.append(column == args[key])
    if args.get("level") not in (None, ""):
        where.append(Backup.level == int(args["level"]))
    if args.get("after") is not None:
        where.append(Backup.time_stamp >= args["after"])
    if args.get("before") is not None:
        where.append(Backup.time_stamp <= args["before"])
    return where


def set_keys_page(scope: Scope, args: dict, limit: int, offset: int) -> tuple[list, bool]:
    """One page of backup sets having a backup that matches the filters, the set with the
    newest backup first (oldest first with sort=oldest). MAX(time_stamp) per set_key along
    (project_id, set_key, time_stamp) is one index probe per set on MariaDB (a loose index
    scan, which MariaDB chooses only when the group names the index's leading project_id
    too): the cost follows the number of sets, not of backups."""
    newest = func.max(Backup.time_stamp)
    stmt = (select(Backup.set_key).where(*_set_filters(scope, args))
            .group_by(Backup.project_id, Backup.set_key)
            .order_by(newest.asc() if args.get("sort") == "oldest" else newest.desc(),
                      Backup.set_key)
            .limit(limit + 1).offset(offset))
    keys = list(db.session.scalars(stmt))
    return keys[:limit], len(keys) > limit


def _last_per_set(columns, where, keys, per_set):
    """UNION ALL of one LIMITed read per set along (project_id, set_key, time_stamp)."""
    parts = [select(*columns).where(*where, Backup.set_key == key)
             .order_by(Backup.time_stamp.desc(), Backup.pk.desc()).limit(per_set).subquery()
             for key in keys]
    return union_all(*[select(*part.c) for part in parts]).subquery()


def sets(scope: Scope, keys: list[str], args: dict | None = None,
         per_set: int = SET_ROWS, growth_of: int = SET_GROWTH) -> list[dict]:
    """Each set of `keys`, in that order: its last `per_set` matching backups (newest
    first) and their level chain (oldest to newest); its growth (cumulative compressed MB)
    over its last `growth_of` matching backups, read from the covering index alone; whether
    the set holds a level-0 backup at all (broken chain when not), and its totals (count,
    sizes) over the whole set (sums along the covering index (project_id, set_key, ...))."""
    if not keys:
        return []
    where = _set_filters(scope, args or {})
    pks = _last_per_set([Backup.pk], where, keys, per_set)
    rows = db.session.scalars(select(Backup).where(Backup.pk.in_(select(pks.c.pk)))
                              .order_by(Backup.time_stamp.desc(), Backup.pk.desc()))
    by_key = {key: [] for key in keys}
    for row in rows:
        by_key.setdefault(row.set_key, []).append(row)
    figures = _last_per_set([Backup.set_key, Backup.time_stamp, Backup.pk, Backup.level,
                             Backup.size_compressed, Backup.size_uncompressed],
                            where, keys, growth_of)
    growth_rows = {key: [] for key in keys}
    for key, time_stamp, pk, level, compressed, uncompressed in db.session.execute(
            select(figures).order_by(figures.c.time_stamp, figures.c.pk)).all():
        growth_rows.setdefault(key, []).append((time_stamp, level, compressed, uncompressed))
    totals = {key: (n, c, u, full) for key, n, c, u, full in db.session.execute(
        select(Backup.set_key, func.count(), func.sum(Backup.size_compressed),
               func.sum(Backup.size_uncompressed),
               func.sum(case((Backup.level == 0, 1), else_=0)))
        .where(scope.where(Backup), Backup.set_key.in_(keys)).group_by(Backup.set_key)).all()}
    out = []
    for key in keys:
        backups = by_key.get(key, [])
        if not backups:
            continue
        first = backups[0]
        n, c, u, full = totals.get(key, (0, None, None, 0))
        growth, running = [], 0.0
        for time_stamp, level, compressed, uncompressed in growth_rows.get(key, []):
            running += compressed or 0.0
            growth.append({"time_stamp": time_stamp, "level": level,
                           "size_compressed": compressed, "size_uncompressed": uncompressed,
                           "cumulative_compressed": round(running, 3)})
        out.append({"set_key": key, "hostname": first.hostname,
                    "backup_name": first.backup_name, "container": first.container,
                    "backups": backups, "growth": growth,
                    "chain": sorted(backups, key=lambda b: (b.time_stamp or 0, b.pk)),
                    "count": n, "size_compressed": round(c, 3) if c is not None else None,
                    "size_uncompressed": round(u, 3) if u is not None else None,
                    "has_level0": bool(full), "broken_chain": not full})
    return out


def set_view(group: dict) -> dict:
    """A set as the JSON endpoint answers it (rows replaced by their figures)."""
    return {k: v for k, v in group.items() if k not in ("backups", "chain")}
