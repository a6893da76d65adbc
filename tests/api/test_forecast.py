"""Schedules over the wire: refused with the field named, upcoming runs per job and across
jobs (frozen clock, hand-computed times), nothing computed written into the job."""
from datetime import datetime, timezone

import pytest

from app.extensions import db
from app.models import Job
from app import clock
from tests.builders import job_body

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=timezone.utc).timestamp()  # a Friday


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(NOW)


def job(user, schedule, **extra):
    return user.create("jobs", job_body(schedule=schedule, **extra))


@pytest.mark.parametrize("schedule, field", [
    ({"schedule_interval": "0 seconds"}, "job_schedule.schedule_interval"),
    ({"schedule_month": "2", "schedule_day": "30"}, "job_schedule.schedule_day"),
    ({"schedule_interval": "1 days", "schedule_start_date": "2026-02-01T00:00:00",
      "schedule_end_date": "2026-01-01T00:00:00"}, "job_schedule.schedule_end_date"),
    ({"schedule_date": "2026-02-30T10:00:00"}, "job_schedule.schedule_date"),
    ({"schedule_hour": "24"}, "job_schedule.schedule_hour"),
])
def test_a_schedule_that_cannot_run_is_400_naming_the_field_and_nothing_is_stored(
        alice, schedule, field):
    r = alice.post("/v1/jobs/", job_body(schedule=schedule))
    assert r.status_code == 400
    body = r.get_json()
    assert field in body["errors"] and body["description"].startswith(field)
    r = alice.post("/v1/jobs/chosen-id", job_body(schedule=schedule))
    assert r.status_code == 400 and field in r.get_json()["errors"]
    assert alice.get("/v1/jobs/").get_json()["jobs"] == []


def test_valid_schedules_are_stored_exactly_as_sent(alice):
    schedule = {"schedule_month": "1-6, 9-12", "schedule_day": "1", "schedule_hour": "03",
                "schedule_minute": "25", "schedule_start_date": "2015-06-02T16:20:00",
                "schedule_end_date": "2030-06-02T16:20:00"}
    job_id = job(alice, dict(schedule))
    stored = alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]
    assert {k: stored[k] for k in schedule} == schedule


def test_patch_checks_the_merged_schedule(alice):
    job_id = job(alice, {"schedule_interval": "1 days",
                         "schedule_start_date": "2026-01-01T00:00:00"})
    r = alice.patch(f"/v1/jobs/{job_id}",
                    {"job_schedule": {"schedule_end_date": "2025-01-01T00:00:00"}})
    assert r.status_code == 400
    assert "job_schedule.schedule_end_date" in r.get_json()["errors"]
    assert "schedule_end_date" not in alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]
    r = alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"schedule_interval": "2 days"}})
    assert r.status_code == 200


def test_the_agents_whole_document_patch_of_an_old_stored_schedule_still_works(app, alice):
    # stored before schedules were checked; the scheduler PATCHes it back with a new status
    job_id = job(alice, {"schedule_interval": "1 days"})
    legacy = alice.get(f"/v1/jobs/{job_id}").get_json()
    legacy["job_schedule"].update(schedule_hour="3", status="scheduled")
    with app.app_context():
        row = db.session.scalars(db.select(Job).where(Job.job_id == job_id)).one()
        row.set_doc({k: v for k, v in legacy.items() if k != "_version"})
        db.session.commit()
    legacy["job_schedule"]["status"] = "running"
    assert alice.patch(f"/v1/jobs/{job_id}", legacy).status_code == 200


# --- one job --------------------------------------------------------------------------

def test_a_jobs_next_fire_times_in_utc(alice):
    job_id = job(alice, {"schedule_day_of_week": "mon,wed,fri", "schedule_hour": "3",
                         "schedule_minute": "25"})
    body = alice.get(f"/v1/jobs/{job_id}/forecast?count=3").get_json()
    assert body["forecast"] == ["2026-11-27T03:25:00Z", "2026-11-30T03:25:00Z",
                                "2026-12-02T03:25:00Z"]
    assert body["reason"] is None and body["kind"] == "cron" and body["timezone"] == "UTC"
    assert body["schedule"] == "at day of week mon,wed,fri, hour 3, minute 25"


def test_count_defaults_to_ten_and_is_bounded(alice):
    job_id = job(alice, {"schedule_interval": "1 hours"})
    assert len(alice.get(f"/v1/jobs/{job_id}/forecast").get_json()["forecast"]) == 10
    assert len(alice.get(f"/v1/jobs/{job_id}/forecast?count=100").get_json()["forecast"]) == 100
    for bad in ("0", "101", "x"):
        r = alice.get(f"/v1/jobs/{job_id}/forecast?count={bad}")
        assert r.status_code == 400 and r.get_json()["title"]


@pytest.mark.parametrize("schedule, change, reason", [
    ({"schedule_interval": "1 days"}, {"status": "stop"}, "stopped"),
    ({"schedule_interval": "1 days"}, {"event": "stop"}, "stop has been requested"),
    ({"schedule_interval": "1 days"}, {"status": "completed", "result": "success"}, "completed"),
    ({"schedule_date": "2026-11-26T00:00:00"}, {}, "the date has passed"),
    ({"schedule_interval": "1 hours", "schedule_start_date": "2026-01-01T00:00:00",
      "schedule_end_date": "2026-01-02T00:00:00"}, {}, "the schedule has ended"),
    ({}, {}, "no schedule"),
])
def test_an_empty_forecast_says_why(alice, schedule, change, reason):
    job_id = job(alice, schedule)
    if change:
        assert alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": change}).status_code == 200
    body = alice.get(f"/v1/jobs/{job_id}/forecast").get_json()
    assert body["forecast"] == [] and reason in body["reason"]


