"""What an operator relies on, end to end: agents report through /v1, the watcher ticks
with the test's clock, a real HTTP receiver checks each signature and counts deliveries."""
import pytest

from app.extensions import db
from app.models import Notice
from tests.builders import client_body, job_body

from .conftest import T0, at, rule, tick, webhook_channel

pytestmark = pytest.mark.usefixtures("frozen")


def report(user, job_id, **schedule):
    r = user.patch(f"/v1/jobs/{job_id}", {"job_schedule": schedule})
    assert r.status_code == 200, r.get_json()


def run(user, job_id, result, start, end):
    at(start)
    report(user, job_id, status="running", result="")
    at(end)
    report(user, job_id, status="completed", result=result)


def types(receiver):
    return [d["payload"]["type"] for d in receiver.deliveries]


def test_a_failure_notifies_once_a_second_failure_adds_nothing_a_success_recovers(alice, receiver):
    channel = webhook_channel("alice", receiver.url)
    rule("alice", "run_failed", [channel])
    job_id = alice.create("jobs", job_body())

    run(alice, job_id, "fail", 0, 10)
    at(20)
    tick()
    assert types(receiver) == ["incident.opened"]
    first = receiver.deliveries[0]["payload"]
    assert first["version"] == 1 and first["count"] == 1
    assert first["incidents"][0]["subject"] == job_id and "fail" in first["incidents"][0]["summary"]
    assert first["rule"]["kind"] == "run_failed" and first["id"] == receiver.keys()[0]

    run(alice, job_id, "fail", 30, 40)    # the same job fails again within the interval
    for t in (50, 200, 400):
        at(t)
        tick()
    assert types(receiver) == ["incident.opened"]

    run(alice, job_id, "success", 500, 510)
    at(520)
    tick()
    at(600)
    tick()
    assert types(receiver) == ["incident.opened", "incident.recovered"]
    assert receiver.deliveries[1]["payload"]["incidents"][0]["cleared_at"] is not None
    assert receiver.bad_signatures == 0
    assert len(set(receiver.keys())) == 2


def test_an_ordinary_success_writes_nothing_to_the_outbox(alice, receiver):
    from app.models import OutboxEvent
    job_id = alice.create("jobs", job_body())
    run(alice, job_id, "success", 0, 10)
    assert db.session.query(OutboxEvent).count() == 0


def test_many_failures_at_once_make_one_notice_per_channel(alice, receiver):
    channel = webhook_channel("alice", receiver.url)
    rule("alice", "run_failed", [channel])
    jobs = [alice.create("jobs", job_body()) for _ in range(25)]
    for job_id in jobs[:5]:
        run(alice, job_id, "fail", 0, 5)
    at(10)
    tick()                                 # the first five, at once
    for job_id in jobs[5:]:
        run(alice, job_id, "aborted", 20, 25)
    for t in (30, 40, 50):                 # inside the grouping interval: held back
        at(t)
        tick()
    assert [d["payload"]["count"] for d in receiver.deliveries] == [5]
    at(75)
    tick()
    assert [d["payload"]["count"] for d in receiver.deliveries] == [5, 20]
    assert {i["subject"] for i in receiver.deliveries[1]["payload"]["incidents"]} == set(jobs[5:])


def test_a_silent_client_after_the_threshold_and_back_when_it_polls(alice, receiver):
    channel = webhook_channel("alice", receiver.url)
    rule("alice", "silent_client", [channel], threshold=600)
    alice.create("clients", client_body("node-7"))
    alice.create("jobs", job_body("node-7", schedule={"schedule_interval": "1 hours",
                                                     "schedule_start_date": "2026-11-27T00:00:00"}))
    at(500)
    tick()
    assert receiver.deliveries == []
    at(700)
    tick()
    assert types(receiver) == ["incident.opened"]
    assert receiver.deliveries[0]["payload"]["incidents"][0]["subject"] == "node-7"
    at(800)
    assert alice.get("/v1/jobs?client_id=node-7").status_code == 200   # the agent polls
    at(810)
    tick()
    assert types(receiver) == ["incident.opened", "incident.recovered"]


