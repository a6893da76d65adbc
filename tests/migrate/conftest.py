"""Stores to move: one filled through the API (the test database), and an empty database
on the other engine (MariaDB when the suite runs on SQLite, SQLite when it runs on MariaDB)."""
import contextlib
import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from app import clock
from tests.builders import ApiUser, api_token, backup_body, client_body, job_body, operator
from tests.ops.conftest import BIN, fresh_database_url, migrate, run  # noqa: F401

MANAGE = os.path.join(BIN, "freezer-manage")
MARIADB = "mysql+mysqldb://root@127.0.0.1:3306/{}?charset=utf8mb4"
T0 = 1795744000


def manage(url, *args, **env):
    return run([MANAGE, *args], url, **env)


@contextlib.contextmanager
def other_engine_database(directory):
    """An empty, migrated database on the engine the suite does not run on. MariaDB absent
    (nothing answers on 127.0.0.1:3306): skipped, as tests.throwaway_db skips its run."""
    if (os.environ.get("TEST_DATABASE_URL") or "").startswith("mysql"):
        url = f"sqlite:///{directory / 'other.sqlite'}"
        migrate(url)
        yield url
        return
    try:
        import MySQLdb
        MySQLdb.connect(host="127.0.0.1", port=3306, user="root", passwd="",
                        connect_timeout=3).close()
    except Exception as exc:  # noqa: BLE001 - any failure means "no MariaDB here"
        pytest.skip(f"MariaDB does not answer on 127.0.0.1:3306 ({exc})")
    name = f"freezer_move_{uuid.uuid4().hex[:12]}"
    admin = create_engine(MARIADB.format(""))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    try:
        url = MARIADB.format(name)
        migrate(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


@pytest.fixture
def other_database(tmp_path):
    with other_engine_database(tmp_path) as url:
        yield url


def fill(app, client, project="tenant-a"):
    """Something of every kind: an operator with a token, clients, actions, a job that ran
    (run history), backups, a session with a member, all in `project` (v2) and as v1."""
    with app.app_context():
        operator("carol", user_id="carol", project_id=project)
        api_token("carol")
        from app.extensions import db
        from app.models.setting import Setting
        db.session.add(Setting(name="next_run_timezone", value="Europe/Paris"))
        db.session.commit()
    v1 = ApiUser(client, "carol", project_id=project)
    clock.freeze(T0 + 0.123456)  # timestamps with microseconds must survive
    v1.create("clients", client_body())
    action_id = v1.create("actions", {"freezer_action": {"action": "backup", "mode": "fs",
                                                         "backup_name": "étoile"},
                                      "max_retries": 2})
    job_id = v1.create("jobs", job_body(description="nightly ☃"))
    r = v1.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running", "result": "",
                                                        "time_started": T0}})
    assert r.status_code == 200, r.get_json()
    clock.freeze(T0 + 30.5)
    assert v1.post("/v1/backups/", backup_body(job_id=job_id)).status_code == 201
    v1.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "scheduled",
                                                    "result": "success"}})
    session_id = v1.create("sessions", {"description": "group", "hold_off": 10,
                                        "schedule": {"schedule_interval": "1 days"}})
    assert v1.put(f"/v1/sessions/{session_id}/jobs/{job_id}").status_code in (200, 204)
    other = ApiUser(client, "dave", project_id="tenant-b")
    other.create("jobs", job_body(client_id="other_node"))
    clock.freeze(None)
    return {"action_id": action_id, "job_id": job_id, "session_id": session_id}
