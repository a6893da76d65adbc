"""What a job's `job_schedule` means, computed with the trigger classes the freezer scheduler
itself builds (APScheduler 3.x): semantic validation, the next fire times and a sentence.

How the scheduler (18.0.0, scheduler_job.get_schedule_args) reads a schedule, which we mirror:
- `schedule_date` wins: DateTrigger(run_date=<the string>), parsed by APScheduler.
- else `schedule_interval`: IntervalTrigger(<unit>=N) ("continuous" is every 1 second);
- else any `schedule_<year..second>` field: CronTrigger(<fields>);
- else no schedule: the job runs once, about 2 s after the agent picks it up.
`schedule_start_date`/`schedule_end_date` (strictly "%Y-%m-%dT%H:%M:%S", via strptime) are
used by the interval and cron triggers, and only when a start date is given.

Naive times are the agent host's local time. The server cannot know it: it reads them in
SCHEDULE_TIMEZONE (default UTC) and states every computed time in UTC.

Validation never depends on the current time: the scheduler PATCHes whole job documents
back, so a schedule valid when written must stay valid later (see `changed`)."""
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import has_app_context

from .. import clock, context
from .errors import BadRequest

UTC = timezone.utc
AGENT_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
CRON_FIELDS = ("year", "month", "day", "week", "day_of_week", "hour", "minute", "second")
INTERVAL_UNITS = ("weeks", "days", "hours", "minutes", "seconds")
SCHEDULE_KEYS = ("schedule_date", "schedule_interval", "schedule_start_date",
                 "schedule_end_date") + tuple(f"schedule_{name}" for name in CRON_FIELDS)
# The earliest time the "can it ever fire" check starts from when there is no start date.
_EPOCH = datetime(1970, 1, 1)


class _Invalid(Exception):
    def __init__(self, key, why):
        super().__init__(why)
        self.key, self.why = key, why


# --- reading a schedule ------------------------------------------------------------------

def zone(name: str | None = None) -> ZoneInfo:
    """The zone naive schedule times are read in (config SCHEDULE_TIMEZONE, default UTC)."""
    if name is None:
        name = context.config().get("SCHEDULE_TIMEZONE", "UTC") if has_app_context() else "UTC"
    return _zone_named(name or "UTC")


@lru_cache(maxsize=64)  # asked on every job write (its next run); ZoneInfo's own cache is slower
def _zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RuntimeError(f"SCHEDULE_TIMEZONE {name!r} is not a known time zone") from None


def _given(schedule: dict, key: str):
    """The scheduler treats missing, null and "" alike (`if self.schedule_date:`)."""
    value = schedule.get(key)
    return None if value in (None, "") else value


def _cron_fields(schedule: dict) -> dict:
    # The scheduler passes every present cron key, even "" (which then cannot parse).
    return {name: schedule[f"schedule_{name}"] for name in CRON_FIELDS
            if f"schedule_{name}" in schedule and schedule[f"schedule_{name}"] is not None}


def kind(schedule: dict) -> str:
    """date | interval | cron | none, decided in the scheduler's order."""
    if not isinstance(schedule, dict):
        return "none"
    if _given(schedule, "schedule_date"):
        return "date"
    if _given(schedule, "schedule_interval"):
        return "interval"
    if _cron_fields(schedule):
        return "cron"
    return "none"


@lru_cache(maxsize=4096)
def _parse_agent_date(value: str) -> datetime | None:
    # strptime is slow and a fleet forecast reads thousands of these
    try:
        return datetime.strptime(value, AGENT_DATE_FORMAT)
    except ValueError:
        return None


