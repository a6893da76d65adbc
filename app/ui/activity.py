"""Fleet activity: the project's runs of the last 24 hours or 7 days and the next 24 hours
of planned runs on one time axis (app/services/activity.py), drawn as server-rendered SVG
(no script, nothing inline: it renders under the CSP) with a per-client summary table
behind it; the runs and planned runs as lists are their own fragment (/activity/lists,
loaded on demand), and /activity/timeline.json answers the data itself."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import jsonify, request, url_for
from flask_login import login_required

from ..services import activity
from . import blp, owner, render
from .filters import operator_zone, when_text

VIEW_W = 1000
LABEL_W = 170
RIGHT_PAD = 12
TOP = 30
ROW_H = 26
BAR_H = 16
MIN_BAR = 3
LABEL_CHARS = 24
# the lists fragment: the newest runs and the first planned ones (every run of a job is on
# its page; every planned run on /upcoming)
LIST_RUNS = 100
LIST_PLANNED = 50


@dataclass
class Drawn:
    bar: activity.Bar
    x: float
    w: float
    y: float
    title: str
    href: str


def _x(timeline, moment: datetime) -> float:
    span = (timeline.end - timeline.start).total_seconds()
    part = (moment - timeline.start).total_seconds() / span
    return round(LABEL_W + part * (VIEW_W - LABEL_W - RIGHT_PAD), 1)


def _span(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _title(bar: activity.Bar) -> str:
    name = bar.description or bar.job_id
    if bar.result == "planned":
        return f"{name}: planned {when_text(bar.start, seconds=False)}"
    return (f"{name}: {bar.result}, {when_text(bar.start, seconds=False)}, "
            f"{_span(bar.seconds)}")


def _ticks(timeline) -> list[tuple[float, str]]:
    """Gridlines at local hours (every 6 h, the 24 h window) or local midnights (7 days)."""
    zone = operator_zone()
    local = (lambda m: m.astimezone(zone)) if zone else (lambda m: m)
    ticks = []
    if timeline.window == "24h":
        moment = timeline.start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        while moment <= timeline.end:
            shown = local(moment)
            if shown.hour % 6 == 0:
                label = shown.strftime("%a %d") if shown.hour == 0 else shown.strftime("%H:%M")
                ticks.append((_x(timeline, moment), label))
            moment += timedelta(hours=1)
    else:
        day = local(timeline.start).date() + timedelta(days=1)
        while True:
            midnight = datetime(day.year, day.month, day.day, tzinfo=zone or timeline.start.tzinfo)
            if midnight > timeline.end:
                break
            ticks.append((_x(timeline, midnight), midnight.strftime("%a %d")))
            day += timedelta(days=1)
    return ticks


def _url_maker(endpoint: str, key: str):
    """url_for once per page, not per bar: the ids are URL-safe hex, quoted anyway."""
    from urllib.parse import quote
    pattern = url_for(endpoint, **{key: "__ID__"})
    return lambda value: pattern.replace("__ID__", quote(value, safe=""))


def layout(timeline) -> dict:
    job_url = _url_maker("ui.job_page", "job_id")

    def href(bar):
        if bar.run_pk is None:
            return job_url(bar.job_id)
        return f"{job_url(bar.job_id)}?before={bar.run_pk + 1}#runs"

    rows = timeline.clients()
    index = {client_id: n for n, client_id in enumerate(rows)}
    drawn = []
    for bar in timeline.runs + timeline.planned:
        x = _x(timeline, bar.start)
        w = max(MIN_BAR, _x(timeline, bar.end) - x)
        y = TOP + index[bar.client_id] * ROW_H + (ROW_H - BAR_H) / 2
        drawn.append(Drawn(bar, x, round(w, 1), y, _title(bar), href(bar)))
    labels = []
    for n, client_id in enumerate(rows):
        name = timeline.hostnames.get(client_id) or client_id or "(no client)"
        short = name if len(name) <= LABEL_CHARS else name[:LABEL_CHARS - 1] + "…"
        labels.append({"client_id": client_id, "name": name, "short": short,
                       "y": TOP + n * ROW_H + ROW_H / 2 + 4})
    height = TOP + max(len(rows), 1) * ROW_H + 8
    summary = _summary(timeline, rows)
    return {"width": VIEW_W, "height": height, "label_w": LABEL_W, "top": TOP,
            "bar_h": BAR_H, "bars": drawn, "labels": labels, "ticks": _ticks(timeline),
            "now_x": _x(timeline, timeline.now), "right": VIEW_W - RIGHT_PAD, "summary": summary,
            "job_url": job_url, "client_url": _url_maker("ui.client_page", "client_id")}


def _summary(timeline, rows) -> list[dict]:
    """The chart's readable table: per client, its drawn runs by result and its planned runs."""
    per = {client_id: {"client_id": client_id, "name": timeline.hostnames.get(client_id)
                       or client_id or "(no client)", "results": {}, "planned": 0, "next": None}
           for client_id in rows}
    for bar in timeline.runs:
        results = per[bar.client_id]["results"]
        results[bar.result] = results.get(bar.result, 0) + 1
    for bar in timeline.planned:
        entry = per[bar.client_id]
        entry["planned"] += 1
        if entry["next"] is None:
            entry["next"] = bar.start
    return [per[client_id] for client_id in rows]


def _window() -> str:
    value = request.args.get("window", "24h")
    return value if value in activity.WINDOWS else "24h"


@blp.route("/activity")
@login_required
def activity_page():
    timeline = activity.timeline(owner(), _window())
    return render("activity/page.html", timeline=timeline, chart=layout(timeline),
                  windows=activity.WINDOWS, max_runs=activity.MAX_RUNS,
                  list_runs=LIST_RUNS, list_planned=LIST_PLANNED)


@blp.route("/activity/lists")
@login_required
def activity_lists():
    """The runs and planned runs as lists (htmx fragment; a page of its own without htmx)."""
    timeline = activity.timeline(owner(), _window(), max_runs=LIST_RUNS,
                                 max_planned=LIST_PLANNED)
    return render("activity/lists.html", "activity/_lists.html", timeline=timeline, span=_span, list_runs=LIST_RUNS,
                  job_url=_url_maker("ui.job_page", "job_id"),
                  client_url=_url_maker("ui.client_page", "client_id"))


@blp.route("/activity/timeline.json")
@login_required
def activity_data():
    return jsonify(activity.as_json(activity.timeline(owner(), _window())))