def test_a_stopped_job_started_again_is_forecast_again(alice):
    job_id = job(alice, {"schedule_interval": "1 days"}, )
    alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "completed"}})
    assert alice.post(f"/v1/jobs/{job_id}/event", {"start": None}).status_code == 202
    assert len(alice.get(f"/v1/jobs/{job_id}/forecast?count=2").get_json()["forecast"]) == 2


def test_forecasting_writes_nothing_into_the_job(alice):
    job_id = job(alice, {"schedule_interval": "6 hours"})
    before = alice.get(f"/v1/jobs/{job_id}").get_json()
    alice.get(f"/v1/jobs/{job_id}/forecast")
    alice.get("/v1/forecast?hours=24")
    assert alice.get(f"/v1/jobs/{job_id}").get_json() == before


def test_another_users_job_has_no_forecast(alice, bob):
    job_id = job(alice, {"schedule_interval": "6 hours"})
    assert bob.get(f"/v1/jobs/{job_id}/forecast").status_code == 404
    assert bob.get("/v1/forecast").get_json()["forecast"] == []


# --- across jobs ----------------------------------------------------------------------

def test_the_callers_jobs_that_fire_in_the_next_hours_in_time_order(alice, bob):
    every6 = job(alice, {"schedule_interval": "6 hours",
                         "schedule_start_date": "2026-11-27T01:00:00"}, description="six")
    nightly = job(alice, {"schedule_hour": "23", "schedule_minute": "30"}, description="night")
    once = job(alice, {"schedule_date": "2026-11-27T08:00:00"}, description="once")
    later = job(alice, {"schedule_date": "2026-11-29T08:00:00"})
    stopped = job(alice, {"schedule_interval": "1 hours"})
    alice.patch(f"/v1/jobs/{stopped}", {"job_schedule": {"status": "stop"}})
    job(alice, {})  # no schedule: no fire time to state
    job(bob, {"schedule_interval": "1 hours"})

    body = alice.get("/v1/forecast?hours=12").get_json()
    assert body["from"] == "2026-11-27T02:00:00Z" and body["to"] == "2026-11-27T14:00:00Z"
    assert [(e["time"], e["job_id"]) for e in body["forecast"]] == [
        ("2026-11-27T07:00:00Z", every6), ("2026-11-27T08:00:00Z", once),
        ("2026-11-27T13:00:00Z", every6)]
    assert body["forecast"][0]["description"] == "six" and body["truncated"] is False

    day = [(e["time"], e["job_id"]) for e in alice.get("/v1/forecast?hours=24").get_json()["forecast"]]
    assert ("2026-11-27T23:30:00Z", nightly) in day and later not in {j for _, j in day}


def test_the_fleet_forecast_is_limited_and_says_so(alice):
    for _ in range(3):
        job(alice, {"schedule_interval": "1 hours", "schedule_start_date": "2026-11-27T02:30:00"})
    body = alice.get("/v1/forecast?hours=24&limit=5").get_json()
    assert len(body["forecast"]) == 5 and body["truncated"] is True
    assert [e["time"] for e in body["forecast"]] == ["2026-11-27T02:30:00Z"] * 3 + \
        ["2026-11-27T03:30:00Z"] * 2


@pytest.mark.parametrize("query", ["hours=-1", "hours=745", "hours=x", "limit=0",
                                   "limit=10001"])
def test_bad_forecast_windows_are_400(alice, query):
    r = alice.get(f"/v1/forecast?{query}")
    assert r.status_code == 400 and r.get_json()["title"]


def test_the_new_endpoints_are_in_the_openapi_document(alice):
    paths = alice.get("/v1/openapi.json").get_json()["paths"]
    for path in ("/v1/jobs/{job_id}/forecast", "/v1/forecast", "/v1/jobs/{job_id}/runs",
                 "/v1/clients/{client_id}/status"):
        assert "get" in paths[path], path


def test_the_fleet_forecast_reads_each_active_jobs_document_once(alice, monkeypatch):
    import json
    for hours in (1, 2, 3, 4):
        job(alice, {"schedule_interval": f"{hours} hours"})
    stopped = job(alice, {"schedule_interval": "1 hours"})
    alice.patch(f"/v1/jobs/{stopped}", {"job_schedule": {"status": "stop"}})
    parsed = []
    original = json.loads

    def counting(text, *args, **kwargs):
        value = original(text, *args, **kwargs)
        if isinstance(value, dict) and "job_schedule" in value:
            parsed.append(value["job_id"])
        return value

    monkeypatch.setattr(json, "loads", counting)
    body = alice.get("/v1/forecast?hours=24").get_json()
    assert len({e["job_id"] for e in body["forecast"]}) == 4
    # the stopped job is left out in SQL; each of the others is parsed once
    assert sorted(parsed) == sorted({e["job_id"] for e in body["forecast"]})


def test_a_zero_hour_window_is_empty_not_an_error(alice):
    # schemathesis: the documented range includes 0
    alice.create("jobs", job_body(schedule={"schedule_date": "2099-01-01T00:00:00",
                                            "event": "start"}))
    r = alice.get("/v1/forecast?hours=0")
    assert r.status_code == 200
    assert r.get_json()["forecast"] == []