def _agent_date(schedule: dict, key: str):
    value = _given(schedule, key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Invalid(key, "must be a string such as 2026-01-31T02:00:00")
    parsed = _parse_agent_date(value)
    if parsed is None:
        raise _Invalid(key, f"{value!r} cannot be read by the freezer scheduler: write it as "
                            "YYYY-MM-DDTHH:MM:SS (agent local time, no fraction or zone)")
    return parsed


def _interval(schedule: dict) -> dict:
    value = _given(schedule, "schedule_interval")
    if not isinstance(value, str):
        raise _Invalid("schedule_interval", 'must be a string such as "6 hours" or "continuous"')
    if value == "continuous":
        return {"seconds": 1}
    parts = value.split(" ")
    if len(parts) != 2 or parts[1] not in INTERVAL_UNITS or not parts[0].isdigit():
        # The scheduler splits on exactly one space: "1  days" breaks it.
        raise _Invalid("schedule_interval", f"{value!r} is not \"<N> <unit>\" with one space and "
                                            "a unit among " + ", ".join(INTERVAL_UNITS))
    number = int(parts[0])
    if number == 0:
        raise _Invalid("schedule_interval", f"{value!r} is an interval of zero: it never repeats")
    try:
        if timedelta(**{parts[1]: number}) > timedelta(days=365 * 1000):
            raise OverflowError
    except OverflowError:
        raise _Invalid("schedule_interval", f"{value!r} is longer than a thousand years") from None
    return {parts[1]: number}


def _window(schedule: dict):
    """(start, end) naive datetimes as the scheduler uses them, checked."""
    start = _agent_date(schedule, "schedule_start_date")
    end = _agent_date(schedule, "schedule_end_date")
    if end is not None and start is None:
        raise _Invalid("schedule_end_date", "the freezer scheduler ignores an end date without "
                                            "schedule_start_date: give a start date too")
    if start is not None and end is not None and end < start:
        raise _Invalid("schedule_end_date", f"ends ({end.isoformat()}) before it starts "
                                            f"({start.isoformat()})")
    return start, end


def _trigger(schedule: dict, tz: ZoneInfo, anchor: datetime | None = None, keep: bool = True):
    """The APScheduler trigger the freezer scheduler would build, or None for no schedule.
    `anchor` (aware) replaces an interval's start: see `interval_anchor`. Raises _Invalid.
    A job's every write asks it for its next run (models/job.py): the same schedule gives
    the same trigger (they are not changed once built), so one is kept per schedule,
    unless `keep` is False (a grid anchored at this very moment is never asked again)."""
    if not keep:
        return _build_trigger(schedule, tz, anchor)
    # the type too: True == 1, but a bool is refused where an int is taken
    values = tuple((value, type(value)) for value in map(schedule.get, SCHEDULE_KEYS))
    try:
        return _kept_trigger(values, tz, anchor)
    except TypeError:  # an unhashable value (a list where a string belongs): refused below
        return _build_trigger(schedule, tz, anchor)


@lru_cache(maxsize=256)  # the jobs a worker writes in a while (their last runs anchor them)
def _kept_trigger(values: tuple, tz: ZoneInfo, anchor: datetime | None):
    return _build_trigger({key: value for key, (value, _) in zip(SCHEDULE_KEYS, values)
                           if value is not None}, tz, anchor)


def _build_trigger(schedule: dict, tz: ZoneInfo, anchor: datetime | None):
    form = kind(schedule)
    if form == "none":
        for key in ("schedule_start_date", "schedule_end_date"):
            if _given(schedule, key):
                raise _Invalid(key, "has no effect without schedule_interval or cron fields")
        return None
    # Keys of another form are not refused: PATCH merges and cannot delete a key, so an
    # operator switching forms would be stuck; the scheduler's precedence (date, interval,
    # cron) decides, and forecasts show what it will do.
    if form == "date":
        value = _given(schedule, "schedule_date")
        if not isinstance(value, str):
            raise _Invalid("schedule_date", "must be a string such as 2026-01-31T02:00:00")
        try:
            return DateTrigger(run_date=value, timezone=tz)
        except (ValueError, OverflowError):
            raise _Invalid("schedule_date", f"{value!r} cannot be read by the freezer scheduler: "
                                            "write it as YYYY-MM-DDTHH:MM:SS") from None
    start, end = _window(schedule)
    if form == "interval":
        unit = _interval(schedule)
        return IntervalTrigger(**unit, start_date=anchor or start, end_date=end, timezone=tz)
    fields = _cron_fields(schedule)
    for name, value in fields.items():  # one at a time, to name the field that is wrong
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise _Invalid(f"schedule_{name}", "must be a string such as \"1-5\"")
        try:
            CronTrigger(**{name: value}, timezone=tz)
        except ValueError as exc:
            hint = (" (weekdays belong in schedule_day_of_week; schedule_day takes 1-31, "
                    "\"last\" or \"2nd fri\")" if name == "day" else "")
            raise _Invalid(f"schedule_{name}", f"{value!r}: {exc}{hint}") from None
    return CronTrigger(**fields, start_date=start, end_date=end, timezone=tz)


# --- validation --------------------------------------------------------------------------

def validate_schedule(schedule, field: str = "job_schedule") -> None:
    """400 naming `<field>.<key>` and why, for a schedule the freezer scheduler could not
    run as written: unreadable dates, a zero interval, an end before the start, cron fields
    that cannot parse or can never fire together."""
    if schedule is None:
        return
    if not isinstance(schedule, dict):
        raise BadRequest(f"{field}: must be an object", errors={field: "must be an object"})
    tz = zone()
    try:
        trigger = _trigger(schedule, tz)
        if isinstance(trigger, CronTrigger):
            start, end = _window(schedule)
            origin = (start or _EPOCH).replace(tzinfo=tz)
            if trigger.get_next_fire_time(None, origin) is None:
                fields = ", ".join(f"schedule_{n}={v!r}" for n, v in _cron_fields(schedule).items())
                if end is not None and CronTrigger(**_cron_fields(schedule), timezone=tz) \
                        .get_next_fire_time(None, origin) is not None:
                    raise _Invalid("schedule_end_date", f"{fields} never fires between the start "
                                                        "and end dates")
                key = f"schedule_{next(reversed(_cron_fields(schedule)))}"
                raise _Invalid(key, f"{fields} can never fire")
    except _Invalid as bad:
        name = f"{field}.{bad.key}"
        raise BadRequest(f"{name}: {bad.why}", errors={name: bad.why}) from None


def changed(old: dict | None, new: dict | None) -> bool:
    """Whether a write changes any schedule_* key (only then is the schedule re-validated,
    so the agent's whole-document PATCHes of an old, stored schedule keep working)."""
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    return any(old.get(key) != new.get(key) for key in SCHEDULE_KEYS)


def replaced(stored: dict | None, schedule: dict | None) -> dict:
    """A job_schedule whose schedule_* keys are exactly `schedule`'s: the stored ones are
    dropped (a kept interval would win over a new cron), its event, status, result and
    times kept."""
    stored = stored if isinstance(stored, dict) else {}
    kept = {k: v for k, v in stored.items() if k not in SCHEDULE_KEYS}
    return {**kept, **(schedule if isinstance(schedule, dict) else {})}


# --- fire times --------------------------------------------------------------------------

def _aware_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def utc_now(now: datetime | None = None) -> datetime:
    """`now` as an aware UTC datetime (default: the clock)."""
    if now is None:
        return datetime.fromtimestamp(clock.now(), UTC)
    return now if now.tzinfo else now.replace(tzinfo=UTC)


# The agent holds the job on the trigger it built: it reads the schedule again only when a
# start reaches it in its stopped state (scheduler_job.StopState.start).
HELD_STATUSES = ("scheduled", "running")


def interval_anchor(schedule: dict, now: datetime, tz: ZoneInfo) -> datetime:
    """Where an interval's grid starts. The scheduler builds it when it (re)schedules the
    job: at schedule_start_date when that is still ahead, else then (now + 2 s). The last
    run's `time_started` marks that grid, so after a run we follow it -- and while the agent
    holds the job scheduled (no start pending) we follow it even past a start date saved
    since, which the agent does not read until the job is stopped and started again."""
    start = _agent_date(schedule, "schedule_start_date")
    start = start.replace(tzinfo=tz) if start else None
    started = schedule.get("time_started")
    last = None
    if isinstance(started, int) and not isinstance(started, bool) and started > 0:
        last = datetime.fromtimestamp(started, UTC)
    held = schedule.get("status") in HELD_STATUSES and schedule.get("event") != "start"
    if last is not None and held:
        return last
    if start is not None and start > now:
        return start
    if last is not None and (start is None or last >= start):
        return last
    return start or now


def trigger_for(schedule: dict, now: datetime | None = None, tz: ZoneInfo | None = None):
    """The trigger to forecast with, or None (no schedule, or one that cannot be read)."""
    return anchored_trigger(schedule, now, tz)[0]


def anchored_trigger(schedule: dict, now: datetime | None = None,
                     tz: ZoneInfo | None = None) -> tuple:
    """trigger_for's trigger and the anchor of its grid (`interval_anchor`; None for
    another form, or no trigger), for callers that ask both."""
    tz = tz or zone()
    now = utc_now(now)
    try:
        anchor = interval_anchor(schedule, now, tz) if kind(schedule) == "interval" else None
        return _trigger(schedule, tz, anchor, keep=anchor != now), anchor
    except _Invalid:
        return None, None


def fire_times(trigger, now: datetime, until: datetime | None = None, count: int = 100):
    """Up to `count` fire times of `trigger` at or after `now` (and not after `until`), UTC."""
    out = []
    previous = None
    fire = trigger.get_next_fire_time(None, now)
    while fire is not None and len(out) < count:
        if fire < now:  # a date trigger answers its date even when it has passed
            break
        if until is not None and fire > until:
            break
        out.append(_aware_utc(fire))
        previous = fire
        fire = trigger.get_next_fire_time(previous, previous + timedelta(microseconds=1))
    return out


def next_runs(schedule: dict, count: int, now: datetime | None = None) -> list[datetime]:
    """The next `count` fire times (aware, UTC) of the schedule; [] when it has none left."""
    now = utc_now(now)
    trigger = trigger_for(schedule, now)
    return fire_times(trigger, now, count=count) if trigger is not None else []


# --- words -------------------------------------------------------------------------------

def describe(schedule) -> str:
    """The schedule in a sentence, e.g. "every 1 days from 2026-01-01T00:00:00"."""
    if not isinstance(schedule, dict):
        return "no schedule"
    form = kind(schedule)
    start = _given(schedule, "schedule_start_date")
    end = _given(schedule, "schedule_end_date")
    window = (f" from {start}" if start else "") + (f" until {end}" if start and end else "")
    if form == "date":
        return f"once at {schedule['schedule_date']}"
    if form == "interval":
        value = schedule["schedule_interval"]
        if value == "continuous":
            return "continuously (again as soon as each run ends)" + window
        return f"every {value}{window}"
    if form == "cron":
        parts = ", ".join(f"{name.replace('_', ' ')} {value}"
                          for name, value in _cron_fields(schedule).items())
        return f"at {parts}{window}"
    return "no schedule: runs once, as soon as its agent picks the job up"
