"""0010_action_library sorts stored actions into library entries and jobs' copies: a copy
is named by a job and stored with it (or after); an action made before the job that uses
it, or named by no job, stays in the library."""
import json
from datetime import datetime, timedelta

from sqlalchemy import create_engine, text

from tests.ops.conftest import fresh_database_url, migrate  # noqa: F401 (fixture)

T0 = datetime(2026, 11, 1, 2, 0, 0)


def _action(conn, pk, action_id, at):
    conn.execute(text(
        "INSERT INTO actions (pk, user_id, project_id, version, doc, created_at, updated_at, "
        "action_id) VALUES (:pk, 'alice', 'p1', 1, :doc, :at, :at, :id)"),
        {"pk": pk, "id": action_id, "at": at,
         "doc": json.dumps({"action_id": action_id, "freezer_action": {"action": "backup"}})})


def _job(conn, pk, job_id, action_ids, at):
    doc = {"job_id": job_id, "job_actions": [{"action_id": a, "freezer_action": {}}
                                             for a in action_ids]}
    conn.execute(text(
        "INSERT INTO jobs (pk, user_id, project_id, version, doc, created_at, updated_at, "
        "job_id) VALUES (:pk, 'alice', 'p1', 1, :doc, :at, :at, :id)"),
        {"pk": pk, "id": job_id, "at": at, "doc": json.dumps(doc)})


def test_copies_leave_the_library_entries_stay(fresh_database_url):  # noqa: F811
    migrate(fresh_database_url, "0009_edit_versions")
    engine = create_engine(fresh_database_url)
    with engine.begin() as conn:
        _action(conn, 1, "made-first", T0)                          # library, used later
        _action(conn, 2, "never-used", T0)                          # library
        _action(conn, 3, "job-copy", T0 + timedelta(hours=1))       # stored with job a
        _action(conn, 4, "edit-copy", T0 + timedelta(hours=5))      # a later edit of job a
        _action(conn, 5, "restore-copy", T0 + timedelta(hours=2))   # stored with job b
        _job(conn, 1, "a", ["made-first", "job-copy", "edit-copy"],
             T0 + timedelta(hours=1, milliseconds=3))
        _job(conn, 2, "b", ["restore-copy"], T0 + timedelta(hours=2, milliseconds=2))
    engine.dispose()
    migrate(fresh_database_url)
    engine = create_engine(fresh_database_url)
    with engine.connect() as conn:
        flags = dict(conn.execute(text("SELECT action_id, in_library FROM actions")).all())
    engine.dispose()
    assert {k: bool(v) for k, v in flags.items()} == {
        "made-first": True, "never-used": True, "job-copy": False, "edit-copy": False,
        "restore-copy": False}
