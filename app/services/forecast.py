"""Upcoming runs: when the caller's jobs will fire, per job and across all of them.

Computed from the stored schedules (schedules.py, the scheduler's own trigger classes);
nothing is written back into the job documents (DECISIONS.md, Jobs). Beside each document,
`jobs.next_run_at` holds the job's first fire time at or after its last write (set by
Job.sync_columns -> next_run_at(), registered below), so the fleet forecast reads only the
jobs whose next_run_at falls before the window's end, in that order, through the index
(user_id or project_id, next_run_at), and stops reading as soon as it has `limit` fire times.

Rows whose next_run_at has passed (the job fired, or its date passed, with no write since;
agents PATCH after every run, so these are few) are still read -- a passed value is still a
lower bound -- their fire times computed from now, and, in a read request, refreshed with
one conditional UPDATE each in a short transaction of their own (see _refresh)."""
import heapq
import itertools
import logging
from datetime import datetime, timedelta

from flask import has_request_context, request
from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.exc import DBAPIError

from ..extensions import db
from ..models import Job, Setting
from ..models.job import use_next_run_rule
from . import schedules
from .scope import Scope

log = logging.getLogger(__name__)

MAX_COUNT = 100          # fire times per job, in either forecast
INACTIVE_STATUSES = ("completed", "removed")
STOPPING_EVENTS = ("stop", "abort", "remove")


def inactive_reason(doc: dict) -> str | None:
    """Why the job will not fire (stopped, completed, ...), or None when its agent runs it
    on schedule. Mirrors the scheduler: it never sees completed jobs (its poll excludes
    them), starts a job whose event is `start`, and unschedules stopped ones."""
    schedule = doc.get("job_schedule") if isinstance(doc.get("job_schedule"), dict) else {}
    status, event = schedule.get("status") or "", schedule.get("event") or ""
    if status == "completed":
        return "completed: no runs until started"
    if status == "removed":
        return "the job has been removed from its agent"
    if event == "start":
        return None
    if event in STOPPING_EVENTS:
        return f"a {event} has been requested: the agent will not run the job again"
    if status == "stop":
        return "stopped: no runs until started"
    return None


def _active_clause():
    """inactive_reason() is None, in SQL, on the indexed status/event columns."""
    status_ok = or_(Job.status.is_(None), Job.status.not_in(INACTIVE_STATUSES))
    not_stopping = (or_(Job.status.is_(None), Job.status != "stop")
                    & or_(Job.event.is_(None), Job.event.not_in(STOPPING_EVENTS)))
    return status_ok & or_(Job.event == "start", not_stopping)


def awaits_poll(schedule: dict, now: datetime, tz=None) -> bool:
    """An interval job whose grid starts when its agent picks it up (no start date ahead,
    never run): its first run is at the agent's next poll, a moment nobody knows yet."""
    if not isinstance(schedule, dict) or schedules.kind(schedule) != "interval":
        return False
    try:
        return schedules.interval_anchor(schedule, now, tz or schedules.zone()) == now
    except Exception:  # noqa: BLE001 - unreadable: trigger_for answers None elsewhere
        return False


def awaiting_reason(schedule: dict) -> str:
    """Why an interval job that awaits_poll() has no known run time. The 18.0.0 scheduler
    passes no start date for an interval without schedule_start_date, and APScheduler's
    IntervalTrigger then starts one interval after the agent picks the job up."""
    schedule = schedule if isinstance(schedule, dict) else {}
    if schedule.get("status") in schedules.HELD_STATUSES and schedule.get("event") != "start":
        return ("its agent has it scheduled but it has not run yet, so its times are not "
                "known here")
    return ("first run one interval after the agent next polls and picks it up (no start "
            "date), then on that interval")


def job_forecast(doc: dict, count: int, now: datetime | None = None) -> dict:
    """The next `count` fire times of one job and, when there are none, the reason."""
    now = schedules.utc_now(now)
    schedule = doc.get("job_schedule") if isinstance(doc.get("job_schedule"), dict) else {}
    answer = {"kind": schedules.kind(schedule), "schedule": schedules.describe(schedule),
              "timezone": schedules.zone().key, "forecast": [], "reason": None}
    reason = inactive_reason(doc)
    if reason is None:
        if answer["kind"] == "none":
            reason = "no schedule: the agent runs the job once, as soon as it picks it up"
        else:
            trigger = schedules.trigger_for(schedule, now)
            if trigger is None:
                reason = "the schedule cannot be read by the scheduler"
            else:
                answer["forecast"] = schedules.fire_times(trigger, now, count=count)
                if not answer["forecast"]:
                    reason = ("the date has passed" if answer["kind"] == "date"
                              else "the schedule has ended")
    answer["reason"] = reason
    return answer


