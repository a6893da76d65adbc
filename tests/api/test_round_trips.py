"""What the requests agents make constantly cost the database, counted statement by
statement (token mode): an item GET is the identity and the document, and a read commits
nothing. SQLite's own `BEGIN` (app/db.py) is not counted: it is no round trip. Core
statements are seen through the engine's events; those sent by the driver's cursor
(app/connection.py `Prepared`, app/driver_rows.py) where they are sent."""
import contextlib
import re
import time

import pytest
from sqlalchemy import event, select

from app import connection, driver_rows
from app.auth import tokens
from app.extensions import db
from tests.builders import backup_body, client_body, job_body


CAP = re.compile(r"^SET STATEMENT max_statement_time=\S+ FOR ")


@pytest.fixture
def app_config():
    return {"AUTH_MODE": "token"}


class Counter:
    def __init__(self):
        self.statements, self.commits, self.rollbacks = [], 0, 0
        self.texts = []  # the statements whole (`statements` holds their first 90 characters)

    def __repr__(self):
        return f"{self.statements} commits={self.commits} rollbacks={self.rollbacks}"


@contextlib.contextmanager
def counted(app):
    seen = Counter()

    def statement(_conn, _cursor, sql, *_args):
        sql = CAP.sub("", " ".join(sql.split()))  # MariaDB's statement cap, when set
        if sql.upper() not in ("BEGIN", "BEGIN IMMEDIATE"):
            seen.statements.append(sql[:90])
            seen.texts.append(sql)

    def commit(_conn):
        seen.commits += 1

    def rollback(_conn):
        seen.rollbacks += 1

    with app.app_context():
        engine = db.engine
    hooks = [("before_cursor_execute", statement), ("commit", commit), ("rollback", rollback)]
    for name, fn in hooks:
        event.listen(engine, name, fn)
    execute_raw = connection.execute_raw

    def raw(connection_, sql, values, fetch=None):
        statement(None, None, sql)
        return execute_raw(connection_, sql, values, fetch)

    # every statement sent by the driver's cursor (Prepared, driver_rows) goes through it
    connection.execute_raw = driver_rows.execute_raw = raw
    try:
        yield seen
    finally:
        connection.execute_raw = driver_rows.execute_raw = execute_raw
        for name, fn in hooks:
            event.remove(engine, name, fn)


@pytest.fixture
def docs(alice):
    alice.create("clients", client_body())
    job_id = alice.create("jobs", job_body())
    backup_id = alice.create("backups", backup_body())
    return {"job": job_id, "backup": backup_id}


def forget_identities(app):
    with app.app_context():
        app.extensions.get("freezer_live_tokens", {}).clear()


@pytest.mark.parametrize("kind", ["job", "backup"])
def test_an_item_get_is_the_identity_and_the_document_and_commits_nothing(app, alice, docs,
                                                                           kind):
    path = f"/v1/{kind}s/{docs[kind]}"
    forget_identities(app)
    with counted(app) as first:
        assert alice.get(path).status_code == 200
    assert len(first.statements) == 2 and first.commits == 0, first
    assert "api_tokens" in first.statements[0], first
    assert first.rollbacks <= 1, first  # the read's transaction ends once, not twice
    with counted(app) as again:  # within tokens.RECHECK_EVERY: the identity from memory
        assert alice.get(path).status_code == 200
    assert len(again.statements) == 1 and again.commits == 0, again


def test_the_identity_is_looked_up_again_after_a_second(app, alice, docs):
    path = f"/v1/jobs/{docs['job']}"
    assert alice.get(path).status_code == 200
    time.sleep(tokens.RECHECK_EVERY + 0.05)
    with counted(app) as later:
        assert alice.get(path).status_code == 200
    assert any("api_tokens" in s for s in later.statements), later


def test_an_agent_poll_reads_one_page_once_last_seen_is_fresh(app, alice, docs):
    poll = "/v1/jobs/?limit=10&offset=0"
    body = {"match": [{"client_id": "proj_node1"}], "match_not": [{"status": "completed"}]}
    assert alice.get(poll, body).status_code == 200  # last_seen written (at most once a minute)
    with counted(app) as seen:
        r = alice.get(poll, body)
    assert r.status_code == 200 and len(r.get_json()["jobs"]) == 1
    # the page only: the identity and last_seen (next due in a minute) are known
    assert len(seen.statements) == 1 and seen.commits == 0, seen


