"""A session's start and end without a row lock (app/services/sessions.py `act`,
app/services/unlocked.py): the session read, the action decided, one UPDATE conditional on
the version read. What agents rely on: a peer's result written between the read and the
write is never lost (the request is replayed on what is now stored, and the round's end is
noticed and kept once), an agent's round trip costs two statements and no COMMIT on
MariaDB, and a start that changes nothing writes nothing."""
import json

import pytest
from sqlalchemy import create_engine, func, select, text

from app import clock
from app.extensions import db
from app.models import OutboxEvent, Session, SessionRound
from app.services import unlocked
from tests.api.test_round_trips import counted
from tests.builders import job_body

T0 = 1_795_744_000


@pytest.fixture
def app_config():
    return {"AUTH_MODE": "token"}


@pytest.fixture
def round_open(alice):
    """A session of two jobs, round 1 opened by the first job's start (as agents do)."""
    clock.freeze(T0)
    sid = alice.create("sessions", {"description": "nightly", "hold_off": 3600,
                                    "schedule": {"event": "start"}})
    jobs = [alice.create("jobs", job_body(client_id=f"proj_node{i}")) for i in (1, 2)]
    for jid in jobs:
        assert alice.put(f"/v1/sessions/{sid}/jobs/{jid}").status_code == 204
    for jid in jobs:
        assert act(alice, sid, "start", job_id=jid, current_tag=0)["session_tag"] == 1
    return sid, jobs


def act(user, sid, name, **params):
    r = user.post(f"/v1/sessions/{sid}/action", {name: params})
    assert r.status_code == 202, r.get_json()
    return r.get_json()


@pytest.fixture
def peer_ends(database_url, monkeypatch):
    """After the action's first read of its session, the peer job's end is stored and
    committed by another writer (a new version), as the peer agent's request would be."""
    engine = create_engine(database_url)
    real = unlocked.read
    reads, reads_for = [], {}

    def read(model, scope, doc_id):
        draft = real(model, scope, doc_id)
        reads.append(draft._locked)
        if len(reads) == 1:
            doc = json.loads(json.dumps(draft.doc))
            peer = next(j for j in doc["jobs"] if j != reads_for["job"])
            doc["jobs"][peer].update(status="completed", result="success", time_ended=T0)
            with engine.begin() as conn:
                conn.execute(text("UPDATE sessions SET version = version + 1, doc = :doc "
                                  "WHERE session_id = :sid"),
                             {"doc": json.dumps(doc), "sid": doc_id})
        return draft

    monkeypatch.setattr(unlocked, "read", read)
    yield reads, reads_for
    engine.dispose()


def stored(app, sid):
    with app.app_context():
        row = db.session.scalars(select(Session).where(Session.session_id == sid)).one()
        rounds = db.session.scalars(select(SessionRound)
                                    .where(SessionRound.session_id == sid)).all()
        ended = db.session.scalar(select(func.count()).select_from(OutboxEvent)
                                  .where(OutboxEvent.subject == sid))
        return row.doc, row.version, [(r.session_tag, r.result) for r in rounds], ended


def test_an_end_that_lost_its_race_keeps_the_peers_result_and_ends_the_round_once(
        app, alice, mariadb, round_open, peer_ends):
    sid, (first, _second) = round_open
    reads, reads_for = peer_ends
    reads_for["job"] = first
    _, before, _, _ = stored(app, sid)
    assert act(alice, sid, "end", job_id=first, current_tag=1, result="success") == \
        {"result": "success", "session_tag": 1}
    assert reads == [False, True]  # read unlocked, lost to the peer, replayed under the lock
    doc, version, rounds, ended = stored(app, sid)
    assert version == before + 2  # the peer's write, then this one: neither lost
    assert {e["status"] for e in doc["jobs"].values()} == {"completed"}
    assert doc["status"] == "completed" and doc["result"] == "success"
    assert rounds == [(1, "success")] and ended == 1  # the lost attempt's were rolled back


class TestWithoutReplays:
    @pytest.fixture
    def app_config(self):
        return {"AUTH_MODE": "token", "DB_CONFLICT_ATTEMPTS": 1}

    def test_a_lost_race_answers_503_retry_and_writes_nothing(self, app, alice, mariadb,
                                                              round_open, peer_ends):
        sid, (first, _second) = round_open
        reads, reads_for = peer_ends
        reads_for["job"] = first
        r = alice.post(f"/v1/sessions/{sid}/action",
                       {"end": {"job_id": first, "current_tag": 1, "result": "success"}})
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        assert "changed while this request wrote it" in r.get_json()["description"]
        doc, _version, rounds, ended = stored(app, sid)
        assert doc["jobs"][first]["status"] == "running"  # the peer's end only
        assert doc["status"] == "running" and rounds == [] and ended == 0


def test_an_agents_start_and_end_are_a_read_and_an_update_each(app, alice, round_open):
    sid, (first, _second) = round_open
    # the job's end, then its start again (a retried round): each changes its entry
    for name, params in (("end", {"current_tag": 1, "result": "success"}),
                         ("start", {"current_tag": 0})):
        with counted(app) as seen:
            act(alice, sid, name, job_id=first, **params)
        sent = [s.split()[0] for s in seen.statements if "api_tokens" not in s]
        assert sent == ["SELECT", "UPDATE"], seen
        with app.app_context():
            on_mariadb = db.engine.dialect.name != "sqlite"
        # MariaDB: the request's only write is its own transaction (autocommit)
        assert seen.commits == (0 if on_mariadb else 1), seen


def test_a_start_that_changes_nothing_writes_nothing(app, alice, round_open):
    sid, (first, _second) = round_open
    _, version, _, _ = stored(app, sid)
    with counted(app) as seen:  # the same second, already running: nothing to change
        assert act(alice, sid, "start", job_id=first, current_tag=0)["result"] == "success"
    sent = [s.split()[0] for s in seen.statements if "api_tokens" not in s]
    assert sent == ["SELECT"] and seen.commits == 0, seen
    assert stored(app, sid)[1] == version


def test_the_rounds_end_is_written_with_its_notice_and_history_in_one_commit(
        app, alice, round_open):
    sid, (first, second) = round_open
    act(alice, sid, "end", job_id=first, current_tag=1, result="success")
    with counted(app) as seen:
        act(alice, sid, "end", job_id=second, current_tag=1, result="fail")
    sent = [s.split()[0] for s in seen.statements if "api_tokens" not in s]
    assert sent.count("UPDATE") == 1 and sent.count("INSERT") == 2, seen
    assert seen.commits == 1, seen
    doc, _version, rounds, ended = stored(app, sid)
    assert doc["result"] == "fail" and rounds == [(1, "fail")] and ended == 1