def planned(doc: dict, count: int, now: datetime | None = None) -> tuple[list, str | None]:
    """(the next `count` fire times, why there are none) as the dashboard states them: a
    job waiting for its agent's next poll has no times (they would be this request's), only
    the sentence saying so."""
    now = schedules.utc_now(now)
    schedule = doc.get("job_schedule") if isinstance(doc.get("job_schedule"), dict) else {}
    if inactive_reason(doc) is None and awaits_poll(schedule, now):
        return [], awaiting_reason(schedule)
    answer = job_forecast(doc, count, now)
    return answer["forecast"], answer["reason"]


class _FireTimes:
    """The fire times of one trigger within the window, computed only as far as they are
    read and shared by every job with the same schedule (a fleet repeats a few schedules)."""

    def __init__(self, trigger, now, until):
        self.trigger, self.now, self.until = trigger, now, until
        self.times: list[datetime] = []
        self.done = False

    def _more(self) -> None:
        if self.times:
            last = self.times[-1]
            fire = self.trigger.get_next_fire_time(last, last + timedelta(microseconds=1))
        else:
            fire = self.trigger.get_next_fire_time(None, self.now)
            if fire is not None and fire < self.now:  # a date that has passed
                fire = None
        if fire is None or fire > self.until or len(self.times) >= MAX_COUNT:
            self.done = True
        else:
            self.times.append(fire.astimezone(schedules.UTC))

    def __iter__(self):
        position = 0
        while True:
            while position >= len(self.times) and not self.done:
                self._more()
            if position >= len(self.times):
                return
            yield self.times[position]
            position += 1


def _stream(times, row):
    # row.pk breaks ties, so equal times keep creation order
    for fire in times:
        yield fire, row.pk, row


def _signature(schedule: dict, now, tz):
    key = tuple(schedule.get(k) for k in schedules.SCHEDULE_KEYS)
    if schedules.kind(schedule) == "interval":
        try:
            key += (schedules.interval_anchor(schedule, now, tz),)
        except Exception:  # noqa: BLE001 - unreadable: trigger_for answers None below
            pass
    return key


# --- the stored next run -----------------------------------------------------------------

ZONE_SETTING = "next_run_timezone"  # the SCHEDULE_TIMEZONE jobs.next_run_at was computed in
_BATCH = 500


def first_fire(doc: dict, now: datetime | None = None, tz=None) -> datetime | None:
    """The job's first fire time at or after `now` (aware UTC), or None when it will not
    fire: the rule behind jobs.next_run_at, the same as job_forecast's first entry."""
    return _first_fire(doc, schedules.utc_now(now), tz)[0]


def _first_fire(doc: dict, now: datetime, tz) -> tuple:
    """first_fire's time, and the anchor of its interval's grid (None for another form)."""
    if inactive_reason(doc) is not None:
        return None, None
    schedule = doc.get("job_schedule")
    if not isinstance(schedule, dict):
        return None, None
    trigger, anchor = schedules.anchored_trigger(schedule, now, tz)  # None: no schedule
    if trigger is None:
        return None, None
    fire = trigger.get_next_fire_time(None, now)
    if fire is None or fire < now:  # a date that has passed
        return None, None
    return fire.astimezone(schedules.UTC), anchor


def _naive(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(schedules.UTC).replace(tzinfo=None)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=schedules.UTC)


# next_run_at of interval jobs whose grid starts when their agent picks them up (no start
# date ahead, never run): they fire "now" on every request. Any one time stored would be
# stale at once, and equal values keep such rows in pk order in the index (see _rows).
DUE_NOW = datetime(1970, 1, 1)


def next_run_at(doc: dict, now: datetime | None = None, tz=None) -> datetime | None:
    """The value of jobs.next_run_at for this document (naive UTC, as columns store it)."""
    now = schedules.utc_now(now)
    fire, anchor = _first_fire(doc, now, tz or schedules.zone())
    if fire is not None and anchor == now:  # an interval whose grid starts now
        return DUE_NOW
    return _naive(fire)


use_next_run_rule(next_run_at)


def zone_in_step(tz=None) -> bool:
    """Whether stored next_run_at values were computed in the configured zone. No record
    (tables emptied by hand) counts as in step: the migration records it."""
    recorded = db.session.get(Setting, ZONE_SETTING)
    return recorded is None or recorded.value == (tz or schedules.zone()).key