def test_a_silent_client_without_active_jobs_is_not_noticed(alice, receiver):
    rule("alice", "silent_client", [webhook_channel("alice", receiver.url)], threshold=600)
    alice.create("clients", client_body("idle"))
    at(5000)
    tick()
    assert receiver.deliveries == []


def test_a_missed_schedule_after_its_grace_and_its_recovery(alice, receiver):
    rule("alice", "missed_schedule", [webhook_channel("alice", receiver.url)], threshold=300)
    # a one-shot date 800 s after T0 (2026-11-27T01:46:40Z)
    job_id = alice.create("jobs", job_body(schedule={"schedule_date": "2026-11-27T02:00:00"}))
    at(1000)
    tick()
    assert receiver.deliveries == []
    at(1200)
    tick()
    assert types(receiver) == ["incident.opened"]
    assert "did not start" in receiver.deliveries[0]["payload"]["incidents"][0]["summary"]
    at(1300)
    report(alice, job_id, status="running", result="")
    at(1310)
    tick()
    assert types(receiver) == ["incident.opened", "incident.recovered"]


def test_a_stuck_run_past_the_maximum_and_past_its_typical_length(alice, receiver):
    rule("alice", "stuck_run", [webhook_channel("alice", receiver.url)], threshold=7200,
         factor=3)
    job_id = alice.create("jobs", job_body())
    for start in (0, 1000, 2000):          # typical run: 100 s
        run(alice, job_id, "success", start, start + 100)
    at(3000)
    report(alice, job_id, status="running", result="")
    at(3250)
    tick()
    assert receiver.deliveries == []       # 250 s: not yet past the 300 s floor
    at(3400)
    tick()
    assert types(receiver) == ["incident.opened"]
    assert "typical" in receiver.deliveries[0]["payload"]["incidents"][0]["summary"]


def test_a_failed_session_round(alice, receiver):
    rule("alice", "session_failed", [webhook_channel("alice", receiver.url)])
    job_id = alice.create("jobs", job_body())
    session_id = alice.create("sessions", {"description": "nightly",
                                          "schedule": {"schedule_interval": "1 days"}})
    assert alice.put(f"/v1/sessions/{session_id}/jobs/{job_id}").status_code == 204
    at(100)
    assert alice.post(f"/v1/sessions/{session_id}/action",
                      {"start": {"job_id": job_id, "current_tag": 0}}).status_code == 202
    at(200)
    assert alice.post(f"/v1/sessions/{session_id}/action",
                      {"end": {"job_id": job_id, "current_tag": 1, "result": "fail"}}
                      ).status_code == 202
    at(210)
    tick()
    assert types(receiver) == ["incident.opened"]
    assert receiver.deliveries[0]["payload"]["incidents"][0]["subject"] == session_id


def test_a_receiver_failing_three_times_gets_it_on_the_fourth_try_once(alice, receiver):
    receiver.answers = [500, 500, 500]
    rule("alice", "run_failed", [webhook_channel("alice", receiver.url)])
    job_id = alice.create("jobs", job_body())
    run(alice, job_id, "fail", 0, 10)
    for t in (20, 25, 50, 60, 110, 150, 230, 300, 1000, 5000):   # backoff 30, 60, 120 s
        at(t)
        tick()
    keys = receiver.keys()
    assert len(keys) == 4 and len(set(keys)) == 1
    notice = db.session.query(Notice).one()
    assert notice.status == "sent" and notice.attempts == 4 and notice.key == keys[0]
    assert notice.last_error is None


def test_a_receiver_that_never_answers_well_is_given_up_with_the_error(alice, receiver, app):
    app.config["NOTIFY_MAX_ATTEMPTS"] = 3
    receiver.answers = [503] * 10
    rule("alice", "run_failed", [webhook_channel("alice", receiver.url)])
    run(alice, alice.create("jobs", job_body()), "fail", 0, 10)
    for t in (20, 60, 200, 1000, 5000):
        at(t)
        tick()
    notice = db.session.query(Notice).one()
    assert notice.status == "failed" and notice.attempts == 3 and "HTTP 503" in notice.last_error
    assert len(receiver.keys()) == 3