def test_a_status_patch_commits_once(app, alice, docs):
    with counted(app) as seen:
        r = alice.patch(f"/v1/jobs/{docs['job']}", {"job_schedule": {"status": "running"}})
    assert r.status_code == 200
    assert seen.commits == 1, seen
    # the identity's lookup comes on top once its second is up (the fixture took longer
    # on a loaded host): counted by the tests above, not here
    writes = [s for s in seen.statements if "api_tokens" not in s]
    # the job, its open run, one UPDATE of the job (conditional on the version read) that
    # carries the document and the run's facts together, and the new run's INSERT
    assert len(writes) == 4, seen
    assert [s.split()[0] for s in writes].count("UPDATE") == 1, seen
    assert alice.get(f"/v1/jobs/{docs['job']}/runs").get_json()["runs"][0]["state"] == \
        "running"
    with app.app_context():  # the watcher's fact, written by that same UPDATE
        from app.models import Job
        assert db.session.scalars(select(Job.run_started_at)
                                  .where(Job.job_id == docs["job"])).one() is not None


def test_an_api_answer_has_no_cookie_session(app, alice, docs, client):
    """/v1 takes a token, never a cookie: a dashboard session cookie sent along is neither
    read nor refreshed, and the answer does not vary by cookie (the API opens no session)."""
    with app.test_request_context("/"):
        from flask import session
        session["_user_id"] = "1"
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    for path in (f"/v1/jobs/{docs['job']}", "/v1/jobs"):
        response = alice.get(path)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert "cookie" not in response.headers.get("Vary", "").lower()


def test_a_repeated_status_patch_is_one_read_and_one_conditional_update(app, alice, docs):
    """What an agent sends again and again while it runs (status unchanged, its pid): the
    job read without a lock and written back by one UPDATE conditional on the version
    read; on MariaDB each is its own transaction (autocommit), so nothing is committed
    after them; on SQLite the request's transaction commits once."""
    path = f"/v1/jobs/{docs['job']}"
    assert alice.patch(path, {"job_schedule": {"status": "running"}}).status_code == 200
    with counted(app) as seen:
        r = alice.patch(path, {"job_schedule": {"status": "running", "current_pid": 4242}})
    assert r.status_code == 200
    writes = [s for s in seen.statements if "api_tokens" not in s]
    assert len(writes) == 2, seen
    assert "SELECT jobs." in writes[0] and "FOR UPDATE" not in writes[0], seen
    assert writes[1].startswith("UPDATE jobs SET") and "jobs.version =" in writes[1], seen
    assert (seen.commits, seen.rollbacks) == ((1, 0) if sqlite(app) else (0, 0)), seen
    assert r.get_json()["version"] == 3 and r.headers["ETag"] == '"3"'
    assert alice.get(path).get_json()["job_schedule"]["current_pid"] == 4242


def sqlite(app) -> bool:
    with app.app_context():
        return db.engine.dialect.name == "sqlite"


def test_a_backup_post_is_its_checks_and_one_insert(app, alice, docs):
    """A backup joining no run: one statement asks whether the id is the caller's or taken
    in the project, and whether its job has an open run; then the INSERT. On MariaDB each
    is its own transaction (autocommit), so nothing is committed after them."""
    body = backup_body(backup_name="another", job_id=docs["job"])
    with counted(app) as seen:
        assert alice.post("/v1/backups/", body).status_code == 201
    writes = [s for s in seen.texts if "api_tokens" not in s]
    assert len(writes) == 2, seen
    assert writes[0].upper().count("UNION ALL") == 2 and "FROM runs" in writes[0], seen
    assert writes[1].startswith("INSERT INTO backups"), seen
    assert (seen.commits, seen.rollbacks) == ((1, 0) if sqlite(app) else (0, 0)), seen


def test_a_backup_post_joining_a_run_is_one_insert_naming_it(app, alice, docs):
    """The scheduler posts its backups while the job runs: the backup joins the run by
    naming it in its own INSERT (the run's row is not written), on MariaDB in autocommit
    as one joining none; the run counts it while open and keeps the count at its close."""
    path = f"/v1/jobs/{docs['job']}"
    assert alice.patch(path, {"job_schedule": {"status": "running"}}).status_code == 200
    body = backup_body(backup_name="during", job_id=docs["job"],
                       backup_size_compressed=12)
    with counted(app) as seen:
        assert alice.post("/v1/backups/", body).status_code == 201
    writes = [s for s in seen.statements if "api_tokens" not in s]
    # the id check with the open run's id, the INSERT
    assert [s.split()[0] for s in writes] == ["SELECT", "INSERT"], seen
    assert writes[1].startswith("INSERT INTO backups"), seen
    assert (seen.commits, seen.rollbacks) == ((1, 0) if sqlite(app) else (0, 0)), seen
    run = alice.get(f"{path}/runs").get_json()["runs"][0]
    assert run["state"] == "running" and run["backup_count"] == 1
    assert run["backups"][0]["backup_id"].endswith("during_1795744129_0")
    assert run["backup_size_compressed"] == 12
    assert alice.patch(path, {"job_schedule": {"status": "completed", "result": "success"}}) \
        .status_code == 200
    closed = alice.get(f"{path}/runs").get_json()["runs"][0]
    assert closed["state"] == "ended" and closed["backup_count"] == 1
    assert closed["backups"] == run["backups"] and closed["backup_size_compressed"] == 12