def refresh_batch(connection, after_pk: int = 0, batch: int = _BATCH,
                  now: datetime | None = None) -> int | None:
    """Recompute next_run_at of the next `batch` jobs (all owners) after pk `after_pk`, on
    `connection`; returns the last pk done, or None when there were none. Used by
    migration 0004's backfill and `flask jobs refresh-next-run`."""
    jobs = Job.__table__
    rows = connection.execute(select(jobs.c.pk, jobs.c.version, jobs.c.doc)
                              .where(jobs.c.pk > after_pk).order_by(jobs.c.pk)
                              .limit(batch)).all()
    if not rows:
        return None
    now = schedules.utc_now(now)
    connection.execute(
        update(jobs).where(jobs.c.pk == bindparam("b_pk"), jobs.c.version == bindparam("b_v"))
        # the document did not change: keep updated_at (its onupdate would bump it)
        .values(next_run_at=bindparam("b_next"), updated_at=jobs.c.updated_at),
        [{"b_pk": row.pk, "b_v": row.version, "b_next": next_run_at(row.doc, now)}
         for row in rows])
    return rows[-1].pk


def record_zone(connection, tz=None) -> None:
    """Note the zone next_run_at values are now computed in (after a full refresh)."""
    key = (tz or schedules.zone()).key
    table = Setting.__table__
    done = connection.execute(update(table).where(table.c.name == ZONE_SETTING)
                              .values(value=key))
    if not done.rowcount:
        connection.execute(table.insert().values(name=ZONE_SETTING, value=key))


def refresh_all(batch: int = _BATCH) -> int:
    """Every job's next_run_at recomputed, one short transaction per batch, then the zone
    recorded (`flask jobs refresh-next-run`). Returns the last job pk done (0: none)."""
    last = 0
    while True:
        with db.engine.begin() as connection:
            end = refresh_batch(connection, last, batch)
            if end is None:
                record_zone(connection)
                return last
            last = end


def _refresh(stale: list) -> None:
    """Store recomputed next_run_at values of rows read stale: one conditional UPDATE per
    row (unchanged document version), in a short transaction of its own, so a read request
    never holds the write lock. Best effort: a row left stale is only read again."""
    if not stale or not (has_request_context() and request.method in ("GET", "HEAD")):
        return  # outside a read request the caller's session may hold the write lock
    jobs = Job.__table__
    try:
        with db.engine.begin() as connection:
            connection.execute(
                update(jobs).where(jobs.c.pk == bindparam("b_pk"),
                                   jobs.c.version == bindparam("b_v"),
                                   jobs.c.next_run_at == bindparam("b_old"))
                .values(next_run_at=bindparam("b_next"), updated_at=jobs.c.updated_at),
                [{"b_pk": pk, "b_v": version, "b_old": old, "b_next": new}
                 for pk, version, old, new in stale])
    except DBAPIError:
        log.warning("next_run_at refresh of %d jobs failed; read again next time",
                    len(stale), exc_info=True)


# --- the fleet forecast --------------------------------------------------------------------

def active_jobs(scope: Scope):
    """The caller's jobs their agents will run, each document loaded once: plain rows
    (.pk, .job_id, .client_id, .status, .event, .result, .doc), not ORM objects, which
    cost three times as much to build for a fleet of 10,000 jobs."""
    stmt = (select(Job.pk, Job.job_id, Job.client_id, Job.status, Job.event, Job.result,
                   Job.doc)
            .where(scope.where(Job), _active_clause()).order_by(Job.pk))
    return db.session.execute(stmt).all()


_ROW_COLUMNS = (Job.pk, Job.job_id, Job.client_id, Job.status, Job.event, Job.result,
                Job.version, Job.next_run_at, Job.doc)


def window_statement(scope: Scope, low: datetime | None, high: datetime, after=None,
                     size: int = _BATCH, low_inclusive: bool = False):
    """One batch of the caller's jobs with low < next_run_at <= high (naive UTC), in
    (next_run_at, pk) order after the row `after` (next_run_at, pk): an index range on
    ix_jobs_user_next_run (v1) or ix_jobs_project_next_run."""
    stmt = select(*_ROW_COLUMNS).where(scope.where(Job), Job.next_run_at <= high)
    if low is not None:
        stmt = stmt.where(Job.next_run_at >= low if low_inclusive else Job.next_run_at > low)
    if after is not None:
        stmt = stmt.where(Job.next_run_at >= after[0],
                          or_(Job.next_run_at > after[0],
                              and_(Job.next_run_at == after[0], Job.pk > after[1])))
    return stmt.order_by(Job.next_run_at, Job.pk).limit(size)


def _batches(scope, low, high, first_batch, low_inclusive=False):
    """The rows of window_statement, fetched in growing keyset batches, so a caller that
    stops early (the overview wants 10) reads a few rows, not the whole window."""
    last, size = None, max(first_batch, 16)
    while True:
        rows = db.session.execute(
            window_statement(scope, low, high, last, size, low_inclusive)).all()
        yield from rows
        if len(rows) < size:
            return
        last, size = (rows[-1].next_run_at, rows[-1].pk), min(size * 4, 4000)