def test_a_rolled_back_change_notifies_nothing(alice, receiver):
    rule("alice", "run_failed", [webhook_channel("alice", receiver.url)])
    job_id = alice.create("jobs", job_body())
    at(0)
    report(alice, job_id, status="running", result="")
    at(10)
    # a bad patch in the same request as the result: refused, so nothing is written
    r = alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "completed",
                                                            "result": "fail"},
                                           "job_actions": "nonsense"})
    assert r.status_code == 400
    at(20)
    tick()
    assert receiver.deliveries == []


def test_metrics_count_notices_failed_deliveries_open_incidents_and_the_last_tick(
        alice, receiver, client):
    from tests.ops.test_metrics import scrape, value
    receiver.answers = [500, 500]
    rule("alice", "run_failed", [webhook_channel("alice", receiver.url)])
    run(alice, alice.create("jobs", job_body()), "fail", 0, 10)
    for t in (20, 50, 110):
        at(t)
        tick()
    samples = scrape(client)
    assert value(samples, "freezer_notices_total", status="sent", kind="opened") == 1
    assert value(samples, "freezer_notice_delivery_failures_total") == 2
    assert value(samples, "freezer_incidents_open", kind="run_failed") == 1
    assert value(samples, "freezer_incidents_open", kind="silent_client") == 0
    assert value(samples, "freezer_watcher_last_tick_timestamp_seconds") == T0 + 110


def test_a_session_round_open_past_its_expected_end(alice, receiver):
    rule("alice", "session_overdue", [webhook_channel("alice", receiver.url)], threshold=600)
    job_id = alice.create("jobs", job_body())
    run(alice, job_id, "success", 0, 300)   # the job's typical run: 300 s
    session_id = alice.create("sessions", {"description": "nightly",
                                           "schedule": {"schedule_interval": "1 days"}})
    assert alice.put(f"/v1/sessions/{session_id}/jobs/{job_id}").status_code == 204
    at(1000)
    assert alice.post(f"/v1/sessions/{session_id}/action",
                      {"start": {"job_id": job_id, "current_tag": 0}}).status_code == 202
    at(1850)                                # 300 s typical + 600 s margin not yet passed
    tick()
    assert receiver.deliveries == []
    at(1950)
    tick()
    assert types(receiver) == ["incident.opened"]
    assert "expected to end by" in receiver.deliveries[0]["payload"]["incidents"][0]["summary"]
    at(2000)
    assert alice.post(f"/v1/sessions/{session_id}/action",
                      {"end": {"job_id": job_id, "current_tag": 1, "result": "success"}}
                      ).status_code == 202
    at(2100)
    tick()
    assert types(receiver) == ["incident.opened", "incident.recovered"]


def test_a_reminder_after_the_configured_time_while_the_incident_stays_open(alice, receiver):
    rule("alice", "run_failed", [webhook_channel("alice", receiver.url)], remind_after=600)
    job_id = alice.create("jobs", job_body())
    run(alice, job_id, "fail", 0, 10)
    for t in (20, 300, 600):
        at(t)
        tick()
    assert types(receiver) == ["incident.opened"]
    at(700)                                  # 600 s after the first notice
    tick()
    assert types(receiver) == ["incident.opened", "incident.reminder"]
    at(1000)
    tick()
    assert len(receiver.deliveries) == 2     # the next one is due 600 s after this one
    at(1400)
    tick()
    assert types(receiver)[-1] == "incident.reminder" and len(receiver.deliveries) == 3


def test_a_failing_job_that_is_deleted_ends_its_incident(alice, receiver):
    rule("alice", "run_failed", [webhook_channel("alice", receiver.url)])
    job_id = alice.create("jobs", job_body())
    run(alice, job_id, "fail", 0, 10)
    at(20)
    tick()
    assert alice.delete(f"/v1/jobs/{job_id}").status_code == 204
    at(100)
    tick()
    assert types(receiver) == ["incident.opened", "incident.recovered"]
