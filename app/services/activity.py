"""The fleet's activity on one time axis: each run of the project in the last 24 hours or
7 days (a bar from start to end, by result), and the runs planned for the next 24 hours
(the forecast), grouped by client. Bounded: runs are read by an index range
(ix_runs_project_started), newest first, at most MAX_RUNS of them (the rest are counted);
planned runs come from forecast.upcoming_with_more, at most MAX_PLANNED."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Client, Job, Run
from . import forecast, schedules
from .scope import Scope

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
AHEAD = timedelta(hours=24)
MAX_RUNS = 400
MAX_PLANNED = 200
# a run that started this long before the window and is still open (or ended inside it) is
# drawn from the window's start; longer ones are not looked for (the range stays bounded)
LOOKBACK = timedelta(days=1)
NO_CLIENT = ""


@dataclass
class Bar:
    job_id: str
    client_id: str
    start: datetime          # aware UTC
    end: datetime            # aware UTC; now for a run still open
    result: str              # success | fail | aborted | running | ended (no result) | planned
    run_pk: int | None = None
    description: str = ""

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass
class Timeline:
    window: str
    start: datetime
    now: datetime
    end: datetime
    runs: list = field(default_factory=list)       # [Bar], oldest first
    planned: list = field(default_factory=list)    # [Bar], in time order
    more_runs: int = 0           # runs in the window beyond MAX_RUNS (the oldest ones)
    more_planned: bool = False
    awaiting_poll: int = 0       # interval jobs whose first run waits for their agent's poll
    hostnames: dict = field(default_factory=dict)  # client_id: hostname

    @property
    def next_run(self) -> Bar | None:
        return self.planned[0] if self.planned else None

    def clients(self) -> list[str]:
        """The rows of the timeline: every client with a bar, by host name."""
        ids = {bar.client_id for bar in self.runs + self.planned}
        return sorted(ids, key=lambda c: (c == NO_CLIENT, (self.hostnames.get(c) or c).lower(), c))

    def counts(self) -> dict:
        out: dict[str, int] = {}
        for bar in self.runs:
            out[bar.result] = out.get(bar.result, 0) + 1
        return out


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def _result(run: Run) -> str:
    if run.ended_at is None:
        return "running"
    return run.result or "ended"


def _runs(scope: Scope, start: datetime, now: datetime) -> tuple[list, int]:
    naive_start = start.replace(tzinfo=None)
    naive_now = now.replace(tzinfo=None)
    where = [scope.where(Run), Run.started_at >= naive_start - LOOKBACK,
             Run.started_at <= naive_now,
             or_(Run.ended_at.is_(None), Run.ended_at >= naive_start)]
    rows = list(db.session.scalars(select(Run).where(*where)
                                   .order_by(Run.started_at.desc(), Run.pk.desc())
                                   .limit(MAX_RUNS + 1)))
    more = 0
    if len(rows) > MAX_RUNS:
        rows = rows[:MAX_RUNS]
        more = db.session.scalar(select(func.count()).select_from(Run).where(*where)) - MAX_RUNS
    bars = [Bar(row.job_id, row.client_id or NO_CLIENT, max(_aware(row.started_at), start),
                min(_aware(row.ended_at), now) if row.ended_at else now, _result(row), row.pk)
            for row in reversed(rows)]
    return bars, more


def _planned(scope: Scope, now: datetime) -> tuple[list, bool]:
    entries, more = forecast.upcoming_with_more(scope, AHEAD.total_seconds() / 3600, now,
                                                limit=MAX_PLANNED, dated_only=True)
    durations = dict(db.session.execute(
        select(Job.job_id, Job.avg_duration).where(
            scope.where(Job), Job.job_id.in_({row.job_id for _, row in entries}))).all()) \
        if entries else {}
    bars = []
    for fire, row in entries:
        fire = _aware(fire)
        length = timedelta(seconds=durations.get(row.job_id) or 0)
        bars.append(Bar(row.job_id, row.client_id or NO_CLIENT, fire, fire + length, "planned",
                        description=(row.doc or {}).get("description") or ""))
    return bars, more


def _describe(scope: Scope, bars: list) -> None:
    """Job descriptions for the run bars (one query for the distinct jobs shown)."""
    ids = {bar.job_id for bar in bars}
    if not ids:
        return
    rows = db.session.execute(select(Job.job_id, Job.doc).where(
        scope.where(Job), Job.job_id.in_(ids))).all()
    names = {job_id: (doc or {}).get("description") or "" for job_id, doc in rows}
    for bar in bars:
        bar.description = names.get(bar.job_id, "")


def _hostnames(scope: Scope, client_ids) -> dict:
    ids = {c for c in client_ids if c}
    if not ids:
        return {}
    return dict(db.session.execute(select(Client.client_id, Client.hostname).where(
        scope.where(Client), Client.client_id.in_(ids))).all())


def timeline(scope: Scope, window: str = "24h", now: datetime | None = None) -> Timeline:
    if window not in WINDOWS:
        window = "24h"
    now = schedules.utc_now(now)
    start = now - WINDOWS[window]
    runs, more = _runs(scope, start, now)
    _describe(scope, runs)
    planned, more_planned = _planned(scope, now)
    awaiting = db.session.scalar(select(func.count()).select_from(Job).where(
        scope.where(Job), Job.next_run_at == forecast.DUE_NOW))  # index probe, as the overview's
    result = Timeline(window, start, now, now + AHEAD, runs, planned, more, more_planned,
                      awaiting)
    result.hostnames = _hostnames(scope, [bar.client_id for bar in runs + planned])
    return result


def as_json(timeline: Timeline) -> dict:
    """The timeline as the JSON endpoint answers it (times ISO 8601 UTC)."""
    def iso(moment: datetime) -> str:
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def bar(b: Bar) -> dict:
        out = {"job_id": b.job_id, "description": b.description, "start": iso(b.start),
               "end": iso(b.end), "seconds": round(b.seconds), "result": b.result}
        if b.run_pk is not None:
            out["run"] = b.run_pk
        return out

    rows = []
    for client_id in timeline.clients():
        rows.append({"client_id": client_id or None,
                     "hostname": timeline.hostnames.get(client_id),
                     "runs": [bar(b) for b in timeline.runs if b.client_id == client_id],
                     "planned": [bar(b) for b in timeline.planned if b.client_id == client_id]})
    nxt = timeline.next_run
    return {"window": timeline.window, "start": iso(timeline.start), "now": iso(timeline.now),
            "end": iso(timeline.end), "clients": rows, "counts": timeline.counts(),
            "more_runs": timeline.more_runs, "more_planned": timeline.more_planned,
            "awaiting_poll": timeline.awaiting_poll,
            "next_run": bar(nxt) if nxt else None}
