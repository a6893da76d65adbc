"""Schedules as the freezer scheduler reads them: which ones it can run (table-driven, the
400 naming the field) and when they fire, against hand-computed times."""
from datetime import datetime, timezone

import pytest

from app.services import schedules
from app.services.errors import BadRequest

UTC = timezone.utc


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


VALID = {
    "empty": {},
    "only state keys": {"status": "scheduled", "event": "", "result": ""},
    "date": {"schedule_date": "2026-12-01T03:30:00"},
    "date with zone": {"schedule_date": "2026-12-01T03:30:00Z"},
    "continuous": {"schedule_interval": "continuous"},
    "interval": {"schedule_interval": "1 days"},
    "interval from a start": {"schedule_interval": "6 hours",
                              "schedule_start_date": "2015-06-02T16:20:00"},
    "interval between dates": {"schedule_interval": "2 weeks",
                               "schedule_start_date": "2026-01-01T00:00:00",
                               "schedule_end_date": "2026-06-01T00:00:00"},
    "cron weekdays by name": {"schedule_day_of_week": "mon-fri", "schedule_hour": "22"},
    "cron ranges with spaces": {"schedule_month": "1-6, 9-12", "schedule_day": "1",
                                "schedule_hour": "03", "schedule_minute": "25"},
    "cron leap day": {"schedule_month": "2", "schedule_day": "29", "schedule_hour": "12"},
    "cron last friday": {"schedule_day": "last fri"},
    "cron past year": {"schedule_year": "2019", "schedule_month": "3"},
    "cron between dates": {"schedule_hour": "*/6", "schedule_start_date": "2026-01-01T00:00:00",
                           "schedule_end_date": "2026-01-02T00:00:00"},
}

INVALID = [
    # (schedule, field named, words the reason contains)
    ({"schedule_date": "2026-12-01 03:30"}, "schedule_date", "cannot be read"),
    ({"schedule_date": "2026-02-30T00:00:00"}, "schedule_date", "cannot be read"),
    ({"schedule_interval": "0 seconds"}, "schedule_interval", "zero"),
    ({"schedule_interval": "1  days"}, "schedule_interval", "one space"),
    ({"schedule_interval": "3 fortnights"}, "schedule_interval", "unit"),
    ({"schedule_interval": "99999999999999 weeks"}, "schedule_interval", "thousand years"),
    ({"schedule_interval": "1 days", "schedule_start_date": "2026-02-01T00:00:00",
      "schedule_end_date": "2026-01-01T00:00:00"}, "schedule_end_date", "before it starts"),
    ({"schedule_interval": "1 days", "schedule_end_date": "2026-01-01T00:00:00"},
     "schedule_end_date", "without schedule_start_date"),
    ({"schedule_interval": "1 days", "schedule_start_date": "2026-01-01T00:00:00Z"},
     "schedule_start_date", "YYYY-MM-DDTHH:MM:SS"),
    ({"schedule_start_date": "2026-01-01T00:00:00"}, "schedule_start_date", "no effect"),
    ({"schedule_hour": "25"}, "schedule_hour", "maximum"),
    ({"schedule_minute": ""}, "schedule_minute", "Unrecognized"),
    ({"schedule_second": "*/0"}, "schedule_second", "Increment"),
    ({"schedule_week": "54"}, "schedule_week", "maximum"),
    # the 3.0.0 README's own example: weekdays in the day-of-month field
    ({"schedule_day": "mon, wed, fri", "schedule_hour": "03"}, "schedule_day",
     "schedule_day_of_week"),
    ({"schedule_month": "2", "schedule_day": "30"}, "schedule_day", "never fire"),
    ({"schedule_month": "4", "schedule_day": "31", "schedule_hour": "1"}, "schedule_hour",
     "never fire"),
    ({"schedule_month": "3", "schedule_start_date": "2026-04-01T00:00:00",
      "schedule_end_date": "2026-05-01T00:00:00"}, "schedule_end_date", "between the start"),
]


@pytest.mark.parametrize("schedule, form", [
    ({"schedule_date": "2026-12-01T03:30:00", "schedule_interval": "1 days"}, "date"),
    ({"schedule_date": "2026-12-01T03:30:00", "schedule_hour": "3"}, "date"),
    ({"schedule_interval": "1 days", "schedule_hour": "3"}, "interval"),
])
def test_mixed_forms_are_accepted_and_the_schedulers_precedence_decides(app, schedule, form):
    # PATCH merges and cannot delete a key: refusing leftovers of the old form would make
    # switching forms impossible. The scheduler takes date, then interval, then cron.
    with app.app_context():
        schedules.validate_schedule(schedule)
        assert schedules.kind(schedule) == form


@pytest.mark.parametrize("schedule", VALID.values(), ids=VALID.keys())
def test_valid_schedules_pass(app, schedule):
    with app.app_context():
        schedules.validate_schedule(schedule)