def _rows(scope: Scope, now: datetime, until: datetime, first_batch: int,
          dated_only: bool = False):
    """(bound, row) for the jobs that may fire in [now, until], where no fire time of this
    row or of any row after it comes before `bound` (time, pk); None: read it in any case.
    1. rows whose next_run_at has passed (up to now): few, all read (and refreshed);
    2. DUE_NOW rows, in pk order: each fires at now, so (now, pk) bounds them (left out
       when `dated_only`: they fire at their agent's next poll, no known time);
    3. the rest in (next_run_at, pk) order: their stored time bounds them."""
    naive_now, naive_until = _naive(now), _naive(until)
    for row in _batches(scope, DUE_NOW, naive_now, _BATCH):
        yield None, row
    if not dated_only:
        for row in _batches(scope, DUE_NOW, DUE_NOW, first_batch, low_inclusive=True):
            yield (now, row.pk), row
    for row in _batches(scope, naive_now, naive_until, first_batch):
        yield (_aware(row.next_run_at), row.pk), row


def upcoming_with_more(scope: Scope, hours: float, now: datetime | None = None,
                       limit: int | None = None, dated_only: bool = False):
    """([(fire time UTC, job row)] in time order, whether more fire times follow).
    `dated_only` (the dashboard) leaves out jobs that awaits_poll(): their "now" moves on
    every request, an entry no scheduler will keep."""
    now = schedules.utc_now(now)
    until = now + timedelta(hours=hours)
    tz = schedules.zone()
    if not zone_in_step(tz):
        log.warning("jobs.next_run_at was computed in another SCHEDULE_TIMEZONE: forecasting "
                    "from every job's schedule until `flask jobs refresh-next-run` has run")
        return _upcoming_by_scan(scope, now, until, tz, limit, dated_only)
    shared: dict[tuple, _FireTimes | None] = {}
    heap, out, stale = [], [], []
    naive_now = _naive(now)
    rows = _rows(scope, now, until, (limit or _BATCH) + 1, dated_only)
    pending = next(rows, None)
    while True:
        # Read rows until the earliest (time, pk) in hand comes before anything an unread
        # row could add (so a thousand jobs sharing a fire time are not read for ten).
        while pending is not None and (not heap or pending[0] is None
                                       or heap[0][:2] >= pending[0]):
            row = pending[1]
            if row.next_run_at < naive_now:
                new = next_run_at(row.doc, now, tz)
                if new != row.next_run_at:  # DUE_NOW rows stay as they are
                    stale.append((row.pk, row.version, row.next_run_at, new))
            stream = _times_of(row, shared, now, until, tz, dated_only)
            first = next(stream, None)
            if first is not None:
                heapq.heappush(heap, (first, row.pk, stream, row))
            pending = next(rows, None)
        if not heap or (limit is not None and len(out) > limit):
            break
        fire, pk, stream, row = heapq.heappop(heap)
        out.append((fire, row))
        following = next(stream, None)
        if following is not None:
            heapq.heappush(heap, (following, pk, stream, row))
    _refresh(stale)
    if limit is None:
        return out, False
    return out[:limit], len(out) > limit


def _times_of(row, shared: dict, now, until, tz, dated_only: bool = False):
    """The row's fire times in the window (an iterator), its trigger shared with every job
    of the same schedule; nothing for a job that will not fire (nor, when `dated_only`,
    for one that fires at its agent's next poll)."""
    schedule = row.doc.get("job_schedule")
    if (not isinstance(schedule, dict) or schedules.kind(schedule) == "none"
            or inactive_reason(row.doc) is not None
            or (dated_only and awaits_poll(schedule, now, tz))):
        return iter(())
    key = _signature(schedule, now, tz)
    if key not in shared:
        trigger = schedules.trigger_for(schedule, now, tz)
        shared[key] = _FireTimes(trigger, now, until) if trigger is not None else None
    return iter(shared[key]) if shared[key] is not None else iter(())


def _upcoming_by_scan(scope: Scope, now, until, tz, limit, dated_only=False):
    """Every active job's schedule expanded (no use of next_run_at): the answer while
    stored values were computed in another zone."""
    shared: dict[tuple, _FireTimes | None] = {}
    streams = [_stream(_times_of(row, shared, now, until, tz, dated_only), row)
               for row in active_jobs(scope)]
    merged = heapq.merge(*streams, key=lambda entry: entry[:2])
    if limit is None:
        return [(fire, row) for fire, _, row in merged], False
    head = list(itertools.islice(merged, limit + 1))
    return [(fire, row) for fire, _, row in head[:limit]], len(head) > limit


def upcoming(scope: Scope, hours: float, now: datetime | None = None,
             limit: int | None = None) -> list[tuple[datetime, object]]:
    """The caller's jobs that fire in the next `hours`, one entry per fire time, in time
    order (at most MAX_COUNT per job, at most `limit` in all). Each job is a row of
    `active_jobs` (.job_id, .client_id, .doc, ...)."""
    return upcoming_with_more(scope, hours, now, limit)[0]
