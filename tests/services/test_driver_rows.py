"""Document rows read, written and created by the database driver (app/driver_rows.py)
behave as the ORM's own: the values a service sees are those the ORM would load, a row
already in the session is that same object, a write is one UPDATE and leaves nothing for
the commit to flush, Python defaults are applied on create, a row gone underneath is an
error, never a silent no-op, and what does not fit its column is refused (400)."""
from datetime import datetime

import pytest
from sqlalchemy import delete, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app import driver_rows
from app.models import Backup, Job, Run
from app.services import documents
from app.services.errors import ServiceError
from app.services.scope import per_user
from tests.api.test_round_trips import counted
from tests.builders import backup_body, job_body

SCOPE = per_user("alice")


def _columns(obj) -> dict:
    return {prop.key: getattr(obj, prop.key) for prop in inspect(type(obj)).column_attrs}


def _orm_loaded(app, model, pk) -> dict:
    """The row as the ORM loads it, in a session of its own (a read: on SQLite a plain
    BEGIN, which the writing request's lock does not block)."""
    with app.test_request_context(method="GET"), Session(db.engine) as other:
        return _columns(other.get(model, pk))


@pytest.fixture
def job_id(alice):
    return alice.create("jobs", job_body(schedule={"schedule_interval": "1 days",
                                                    "status": "scheduled"}))


@pytest.fixture
def backup_id(alice):
    return alice.create("backups", backup_body())


@pytest.mark.parametrize("model", [Job, Backup])
def test_a_row_loaded_by_the_driver_holds_what_the_orm_loads(app, model, job_id, backup_id):
    doc_id = job_id if model is Job else backup_id
    with app.test_request_context(method="PATCH"):
        for lock in (False, True):
            row = documents.find(model, SCOPE, doc_id, for_update=lock)
            assert inspect(row).persistent and not db.session.dirty
            assert _columns(row) == _orm_loaded(app, model, row.pk)
            db.session.rollback()
            db.session.expunge_all()


def test_a_row_the_session_holds_is_answered_as_that_object(app, job_id):
    with app.test_request_context(method="PATCH"):
        first = db.session.scalars(select(Job).where(Job.job_id == job_id)).one()
        first.avg_duration = 12.5  # pending: flushed before the driver reads (autoflush)
        again = documents.find(Job, SCOPE, job_id, for_update=True)
        assert again is first and not db.session.dirty
        assert documents.find(Job, SCOPE, job_id) is first


def test_a_write_is_one_update_and_leaves_the_commit_nothing_to_flush(app, job_id):
    with app.test_request_context(method="PATCH"):
        row = documents.find(Job, SCOPE, job_id, for_update=True)
        before = row.updated_at
        with counted(app) as seen:
            documents.write(row, {**row.doc, "description": "changed"})
            assert not db.session.dirty and not db.session.is_modified(row)
            db.session.commit()
        updates = [s for s in seen.statements if s.upper().startswith(("UPDATE", "SET"))]
        assert len(updates) == 1 and "jobs" in updates[0], seen
        assert seen.commits == 1, seen
        db.session.expunge_all()
        stored = documents.find(Job, SCOPE, job_id)
        assert stored.doc["description"] == "changed" and stored.version == 2
        assert stored.updated_at >= before  # onupdate applied, as the flush would
        # a change after the write (the run history's facts) is the ORM's, as before
        stored.avg_duration = 30.0
        db.session.commit()
        db.session.expunge_all()
        assert documents.find(Job, SCOPE, job_id).avg_duration == 30.0


def test_a_row_gone_underneath_is_an_error(app, job_id):
    with app.test_request_context(method="PATCH"):
        row = documents.find(Job, SCOPE, job_id, for_update=True)
        table = Job.__table__  # Core: the session does not know it is gone
        db.session.connection().execute(delete(table).where(table.c.pk == row.pk))
        with pytest.raises(StaleDataError):
            documents.write(row, {**row.doc, "description": "lost"})
        db.session.rollback()