@pytest.mark.parametrize("schedule, key, why", INVALID, ids=[i[1] + ":" + i[2] for i in INVALID])
def test_invalid_schedules_are_refused_naming_the_field(app, schedule, key, why):
    with app.app_context(), pytest.raises(BadRequest) as refused:
        schedules.validate_schedule(schedule, field="job_schedule")
    field = f"job_schedule.{key}"
    assert list(refused.value.errors) == [field]
    assert why in refused.value.errors[field]
    assert refused.value.description.startswith(field + ": ")


def test_the_field_prefix_is_the_callers(app):
    with app.app_context(), pytest.raises(BadRequest) as refused:
        schedules.validate_schedule({"schedule_interval": "0 hours"}, field="schedule")
    assert list(refused.value.errors) == ["schedule.schedule_interval"]


def test_a_schedule_must_be_an_object(app):
    with app.app_context(), pytest.raises(BadRequest) as refused:
        schedules.validate_schedule(["1 days"], field="schedule")
    assert list(refused.value.errors) == ["schedule"]


def test_a_kept_trigger_answers_only_for_the_schedule_it_was_built_from(app):
    """Triggers are kept per schedule (a job's every write asks for its next run): a value
    equal in Python but of another type (True == 1) is still refused, a refused schedule is
    refused every time, and one that cannot be a key (a list) is refused as before."""
    with app.app_context():
        schedules.validate_schedule({"schedule_hour": 1})
        schedules.validate_schedule({"schedule_hour": 1})
        for _ in range(2):
            with pytest.raises(BadRequest) as refused:
                schedules.validate_schedule({"schedule_hour": True})
            assert list(refused.value.errors) == ["job_schedule.schedule_hour"]
        with pytest.raises(BadRequest):
            schedules.validate_schedule({"schedule_hour": ["1"]})
    assert runs_of(app, {"schedule_hour": "1"}, "2026-01-01T00:00:00", 1) == \
        ["2026-01-01T01:00:00+00:00"]
    assert runs_of(app, {"schedule_hour": "2"}, "2026-01-01T00:00:00", 1) == \
        ["2026-01-01T02:00:00+00:00"]


# --- fire times -----------------------------------------------------------------------

def runs_of(app, schedule, now, count=10, zone=None):
    if zone:
        app.config["SCHEDULE_TIMEZONE"] = zone
    with app.app_context():
        return [t.isoformat() for t in schedules.next_runs(schedule, count, now=at(now))]


def test_a_date_fires_once_then_never(app):
    schedule = {"schedule_date": "2026-12-01T03:30:00"}
    assert runs_of(app, schedule, "2026-11-27T02:00:00") == ["2026-12-01T03:30:00+00:00"]
    assert runs_of(app, schedule, "2026-12-01T03:30:01") == []


def test_an_interval_fires_on_its_grid_from_the_start_up_to_the_end_inclusive(app):
    schedule = {"schedule_interval": "6 hours", "schedule_start_date": "2026-01-01T00:00:00",
                "schedule_end_date": "2026-01-02T00:00:00"}
    assert runs_of(app, schedule, "2025-12-31T00:00:00") == [
        "2026-01-01T00:00:00+00:00", "2026-01-01T06:00:00+00:00", "2026-01-01T12:00:00+00:00",
        "2026-01-01T18:00:00+00:00", "2026-01-02T00:00:00+00:00"]
    assert runs_of(app, schedule, "2026-01-01T07:00:00") == [
        "2026-01-01T12:00:00+00:00", "2026-01-01T18:00:00+00:00", "2026-01-02T00:00:00+00:00"]
    assert runs_of(app, schedule, "2026-01-02T00:00:01") == []


def test_after_a_run_an_interval_follows_the_grid_the_agent_started(app):
    # the agent re-anchors the grid when it schedules the job; the last run shows where
    started = int(at("2026-11-26T21:17:05").timestamp())
    schedule = {"schedule_interval": "12 hours", "time_started": started}
    assert runs_of(app, schedule, "2026-11-27T02:00:00", count=2) == [
        "2026-11-27T09:17:05+00:00", "2026-11-27T21:17:05+00:00"]


def test_a_start_date_saved_while_the_agent_holds_the_job_does_not_move_its_grid(app):
    """Reported: 02:50 shown where 01:30 was due. The agent ran the hourly job at 00:30 and
    holds it on that grid; a start date of 02:50 saved since is not read by the agent until
    the job is stopped and started again, so the next run is still 01:30."""
    started = int(at("2026-12-02T00:30:00").timestamp())
    schedule = {"schedule_interval": "1 hours", "schedule_start_date": "2026-12-02T02:50:00",
                "time_started": started, "status": "scheduled", "event": ""}
    assert runs_of(app, schedule, "2026-12-02T00:40:00", count=2) == [
        "2026-12-02T01:30:00+00:00", "2026-12-02T02:30:00+00:00"]
    running = {**schedule, "status": "running"}
    assert runs_of(app, running, "2026-12-02T00:40:00", count=1) == ["2026-12-02T01:30:00+00:00"]
    # a start reaching it stopped: the agent builds the grid again, from the start date
    restarted = {**schedule, "status": "", "event": "start"}
    assert runs_of(app, restarted, "2026-12-02T00:40:00", count=2) == [
        "2026-12-02T02:50:00+00:00", "2026-12-02T03:50:00+00:00"]
    stopped = {**schedule, "status": "stop", "event": ""}
    assert runs_of(app, stopped, "2026-12-02T00:40:00", count=1) == ["2026-12-02T02:50:00+00:00"]


