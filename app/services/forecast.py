"""Upcoming runs: when the caller's jobs will fire, per job and across all of them.

Computed on request from the stored schedules (schedules.py, the scheduler's own trigger
classes); nothing is written back into the job documents (DECISIONS.md, Jobs)."""
import heapq
import itertools
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from ..extensions import db
from ..models import Job
from . import schedules

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
        return "the job has completed: it runs again only after a start event"
    if status == "removed":
        return "the job has been removed from its agent"
    if event == "start":
        return None
    if event in STOPPING_EVENTS:
        return f"a {event} has been requested: the agent will not run the job again"
    if status == "stop":
        return "the job is stopped: it runs again only after a start event"
    return None


def _active_clause():
    """inactive_reason() is None, in SQL, on the indexed status/event columns."""
    status_ok = or_(Job.status.is_(None), Job.status.not_in(INACTIVE_STATUSES))
    not_stopping = (or_(Job.status.is_(None), Job.status != "stop")
                    & or_(Job.event.is_(None), Job.event.not_in(STOPPING_EVENTS)))
    return status_ok & or_(Job.event == "start", not_stopping)


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


def _stream(times: _FireTimes, row):
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


def active_jobs(user_id: str):
    """The caller's jobs their agents will run, each document loaded once: plain rows
    (.pk, .job_id, .client_id, .status, .event, .result, .doc), not ORM objects, which
    cost three times as much to build for a fleet of 10,000 jobs."""
    stmt = (select(Job.pk, Job.job_id, Job.client_id, Job.status, Job.event, Job.result,
                   Job.doc)
            .where(Job.user_id == user_id, _active_clause()).order_by(Job.pk))
    return db.session.execute(stmt).all()


def upcoming_with_more(user_id: str, hours: float, now: datetime | None = None,
                       limit: int | None = None):
    """([(fire time UTC, job row)] in time order, whether more fire times follow)."""
    now = schedules.utc_now(now)
    until = now + timedelta(hours=hours)
    tz = schedules.zone()
    shared: dict[tuple, _FireTimes | None] = {}
    streams = []
    for row in active_jobs(user_id):
        schedule = row.doc.get("job_schedule")
        if not isinstance(schedule, dict) or schedules.kind(schedule) == "none":
            continue
        key = _signature(schedule, now, tz)
        if key not in shared:
            trigger = schedules.trigger_for(schedule, now, tz)
            shared[key] = _FireTimes(trigger, now, until) if trigger is not None else None
        if shared[key] is not None:
            streams.append(_stream(shared[key], row))
    merged = heapq.merge(*streams, key=lambda entry: entry[:2])
    if limit is None:
        return [(fire, row) for fire, _, row in merged], False
    head = list(itertools.islice(merged, limit + 1))
    return [(fire, row) for fire, _, row in head[:limit]], len(head) > limit


def upcoming(user_id: str, hours: float, now: datetime | None = None,
             limit: int | None = None) -> list[tuple[datetime, object]]:
    """The caller's jobs that fire in the next `hours`, one entry per fire time, in time
    order (at most MAX_COUNT per job, at most `limit` in all). Each job is a row of
    `active_jobs` (.job_id, .client_id, .doc, ...)."""
    return upcoming_with_more(user_id, hours, now, limit)[0]