def test_a_value_too_large_for_its_column_is_refused_before_it_is_sent(app, job_id):
    with app.test_request_context(method="PATCH"):
        row = documents.find(Job, SCOPE, job_id, for_update=True)
        with counted(app) as seen:
            with pytest.raises(ServiceError) as refused:
                documents.write(row, {**row.doc, "client_id": "c" * 300})
        assert refused.value.status == 400 and "client_id" in refused.value.errors
        assert not [s for s in seen.statements if s.upper().startswith(("UPDATE", "SET"))]
        db.session.rollback()


def test_an_insert_applies_the_defaults_and_is_persistent(app):
    with app.test_request_context(method="POST"):
        row = Job(user_id="carol")  # no project: its owner's own (models/document.py)
        row.set_doc(job_body() | {"job_id": "j" * 32, "user_id": "carol"})
        documents.add(row)
        assert inspect(row).persistent and row.pk is not None
        assert (row.project_id, row.version) == ("carol", 1)
        assert row.created_at is not None and row.updated_at is not None
        db.session.commit()
        loaded = _orm_loaded(app, Job, row.pk)
        assert loaded == _columns(row)


def test_an_insert_with_other_changes_pending_keeps_the_orms_order(app, job_id):
    with app.test_request_context(method="POST"):
        held = documents.find(Job, SCOPE, job_id)
        held.avg_duration = 7.0  # pending when the new row is stored
        row = SCOPE.stamp(Job)
        row.set_doc(job_body() | {"job_id": "k" * 32, "user_id": "alice"})
        documents.add(row)
        db.session.commit()
        assert _orm_loaded(app, Job, held.pk)["avg_duration"] == 7.0
        assert _orm_loaded(app, Job, row.pk)["job_id"] == "k" * 32


def test_an_insert_that_a_concurrent_one_beat_is_a_conflict(app, job_id):
    with app.test_request_context(method="POST"):
        row = SCOPE.stamp(Job)
        row.set_doc(job_body() | {"job_id": job_id, "user_id": "alice"})  # taken
        with pytest.raises(IntegrityError):
            documents.add(row)
        db.session.rollback()


def test_new_rows_are_inserted_in_the_order_they_were_added(app, job_id):
    """pk is the creation order lists page by: several rows flushed at once keep it."""
    with app.test_request_context(method="POST"):
        job = documents.find(Job, SCOPE, job_id, for_update=True)
        runs = [Run(user_id="alice", project_id="alice", job_id=job_id,
                    started_at=datetime(2026, 12, 1, 3, i)) for i in range(3)]
        for run in runs:
            db.session.add(run)
        job.avg_duration = 60.0  # and a changed row beside them
        with counted(app) as seen:
            driver_rows.flush()
        assert [s.split()[0].upper() for s in seen.statements] == \
            ["INSERT", "INSERT", "INSERT", "UPDATE"], seen
        assert runs[0].pk < runs[1].pk < runs[2].pk
        assert not db.session.new and not db.session.dirty
        assert all(inspect(run).persistent for run in runs)
        assert (runs[0].backup_count, runs[0].backups) == (0, [])  # defaults, as the ORM's
        db.session.commit()
        assert [r["started_at"].minute for r in (_orm_loaded(app, Run, run.pk) for run in runs)] \
            == [0, 1, 2]
        assert _orm_loaded(app, Job, job.pk)["avg_duration"] == 60.0


def test_a_delete_pending_leaves_the_flush_to_the_orm(app, job_id, backup_id):
    with app.test_request_context(method="DELETE"):
        backup = documents.find(Backup, SCOPE, backup_id, for_update=True)
        job = documents.find(Job, SCOPE, job_id, for_update=True)
        db.session.delete(backup)
        job.avg_duration = 5.0
        driver_rows.flush()
        assert not db.session.dirty and not db.session.deleted
        db.session.commit()
        assert documents.find(Backup, SCOPE, backup_id) is None
        assert _orm_loaded(app, Job, job.pk)["avg_duration"] == 5.0
