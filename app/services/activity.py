"""The fleet's activity on one time axis: each run of the project in the last 24 hours or
7 days (a bar from start to end, by result), and the runs planned for the next 24 hours
(the forecast), grouped by client. Bounded: runs are read by an index range
(ix_runs_project_started), newest first, at most MAX_RUNS of them (the rest are counted,
on the index alone); planned runs come from forecast.upcoming_with_more, at most
MAX_PLANNED. The caps keep a page's drawing and forecasting bounded at any fleet size
(docs/performance.md, "Fleet activity and search")."""
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, or_, select

from ..extensions import db
from ..models import Client, Job, Run
from . import forecast, schedules
from .scope import Scope

WINDOWS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
AHEAD = timedelta(hours=24)
MAX_RUNS = 250
MAX_PLANNED = 100
# a run that started this long before the window and is still open (or ended inside it) is
# drawn from the window's start; longer ones are not looked for (the range stays bounded)
LOOKBACK = timedelta(days=1)
NO_CLIENT = ""
# runs beyond the cap are counted up to this many ("1,000+ more"): a bounded index range
# (10,000: the 7-day page's median on MariaDB at 20,000 jobs was 138 ms, 1,000: 90 ms)
MAX_COUNTED = 1000


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
    more_runs: int = 0           # runs started in the window beyond the cap (the oldest
    #                              ones), counted up to MAX_COUNTED

    more_planned: bool = False
    awaiting_poll: int = 0       # interval jobs whose first run waits for their agent's poll
    hostnames: dict = field(default_factory=dict)  # client_id: hostname

    @property
    def more_runs_text(self) -> str:
        """"1,234" or, once the count stopped at MAX_COUNTED, "1,000+"."""
        return f"{self.more_runs:,}" + ("+" if self.more_runs >= MAX_COUNTED else "")

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


def _runs(scope: Scope, start: datetime, now: datetime, cap: int) -> tuple[list, int]:
    naive_start = start.replace(tzinfo=None)
    naive_now = now.replace(tzinfo=None)
    where = [scope.where(Run), Run.started_at >= naive_start - LOOKBACK,
             Run.started_at <= naive_now,
             or_(Run.ended_at.is_(None), Run.ended_at >= naive_start)]
    # the columns drawn, not whole runs (their backups lists are never shown here)
    rows = db.session.execute(
        select(Run.pk, Run.job_id, Run.client_id, Run.started_at, Run.ended_at, Run.result)
        .where(*where).order_by(Run.started_at.desc(), Run.pk.desc()).limit(cap + 1)).all()
    more = 0
    if len(rows) > cap:
        rows = rows[:cap]
        # counted on (project_id, started_at) alone: the runs that started in the window
        # and are not drawn (one that began before it and overlaps is drawn or left out
        # without being counted: at the cap every drawn run started inside the window)
        drawn = sum(1 for row in rows if row.started_at >= naive_start)
        started = select(Run.pk).where(scope.where(Run), Run.started_at >= naive_start,
                                       Run.started_at <= naive_now).limit(drawn + MAX_COUNTED)
        more = max(db.session.scalar(select(func.count()).select_from(started.subquery()))
                   - drawn, 0)
    bars = [Bar(row.job_id, row.client_id or NO_CLIENT, max(_aware(row.started_at), start),
                min(_aware(row.ended_at), now) if row.ended_at else now,
                "running" if row.ended_at is None else (row.result or "ended"), row.pk)
            for row in reversed(rows)]
    return bars, more


def _planned(scope: Scope, now: datetime, cap: int) -> tuple[list, bool]:
    entries, more = forecast.upcoming_with_more(scope, AHEAD.total_seconds() / 3600, now,
                                                limit=cap, dated_only=True)
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


def timeline(scope: Scope, window: str = "24h", now: datetime | None = None,
             max_runs: int | None = None, max_planned: int | None = None) -> Timeline:
    """The window's runs (newest `max_runs`, MAX_RUNS by default) and the next 24 hours'
    planned runs (first `max_planned`, MAX_PLANNED by default)."""
    if window not in WINDOWS:
        window = "24h"
    now = schedules.utc_now(now)
    start = now - WINDOWS[window]
    runs, more = _runs(scope, start, now, MAX_RUNS if max_runs is None else max_runs)
    _describe(scope, runs)
    planned, more_planned = _planned(scope, now,
                                     MAX_PLANNED if max_planned is None else max_planned)
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
            "more_runs": timeline.more_runs,
            "more_runs_capped": timeline.more_runs >= MAX_COUNTED, "more_planned": timeline.more_planned,
            "awaiting_poll": timeline.awaiting_poll,
            "next_run": bar(nxt) if nxt else None}