def test_continuous_runs_again_every_second(app):
    assert runs_of(app, {"schedule_interval": "continuous",
                         "schedule_start_date": "2026-01-01T00:00:00"},
                   "2026-01-01T00:00:00", count=3) == [
        "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:01+00:00", "2026-01-01T00:00:02+00:00"]


def test_cron_with_day_of_week_names(app):
    # 2026-11-27 is a Friday
    schedule = {"schedule_day_of_week": "mon,wed,fri", "schedule_hour": "3",
                "schedule_minute": "25"}
    assert runs_of(app, schedule, "2026-11-27T02:00:00", count=4) == [
        "2026-11-27T03:25:00+00:00", "2026-11-30T03:25:00+00:00",
        "2026-12-02T03:25:00+00:00", "2026-12-04T03:25:00+00:00"]


def test_cron_day_of_week_ranges_count_from_monday(app):
    # APScheduler, like the scheduler: 0 is Monday (crontab's 0 is Sunday)
    schedule = {"schedule_day_of_week": "0-1", "schedule_hour": "22", "schedule_minute": "0"}
    assert runs_of(app, schedule, "2026-11-27T02:00:00", count=3) == [
        "2026-11-30T22:00:00+00:00", "2026-12-01T22:00:00+00:00", "2026-12-07T22:00:00+00:00"]


def test_cron_month_ranges_with_spaces(app):
    schedule = {"schedule_month": "1-6, 9-12", "schedule_day": "1", "schedule_hour": "0",
                "schedule_minute": "0"}
    assert runs_of(app, schedule, "2026-06-15T00:00:00", count=5) == [
        "2026-09-01T00:00:00+00:00", "2026-10-01T00:00:00+00:00", "2026-11-01T00:00:00+00:00",
        "2026-12-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00"]


def test_a_leap_day_schedule_fires_only_on_leap_years(app):
    schedule = {"schedule_month": "2", "schedule_day": "29", "schedule_hour": "12",
                "schedule_minute": "0"}
    assert runs_of(app, schedule, "2026-11-27T02:00:00", count=3) == [
        "2028-02-29T12:00:00+00:00", "2032-02-29T12:00:00+00:00", "2036-02-29T12:00:00+00:00"]


def test_cron_between_start_and_end(app):
    schedule = {"schedule_hour": "*/6", "schedule_minute": "0",
                "schedule_start_date": "2026-01-01T05:00:00",
                "schedule_end_date": "2026-01-02T00:00:00"}
    assert runs_of(app, schedule, "2025-12-01T00:00:00") == [
        "2026-01-01T06:00:00+00:00", "2026-01-01T12:00:00+00:00", "2026-01-01T18:00:00+00:00",
        "2026-01-02T00:00:00+00:00"]


def test_naive_times_are_read_in_the_configured_zone_and_answered_in_utc(app):
    schedule = {"schedule_hour": "3", "schedule_minute": "0"}
    # Paris is UTC+1 in winter, UTC+2 in summer
    assert runs_of(app, schedule, "2026-11-27T00:00:00", count=1, zone="Europe/Paris") == [
        "2026-11-27T02:00:00+00:00"]
    assert runs_of(app, schedule, "2026-07-01T00:00:00", count=1, zone="Europe/Paris") == [
        "2026-07-01T01:00:00+00:00"]
    assert runs_of(app, {"schedule_date": "2026-12-01T03:30:00"}, "2026-11-27T00:00:00",
                   zone="Europe/Paris") == ["2026-12-01T02:30:00+00:00"]


def test_no_schedule_has_no_fire_times(app):
    assert runs_of(app, {"status": "scheduled"}, "2026-11-27T00:00:00") == []


@pytest.mark.parametrize("schedule, text", [
    ({"schedule_date": "2026-12-01T03:30:00"}, "once at 2026-12-01T03:30:00"),
    ({"schedule_interval": "1 days", "schedule_start_date": "2026-01-01T00:00:00"},
     "every 1 days from 2026-01-01T00:00:00"),
    ({"schedule_interval": "2 hours", "schedule_start_date": "2026-01-01T00:00:00",
      "schedule_end_date": "2026-02-01T00:00:00"},
     "every 2 hours from 2026-01-01T00:00:00 until 2026-02-01T00:00:00"),
    ({"schedule_day_of_week": "mon-fri", "schedule_hour": "22"},
     "at day of week mon-fri, hour 22"),
    ({}, "no schedule: runs once, as soon as its agent picks the job up"),
])
def test_describe_says_it_in_words(schedule, text):
    assert schedules.describe(schedule) == text


def test_a_schedule_change_is_what_is_rechecked():
    stored = {"schedule_interval": "1 days", "status": "scheduled"}
    assert not schedules.changed(stored, dict(stored, status="running", current_pid=7))
    assert schedules.changed(stored, dict(stored, schedule_interval="2 days"))
    assert schedules.changed(stored, dict(stored, schedule_hour="3"))
