"""jobs.next_run_at, the stored first fire time behind the fleet forecast: kept in step by
every job write, NULL for jobs that will not fire, refreshed when time has passed it, and a
forecast through the index that answers what expanding every job's schedule answers."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Job, Setting
from app import clock
from app.services import forecast
from app.services.scope import per_user
from tests.builders import job_body

UTC = timezone.utc
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # a Friday


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(NOW.timestamp())


def at(text):
    return datetime.fromisoformat(text)  # naive UTC, as the column stores it


def job(user, schedule, **extra):
    return user.create("jobs", job_body(schedule=schedule, **extra))


def row(app, job_id):
    with app.app_context():
        found = db.session.scalars(select(Job).where(Job.job_id == job_id)).one()
        db.session.expunge(found)
        return found


def test_next_run_at_moves_on_create_patch_and_events(app, alice):
    job_id = job(alice, {"schedule_hour": "3", "schedule_minute": "0"})
    assert row(app, job_id).next_run_at == at("2026-11-27T03:00:00")
    alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"schedule_hour": "5"}})
    assert row(app, job_id).next_run_at == at("2026-11-27T05:00:00")
    assert alice.post(f"/v1/jobs/{job_id}/event", {"stop": None}).status_code in (200, 202)
    assert row(app, job_id).next_run_at is None
    alice.post(f"/v1/jobs/{job_id}/event", {"start": None})
    assert row(app, job_id).next_run_at == at("2026-11-27T05:00:00")
    # the agent's run at 05:00 reports a minute later: the next is tomorrow's
    clock.freeze((NOW + timedelta(hours=3, minutes=1)).timestamp())
    alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running"}})
    assert row(app, job_id).next_run_at == at("2026-11-28T05:00:00")


def test_an_interval_follows_the_last_run_and_a_replace_recomputes(app, alice):
    job_id = job(alice, {"schedule_interval": "6 hours",
                         "schedule_start_date": "2026-11-26T01:00:00"})
    assert row(app, job_id).next_run_at == at("2026-11-27T07:00:00")
    body = job_body(schedule={"schedule_interval": "6 hours", "time_started":
                              int((NOW - timedelta(hours=1)).timestamp())})
    assert alice.post(f"/v1/jobs/{job_id}", body).status_code in (200, 201)
    assert row(app, job_id).next_run_at == at("2026-11-27T07:00:00")
    alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"schedule_interval": "2 hours"}})
    assert row(app, job_id).next_run_at == at("2026-11-27T03:00:00")


@pytest.mark.parametrize("schedule", [
    {"schedule_interval": "1 hours", "status": "stop"},
    {"schedule_hour": "1", "status": "completed", "result": "success"},
    {"schedule_hour": "1", "status": "removed"},
    {"schedule_hour": "1", "event": "abort"},
    {},                                                       # no schedule: runs once
    {"schedule_date": "2026-11-01T00:00:00"},                 # a date that has passed
    {"schedule_interval": "1 days", "schedule_start_date": "2026-01-01T00:00:00",
     "schedule_end_date": "2026-02-01T00:00:00"},             # an interval that has ended
], ids=["stopped", "completed", "removed", "abort requested", "no schedule", "date passed",
        "ended"])
def test_jobs_that_will_not_fire_have_no_next_run(app, alice, schedule):
    job_id = job(alice, schedule)
    assert row(app, job_id).next_run_at is None
    assert alice.get("/v1/forecast?hours=744").get_json()["forecast"] == []


def test_a_row_time_has_passed_is_read_from_now_and_refreshed_without_a_new_version(
        app, alice):
    job_id = job(alice, {"schedule_hour": "3", "schedule_minute": "0"})
    once = job(alice, {"schedule_date": "2026-11-27T02:30:00"})
    before = row(app, job_id)
    clock.freeze((NOW + timedelta(hours=2)).timestamp())  # 04:00: both have fired
    body = alice.get("/v1/forecast?hours=24").get_json()
    assert [(e["time"], e["job_id"]) for e in body["forecast"]] == [
        ("2026-11-28T03:00:00Z", job_id)]
    after = row(app, job_id)
    assert after.next_run_at == at("2026-11-28T03:00:00")
    assert (after.version, after.updated_at) == (before.version, before.updated_at)
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["_version"] == before.version
    assert row(app, once).next_run_at is None  # its date has passed: out of the range


def test_an_interval_without_start_or_run_is_due_now_on_every_request(app, alice):
    job_id = job(alice, {"schedule_interval": "4 hours"})
    clock.freeze((NOW + timedelta(minutes=30)).timestamp())
    times = [e["time"] for e in alice.get("/v1/forecast?hours=9").get_json()["forecast"]]
    assert times == ["2026-11-27T02:30:00Z", "2026-11-27T06:30:00Z", "2026-11-27T10:30:00Z"]
    # no time stored ("now" would be stale at once): a mark that keeps it in the range
    assert row(app, job_id).next_run_at == forecast.DUE_NOW
    # once it ran, its grid follows time_started
    alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {
        "time_started": int((NOW + timedelta(minutes=10)).timestamp())}})
    assert row(app, job_id).next_run_at == at("2026-11-27T06:10:00")


MIXED = [
    {"schedule_hour": "3", "schedule_minute": "0"},
    {"schedule_day_of_week": "mon-fri", "schedule_hour": "22", "schedule_minute": "0"},
    {"schedule_minute": "*/15"},
    {"schedule_hour": "*/4", "schedule_minute": "0"},
    {"schedule_day": "last fri", "schedule_hour": "6"},
    {"schedule_month": "1-6, 9-12", "schedule_day": "*", "schedule_hour": "3"},
    {"schedule_interval": "6 hours", "schedule_start_date": "2026-11-20T01:10:00"},
    {"schedule_interval": "2 hours",
     "schedule_start_date": "2026-11-27T05:00:00"},
    {"schedule_interval": "1 days", "schedule_start_date": "2026-11-01T00:00:00",
     "schedule_end_date": "2026-11-28T00:00:00"},
    {"schedule_interval": "3 hours"},
    {"schedule_date": "2026-11-27T09:45:00"},
    {"schedule_date": "2026-11-27T02:15:00"},
    {"schedule_date": "2026-11-20T00:00:00"},
    {"schedule_hour": "3", "schedule_minute": "0", "status": "stop"},
    {"schedule_hour": "3", "status": "completed", "result": "success"},
    {},
]


def _per_job(app, user_id, now, hours):
    """The reference: every job's own forecast (job_forecast), merged by time, then
    creation order."""
    until = now + timedelta(hours=hours)
    with app.app_context():
        rows = db.session.scalars(select(Job).where(Job.user_id == user_id)).all()
        entries = [(fire, r.pk, r.job_id) for r in rows
                   for fire in forecast.job_forecast(r.doc, forecast.MAX_COUNT, now)["forecast"]
                   if fire <= until]
    return [(fire, job_id) for fire, _, job_id in sorted(entries)]


def _answer(app, user_id, now, hours, limit=None):
    with app.test_request_context("/v1/forecast"):  # a read request: stale rows refreshed
        entries, more = forecast.upcoming_with_more(per_user(user_id), hours, now, limit)
        answer = [(fire, r.job_id) for fire, r in entries]
        db.session.rollback()
    return answer, more


def test_the_indexed_forecast_answers_what_every_jobs_schedule_answers(app, alice, bob):
    for schedule in MIXED * 3:
        job(alice, schedule)
    job(bob, {"schedule_minute": "*/5"})
    for hours_later in (0, 1.5, 7, 30):  # time moves on: rows go stale, are refreshed
        now = NOW + timedelta(hours=hours_later)
        clock.freeze(now.timestamp())
        for hours in (0.5, 24, 72):
            expected = _per_job(app, alice.user_id, now, hours)
            assert expected, (hours_later, hours)
            assert _answer(app, alice.user_id, now, hours) == (expected, False)
            for limit in (1, 10, len(expected) - 1):
                assert _answer(app, alice.user_id, now, hours, limit) == \
                    (expected[:limit], len(expected) > limit), (hours_later, hours, limit)


def test_another_schedule_timezone_is_not_trusted_until_the_refresh(app, alice, monkeypatch):
    job_id = job(alice, {"schedule_hour": "3", "schedule_minute": "0"})
    with app.app_context():
        db.session.add(Setting(name=forecast.ZONE_SETTING, value="UTC"))
        db.session.commit()
    monkeypatch.setitem(app.config, "SCHEDULE_TIMEZONE", "Europe/Paris")  # UTC+1 in November
    # stored 03:00 UTC; in Paris the job fires at 02:00 UTC: the forecast expands schedules
    assert [e["time"] for e in alice.get("/v1/forecast?hours=1").get_json()["forecast"]] \
        == ["2026-11-27T02:00:00Z"]
    result = app.test_cli_runner().invoke(args=["jobs", "refresh-next-run"])
    assert result.exit_code == 0, result.output
    assert row(app, job_id).next_run_at == at("2026-11-27T02:00:00")
    with app.app_context():
        assert db.session.get(Setting, forecast.ZONE_SETTING).value == "Europe/Paris"
        assert forecast.zone_in_step()
    assert [e["time"] for e in alice.get("/v1/forecast?hours=1").get_json()["forecast"]] \
        == ["2026-11-27T02:00:00Z"]


def test_the_window_is_an_index_range_on_user_and_next_run(app, alice, bob):
    with app.app_context():
        # enough rows, owners and fire times that a scan would cost the optimizer more
        for i in range(600):
            owner = ("alice", "bob", "carol")[i % 3]
            r = Job(user_id=owner)
            # a tenth fire within the day, the rest on the 1st of next month
            schedule = {"schedule_minute": str(i % 60), "schedule_hour": str(i % 24)}
            if i % 10:
                schedule["schedule_day"] = "1"
            r.set_doc(dict(job_body(schedule=schedule),
                           job_id=f"j{i}", user_id=owner))
            db.session.add(r)
        db.session.commit()
        engine = db.engine
        stmt = forecast.window_statement(per_user("alice"), NOW.replace(tzinfo=None),
                                         (NOW + timedelta(hours=24)).replace(tzinfo=None),
                                         size=11)
        sql = str(stmt.compile(engine, compile_kwargs={"literal_binds": True}))
        if engine.dialect.name == "sqlite":
            plan = " ".join(str(r[-1]) for r in db.session.execute(
                db.text("EXPLAIN QUERY PLAN " + sql)))
            assert "ix_jobs_user_next_run" in plan and "SCAN" not in plan.replace(
                "USING INDEX", ""), plan
        else:
            db.session.execute(db.text("ANALYZE TABLE jobs"))
            plan = db.session.execute(db.text("EXPLAIN " + sql)).mappings().all()
            assert [p["key"] for p in plan] == ["ix_jobs_user_next_run"], plan
            assert plan[0]["type"] == "range" and "filesort" not in (plan[0]["Extra"] or ""), plan
