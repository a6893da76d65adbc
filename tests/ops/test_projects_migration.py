"""0005_projects on a database written before projects: every row gets the project of the
account with its user id, else the user id itself; ids become unique per project."""
import json

from sqlalchemy import create_engine, text

from .conftest import migrate

NOW = "2026-11-27 00:00:00"


def _insert(conn, table, **row):
    names = ", ".join(row)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in row)})"),
                 row)


def _job(job_id, user_id):
    return dict(user_id=user_id, job_id=job_id, version=1, created_at=NOW, updated_at=NOW,
                doc=json.dumps({"job_id": job_id, "user_id": user_id, "job_actions": [],
                                "job_schedule": {}}))


def test_old_documents_get_their_owners_project(fresh_database_url):
    url = fresh_database_url
    migrate(url, "0004")
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            _insert(conn, "users", user_id="u-alice", username="alice", password_hash="x",
                    is_admin=False, created_at=NOW)
            _insert(conn, "jobs", **_job("j1", "u-alice"))
            _insert(conn, "jobs", **_job("j1", "keystone-user"))  # same id, another owner
            _insert(conn, "runs", user_id="keystone-user", job_id="j1", started_at=NOW,
                    backup_count=0, backups="[]")
            _insert(conn, "clients", user_id="u-alice", client_id="c1", version=1,
                    created_at=NOW, updated_at=NOW,
                    doc=json.dumps({"client": {"client_id": "c1"}, "user_id": "u-alice"}))
        migrate(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT project_id FROM users")).scalar() == "u-alice"
            jobs = dict(conn.execute(text("SELECT user_id, project_id FROM jobs")).all())
            assert jobs == {"u-alice": "u-alice", "keystone-user": "keystone-user"}
            assert conn.execute(text("SELECT project_id FROM runs")).scalar() == "keystone-user"
            assert conn.execute(text("SELECT project_id, is_central FROM clients")).one() \
                == ("u-alice", False)
        # ids are unique per project now
        with engine.begin() as conn:
            try:
                _insert(conn, "jobs", **dict(_job("j1", "u-bob"), project_id="u-alice"))
            except Exception as exc:  # IntegrityError, whatever the driver calls it
                assert "unique" in str(exc).lower() or "duplicate" in str(exc).lower()
            else:
                raise AssertionError("a second j1 in project u-alice was stored")
    finally:
        engine.dispose()
