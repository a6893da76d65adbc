"""Migration 0017 on a database with runs open and closed: the backups of a run still open
(posted with its job's id since it opened) name it, so its count goes on from them; runs
closed before keep their columns. Its downgrade counts each open run's columns from its
backups first, so the code before it goes on appending to the right totals."""
import json

from sqlalchemy import create_engine, text

from .conftest import app_on, migrate

BEFORE = "0016_run_backup_totals"


def insert_run(conn, pk, job, ended_at=None, count=0, backups=()):
    conn.execute(text(
        "INSERT INTO runs (pk, user_id, project_id, job_id, started_at, ended_at, result, "
        "backup_count, backups) VALUES (:pk, 'alice', 'alice', :job, '2026-11-27 01:00:00', "
        ":ended, :result, :count, :backups)"),
        {"pk": pk, "job": job, "ended": ended_at, "result": "success" if ended_at else None,
         "count": count, "backups": json.dumps(list(backups))})


def insert_backup(conn, pk, job, created_at, size=None):
    conn.execute(text(
        "INSERT INTO backups (pk, user_id, project_id, version, created_at, updated_at, doc, "
        "backup_id, id_hash, job_id, size_compressed) VALUES (:pk, 'alice', 'alice', 1, "
        ":at, :at, '{}', :id, :hash, :job, :size)"),
        {"pk": pk, "at": created_at, "id": f"b{pk}", "hash": f"{pk:064d}", "job": job,
         "size": size})


def run_pks(conn) -> dict:
    return dict(conn.execute(text("SELECT backup_id, run_pk FROM backups")).all())


def test_an_open_runs_backups_name_it_and_closed_runs_keep_their_columns(fresh_database_url):
    migrate(fresh_database_url, BEFORE)
    engine = create_engine(fresh_database_url)
    try:
        with engine.begin() as conn:
            insert_run(conn, 1, "job1", count=2,
                       backups=[{"backup_id": "b2"}, {"backup_id": "b3"}])  # open
            insert_run(conn, 2, "job2", ended_at="2026-11-27 02:00:00", count=1,
                       backups=[{"backup_id": "b4", "backup_size_compressed": 5}])
            insert_backup(conn, 1, "job1", "2026-11-27 00:30:00")  # before the run opened
            insert_backup(conn, 2, "job1", "2026-11-27 01:10:00", size=1.5)
            insert_backup(conn, 3, "job1", "2026-11-27 01:20:00", size=2)
            insert_backup(conn, 4, "job2", "2026-11-27 01:30:00", size=5)
        migrate(fresh_database_url)
        with engine.connect() as conn:
            assert run_pks(conn) == {"b1": None, "b2": 1, "b3": 1, "b4": None}
        app = app_on(fresh_database_url)
        with app.app_context():
            from app.extensions import db
            from app.models import Run
            from app.services import runs
            open_run, closed = db.session.get(Run, 1), db.session.get(Run, 2)
            facts = runs.backup_facts([open_run, closed])
            assert facts[1]["backup_count"] == 2 and facts[1]["backup_size_compressed"] == 3.5
            assert [b["backup_id"] for b in facts[1]["backups"]] == ["b2", "b3"]
            assert facts[2]["backup_count"] == 1  # its columns, as kept
            db.session.remove()
            db.engine.dispose()
    finally:
        engine.dispose()


def test_the_downgrade_counts_open_runs_from_their_backups(fresh_database_url):
    migrate(fresh_database_url)
    engine = create_engine(fresh_database_url)
    try:
        with engine.begin() as conn:
            insert_run(conn, 1, "job1")  # open, its columns as the new code leaves them
            insert_backup(conn, 1, "job1", "2026-11-27 01:10:00", size=1.5)
            insert_backup(conn, 2, "job1", "2026-11-27 01:20:00")
            conn.execute(text("UPDATE backups SET run_pk = 1"))
        app = app_on(fresh_database_url)
        with app.app_context():
            from flask_migrate import downgrade
            downgrade(revision=BEFORE)
            from app.extensions import db
            db.engine.dispose()
        with engine.connect() as conn:
            count, listed, compressed = conn.execute(text(
                "SELECT backup_count, backups, backup_size_compressed FROM runs")).one()
        assert count == 2 and compressed == 1.5
        assert [b["backup_id"] for b in json.loads(listed)] == ["b1", "b2"]
    finally:
        engine.dispose()
