"""app/db.py: a request whose transaction loses a write conflict (InnoDB deadlock, Galera
certification failure: error 1213) is replayed whole, a bounded number of times, before it
answers; other database errors answer 503 at once. The conflicts are simulated at the
commit (where Galera reports a failed certification) and inside a view (where InnoDB
reports a deadlock); tests/cluster/ meets real ones on a Galera cluster."""
import threading

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session as OrmSession

from app.extensions import db
from app.services import backups as backup_service
from tests.builders import ApiUser, backup_body, client_body, job_body

DEADLOCK = (1213, "Deadlock found when trying to get lock; try restarting transaction")
GONE = (2006, "Server has gone away")


class DriverError(Exception):
    pass


def db_error(args):
    return OperationalError("COMMIT", {}, DriverError(*args))


@pytest.fixture
def commits(monkeypatch):
    """Counts commits and lets a test make the next ones fail (as the database would)."""
    real = OrmSession.commit
    state = {"calls": 0, "fail": [], "before_failing": None}

    def commit(session):
        state["calls"] += 1
        if state["fail"]:
            error = state["fail"].pop(0)
            session.rollback()  # the database rolled the loser back whole
            if state["before_failing"]:
                hook, state["before_failing"] = state["before_failing"], None
                hook()
            raise db_error(error)
        return real(session)

    monkeypatch.setattr(OrmSession, "commit", commit)
    return state


def backup_ids(alice):
    r = alice.get("/v1/backups?limit=100")
    return [b["backup_id"] for b in r.get_json()["backups"]]


def client_ids(alice):
    return [c["client"]["client_id"] for c in alice.get("/v1/clients").get_json()["clients"]]


# The commits failed below are the session's: a client's registration, and a session's end
# that ends its round, commit through it on both engines (a backup POST is one INSERT in
# autocommit on MariaDB, and so is a start or an end that ends nothing: no COMMIT)

def test_a_commit_that_loses_a_conflict_is_replayed_and_written_once(alice, commits):
    commits["fail"] = [DEADLOCK]
    r = alice.post("/v1/clients/", client_body())
    assert r.status_code == 201, r.get_json()
    assert commits["calls"] == 2  # the lost one and the replay's
    assert client_ids(alice) == [r.get_json()["client_id"]]


def test_the_replay_redoes_the_whole_request_on_what_the_winner_committed(app, client, alice, commits):
    """Agent A's end is the last of its session's round: its transaction ends the round
    (the session, the round kept, the notice) but loses at commit to agent B, whose second
    report of its own end, now a failure, commits first (what Galera's certification decides
    when A and B write through different nodes). Replaying only A's commit would end the
    round a success; replaying A's request reads B's failure and ends it failed, once."""
    sid = alice.create("sessions", {"hold_off": 60, "schedule": {"event": "start"}})
    job_a, job_b = (alice.create("jobs", job_body(client_id=c)) for c in ("c_a", "c_b"))
    for job in (job_a, job_b):
        assert alice.put(f"/v1/sessions/{sid}/jobs/{job}").status_code == 204
    for job in (job_a, job_b):
        assert alice.post(f"/v1/sessions/{sid}/action",
                          {"start": {"job_id": job, "current_tag": 0}}).status_code == 202
    assert alice.post(f"/v1/sessions/{sid}/action", {"end": {
        "job_id": job_b, "current_tag": 1, "result": "success"}}).status_code == 202

    answers = []

    def b_wins():  # another server's request: its own thread, client and contexts
        def run():
            other = ApiUser(app.test_client(), alice.user_id)
            answers.append(other.post(f"/v1/sessions/{sid}/action", {"end": {
                "job_id": job_b, "current_tag": 1, "result": "fail"}}).get_json())
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()

    commits["fail"], commits["before_failing"] = [DEADLOCK], b_wins
    r = alice.post(f"/v1/sessions/{sid}/action", {"end": {
        "job_id": job_a, "current_tag": 1, "result": "success"}})
    assert r.status_code == 202, r.get_json()
    assert answers == [{"result": "success", "session_tag": 1}]  # B's report went first
    session = alice.get(f"/v1/sessions/{sid}").get_json()
    assert session["status"] == "completed" and session["result"] == "fail"
    with app.app_context():  # the lost attempt's round and notice were rolled back with it
        from app.models import OutboxEvent, SessionRound
        rounds = db.session.scalars(db.select(SessionRound.result)
                                    .where(SessionRound.session_id == sid)).all()
        notices = db.session.scalars(db.select(OutboxEvent.result)
                                     .where(OutboxEvent.subject == sid)).all()
    assert rounds == ["fail"] and notices == ["fail"]


def test_a_conflict_inside_the_view_is_replayed(alice, monkeypatch):
    real, calls = backup_service.create_backup, []

    def create(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise db_error(DEADLOCK)
        return real(*args, **kwargs)

    monkeypatch.setattr(backup_service, "create_backup", create)
    r = alice.post("/v1/backups/", backup_body())
    assert r.status_code == 201, r.get_json()
    assert len(calls) == 2
    assert backup_ids(alice) == [r.get_json()["backup_id"]]


def test_replays_are_bounded_then_503_json_and_nothing_written(app, alice, commits):
    attempts = app.config["DB_CONFLICT_ATTEMPTS"]
    commits["fail"] = [DEADLOCK] * 50
    r = alice.post("/v1/clients/", client_body())
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "1"
    assert r.get_json()["title"] == "Service Unavailable"
    assert "conflicted" in r.get_json()["description"]
    assert commits["calls"] == attempts
    commits["fail"] = []
    assert client_ids(alice) == []


def test_other_database_errors_are_not_replayed(alice, commits):
    commits["fail"] = [GONE, GONE]
    r = alice.post("/v1/clients/", client_body())
    assert r.status_code == 503
    assert commits["calls"] == 1
    commits["fail"] = []
    assert client_ids(alice) == []


def test_a_replayed_request_keeps_its_request_id(alice, commits):
    commits["fail"] = [DEADLOCK]
    r = alice.post("/v1/clients/", client_body(), headers={"X-OpenStack-Request-ID": "req-abc"})
    assert r.status_code == 201 and commits["calls"] == 2
    assert r.headers["x-openstack-request-id"] == "req-abc"


def test_a_connection_lost_under_the_request_answers_503_not_500(alice, monkeypatch):
    """The database node died mid-request: the statement failed and so does the rollback
    that follows (seen on the cluster when the writer node was killed)."""
    def create(*args, **kwargs):
        raise db_error((2013, "Lost connection to server during query"))

    real_rollback, rollbacks = OrmSession.rollback, []

    def rollback(session):
        rollbacks.append(1)
        if len(rollbacks) == 1:
            raise db_error((2013, "Lost connection to server during query"))
        return real_rollback(session)

    monkeypatch.setattr(backup_service, "create_backup", create)
    monkeypatch.setattr(OrmSession, "rollback", rollback)
    r = alice.post("/v1/backups/", backup_body())
    assert r.status_code == 503
    assert r.get_json()["title"] == "Service Unavailable"
