"""MariaDB/MySQL: the autocommit connection a thread keeps for its reads between requests
(app/connection.py `_Kept`): reads in steady use skip the pool, and the pool's rules still
apply when they matter: after an idle second (pinged, replaced when it does not answer),
after a lost connection (replaced), after KEEP_FOR (recycling), and one kept connection
per thread whatever the apps."""
import pytest
from sqlalchemy import event

from app import connection, create_app
from app.extensions import db
from tests.builders import job_body


@pytest.fixture(autouse=True)
def mariadb_only(app):
    if connection.AUTOCOMMIT_READS_KEY not in app.extensions:
        pytest.skip("SQLite reads have no autocommit pool (no round trips to save)")
    connection._kept.give_back()  # from an earlier test's app
    yield
    connection._kept.give_back()


@pytest.fixture
def checkouts(app):
    """Each checkout of the reads' pool, with the DBAPI connection it handed out."""
    seen = []
    pool = app.extensions[connection.AUTOCOMMIT_READS_KEY].pool

    def checked_out(dbapi_connection, _record, _proxy):
        seen.append(dbapi_connection)

    event.listen(pool, "checkout", checked_out)
    yield seen
    event.remove(pool, "checkout", checked_out)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(connection, "time", fake)
    return fake


def test_reads_in_steady_use_take_one_connection_from_the_pool(alice, checkouts):
    job_id = alice.create("jobs", job_body())
    for _ in range(5):
        assert alice.get(f"/v1/jobs/{job_id}").status_code == 200
        assert alice.get("/v1/jobs").status_code == 200
    assert len(checkouts) == 1


def kill(app, raw) -> None:
    """Close `raw`'s session from the server's side, as a restart, failover or timeout does."""
    cursor = raw.dbapi_connection.cursor()
    cursor.execute("SELECT CONNECTION_ID()")
    (thread_id,) = cursor.fetchone()
    cursor.close()
    with app.app_context(), db.engine.connect() as other:
        other.exec_driver_sql(f"KILL CONNECTION {int(thread_id)}")


def test_a_connection_idle_for_a_second_is_pinged_and_kept_when_it_answers(alice, checkouts,
                                                                           clock, monkeypatch):
    job_id = alice.create("jobs", job_body())
    pings = []
    real = connection._answers
    monkeypatch.setattr(connection, "_answers", lambda e, r: pings.append(r) or real(e, r))
    assert alice.get(f"/v1/jobs/{job_id}").status_code == 200
    clock.now += connection.PING_AFTER_IDLE / 2
    assert alice.get(f"/v1/jobs/{job_id}").status_code == 200
    assert pings == []  # in steady use: no round trip added
    clock.now += connection.PING_AFTER_IDLE * 2
    assert alice.get(f"/v1/jobs/{job_id}").status_code == 200
    assert len(pings) == 1 and len(checkouts) == 1


def test_a_connection_lost_while_idle_is_replaced_before_the_read(app, alice, checkouts, clock):
    """After a quiet spell during which the database restarted (or closed the connection),
    the first read is answered, not refused."""
    job_id = alice.create("jobs", job_body())
    assert alice.get(f"/v1/jobs/{job_id}").status_code == 200
    kill(app, connection._kept.raw)
    clock.now += connection.PING_AFTER_IDLE * 2
    assert alice.get(f"/v1/jobs/{job_id}").status_code == 200
    assert len(checkouts) == 2 and checkouts[1] is not checkouts[0]


def test_a_connection_in_use_goes_back_after_keep_for(alice, checkouts, clock):
    job_id = alice.create("jobs", job_body())
    steps = int(connection.KEEP_FOR / (connection.PING_AFTER_IDLE / 2)) + 2
    for _ in range(steps):
        assert alice.get(f"/v1/jobs/{job_id}").status_code == 200
        clock.now += connection.PING_AFTER_IDLE / 2
    assert len(checkouts) == 2  # back to the pool once, so its pool_recycle applies


def test_a_lost_connection_answers_503_once_then_reads_work_again(app, alice, checkouts):
    job_id = alice.create("jobs", job_body())
    assert alice.get(f"/v1/jobs/{job_id}").status_code == 200
    kill(app, connection._kept.raw)  # in steady use, as a pooled one: not pinged
    lost = alice.get(f"/v1/jobs/{job_id}")
    assert lost.status_code == 503 and lost.json["title"], lost.text
    assert alice.get(f"/v1/jobs/{job_id}").status_code == 200
    assert len(checkouts) == 2 and checkouts[1] is not checkouts[0]


def test_one_kept_connection_per_thread_whatever_the_apps(app, database_url, alice):
    job_id = alice.create("jobs", job_body())
    assert alice.get(f"/v1/jobs/{job_id}").status_code == 200
    first = app.extensions[connection.AUTOCOMMIT_READS_KEY].pool
    assert first.checkedout() == 1
    other = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                        "AUTH_MODE": "noauth", "SECRET_KEY": "test-secret"})
    answer = other.test_client().get(f"/v1/jobs/{job_id}", headers={"X-User-Id": "alice"})
    assert answer.status_code == 200
    assert first.checkedout() == 0  # given back when the thread read through the other app
    assert other.extensions[connection.AUTOCOMMIT_READS_KEY].pool.checkedout() == 1
    connection._kept.give_back()
    with other.app_context():
        db.engine.dispose()
    other.extensions[connection.AUTOCOMMIT_READS_KEY].dispose()
