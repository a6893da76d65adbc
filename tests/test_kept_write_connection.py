"""MariaDB/MySQL: the connection a thread keeps for its requests' sessions between requests
(app/connection.py `_KeptWrite`): writes in steady use skip the pool; each request is still
its own transaction (committed, or rolled back whole); and the pool's rules apply when they
matter: after an idle second (pinged, replaced when it does not answer), after KEEP_FOR
(recycling), for another app, and for a second session while the first is in a transaction."""
import pytest
from sqlalchemy import event, text

from app import connection
from app.extensions import db
from app.services import jobs as jobs_service
from tests.builders import job_body
from tests.test_kept_read_connection import Clock, kill

RUNNING = {"job_schedule": {"status": "running"}}


def replace(alice, job_id, status="running", description="nightly data"):
    """A write through the request's session: the job replaced (POST /v1/jobs/{id}), its row
    read FOR UPDATE and written back. (A PATCH of the job alone needs no session on
    MariaDB: app/services/unlocked.py.)"""
    return alice.post(f"/v1/jobs/{job_id}", job_body(
        schedule={"schedule_interval": "1 days", "status": status}, description=description))


@pytest.fixture(autouse=True)
def mariadb_only(app):
    if connection.KEPT_WRITES_KEY not in app.extensions:
        pytest.skip("SQLite has no round trips to save: its sessions use the pool")
    connection._kept_write.give_back()  # from an earlier test's app
    yield
    connection._kept_write.give_back()


@pytest.fixture
def sessions_connections(app, monkeypatch):
    """The DBAPI connection each request's session ran its transaction on."""
    seen = []
    real = connection._KeptWrite.bind_for

    def bind_for(self, session, engine):
        bound = real(self, session, engine)
        seen.append(bound.connection.dbapi_connection if bound is not engine else None)
        return bound

    monkeypatch.setattr(connection._KeptWrite, "bind_for", bind_for)
    return seen


@pytest.fixture
def checkouts(app):
    seen = []
    with app.app_context():
        pool = db.engine.pool

    def checked_out(dbapi_connection, _record, _proxy):
        seen.append(dbapi_connection)

    event.listen(pool, "checkout", checked_out)
    yield seen
    event.remove(pool, "checkout", checked_out)


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(connection, "time", fake)
    return fake


def stored_status(app, job_id):
    with app.app_context(), db.engine.connect() as other:  # another connection: committed
        return other.execute(text("SELECT status FROM jobs WHERE job_id = :j"),
                             {"j": job_id}).scalar()


def test_writes_in_steady_use_run_on_one_kept_connection(app, alice, sessions_connections):
    job_id = alice.create("jobs", job_body())
    for status in ("running", "scheduled", "running", "scheduled", "running"):
        answer = alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": status}})
        assert answer.status_code == 200, answer.text
        assert stored_status(app, job_id) == status  # each request committed its own
    used = set(sessions_connections)
    assert len(used) == 1 and None not in used


def test_the_pool_is_not_asked_for_a_connection_by_steady_writes(app, alice, checkouts):
    job_id = alice.create("jobs", job_body())
    assert alice.patch(f"/v1/jobs/{job_id}", RUNNING).status_code == 200
    before = len(checkouts)
    for _ in range(5):
        assert alice.patch(f"/v1/jobs/{job_id}", {"description": "again"}).status_code == 200
    assert len(checkouts) == before


def test_a_request_that_fails_after_writing_leaves_nothing_and_the_next_one_works(
        app, alice, monkeypatch, sessions_connections):
    job_id = alice.create("jobs", job_body())
    real = jobs_service._write

    def write_then_fail(row, doc):
        real(row, doc)  # the UPDATE is sent: the transaction holds it
        raise RuntimeError("after the write")

    monkeypatch.setattr(jobs_service, "_write", write_then_fail)
    failed = replace(alice, job_id)
    assert failed.status_code == 500
    monkeypatch.setattr(jobs_service, "_write", real)
    assert stored_status(app, job_id) != "running"  # rolled back, not left open
    assert not connection._kept_write.conn.in_transaction()
    assert replace(alice, job_id).status_code == 201
    assert stored_status(app, job_id) == "running"
    assert len(set(sessions_connections) - {None}) == 1  # the same connection went on


def test_a_kept_connection_lost_while_idle_is_replaced_before_the_write(
        app, alice, clock, sessions_connections):
    job_id = alice.create("jobs", job_body())
    assert replace(alice, job_id).status_code == 201
    kill(app, connection._kept_write.conn.connection)
    clock.now += connection.PING_AFTER_IDLE * 2
    answer = replace(alice, job_id, description="after a quiet spell")
    assert answer.status_code == 201, answer.text
    assert len(set(sessions_connections)) == 2


def test_in_steady_use_the_kept_connection_is_not_pinged(app, alice, clock, monkeypatch):
    job_id = alice.create("jobs", job_body())
    pings = []
    real = connection._answers
    monkeypatch.setattr(connection, "_answers", lambda e, r: pings.append(r) or real(e, r))
    for _ in range(3):
        assert replace(alice, job_id).status_code == 201
        clock.now += connection.PING_AFTER_IDLE / 2
    write_pings = [p for p in pings if p is connection._kept_write.conn.connection]
    assert write_pings == []
    clock.now += connection.PING_AFTER_IDLE * 2
    assert replace(alice, job_id).status_code == 201
    assert [p for p in pings if p is connection._kept_write.conn.connection]


def test_the_kept_connection_goes_back_to_the_pool_after_keep_for(app, alice, clock,
                                                                  monkeypatch):
    job_id = alice.create("jobs", job_body())
    given_back = []
    real = connection._KeptWrite.give_back

    def give_back(self):
        given_back.append(self.conn)
        real(self)

    monkeypatch.setattr(connection._KeptWrite, "give_back", give_back)
    steps = int(connection.KEEP_FOR / (connection.PING_AFTER_IDLE / 2)) + 2
    for _ in range(steps):
        assert replace(alice, job_id, description="x").status_code == 201
        clock.now += connection.PING_AFTER_IDLE / 2
    assert len(given_back) == 1  # back to the pool once, so its pool_recycle applies
    assert connection._kept_write.conn is not None and not connection._kept_write.conn.closed


def test_a_second_session_during_a_transaction_gets_its_own_connection(app, alice):
    job_id = alice.create("jobs", job_body())
    with app.test_request_context(method="PATCH"):
        outer = db.session()
        outer.execute(text("UPDATE jobs SET event = 'start' WHERE job_id = :j"), {"j": job_id})
        inner = db.session.session_factory()  # e.g. a request made inside a request
        try:
            assert inner.connection().connection.dbapi_connection is not \
                outer.connection().connection.dbapi_connection
        finally:
            inner.close()
        outer.rollback()
        db.session.remove()


def test_a_kept_connection_lost_in_steady_use_answers_503_once_then_writes_work(
        app, alice, sessions_connections):
    job_id = alice.create("jobs", job_body())
    assert replace(alice, job_id).status_code == 201
    kill(app, connection._kept_write.conn.connection)  # not idle: not pinged, as a pooled one
    lost = replace(alice, job_id, description="lost")
    assert lost.status_code == 503 and lost.json["title"], lost.text
    assert replace(alice, job_id, description="next").status_code == 201
    assert alice.get(f"/v1/jobs/{job_id}").json["description"] == "next"
    assert len(set(sessions_connections)) == 2
