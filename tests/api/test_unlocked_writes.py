"""Writes without a row lock (app/services/unlocked.py). A job's PATCH: read, merged, then
one UPDATE conditional on the version read. What users rely on: no change is ever lost to
a concurrent writer (the request is replayed on what is now stored, under the row's lock),
a run opened by a PATCH that lost is not opened twice, a value that does not fit its column
is a 400 with nothing written, and the actions an agent echoes back are not stored again.
A backup's POST: one INSERT, naming the open run it joins, a duplicate refused by the index."""
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, func, select, text

from app.extensions import db
from app.models import Action, Backup, Job, Run
from app.services import documents, unlocked
from tests.builders import backup_body, client_body, job_body

RUNNING = {"job_schedule": {"status": "running"}}


@pytest.fixture
def another_writer(database_url, monkeypatch):
    """After the PATCH's first read of its job, another writer changes the job (its
    description, a new version) and commits, as a concurrent request would."""
    engine = create_engine(database_url)
    real = unlocked.read
    reads = []

    def read(model, scope, doc_id):
        draft = real(model, scope, doc_id)
        reads.append(draft._locked)
        if len(reads) == 1:
            with engine.begin() as conn:
                conn.execute(text(
                    "UPDATE jobs SET version = version + 1, "
                    "doc = JSON_SET(doc, '$.description', 'changed elsewhere') "
                    "WHERE job_id = :job"), {"job": doc_id})
        return draft

    monkeypatch.setattr(unlocked, "read", read)
    yield reads
    engine.dispose()


def stored(app, job_id):
    with app.app_context():
        row = db.session.scalars(select(Job).where(Job.job_id == job_id)).one()
        runs = db.session.scalars(select(Run).where(Run.job_id == job_id)).all()
        return row.doc, row.version, [(r.ended_at is None) for r in runs]


def test_a_patch_that_lost_its_race_is_replayed_and_keeps_both_changes(
        app, alice, mariadb, another_writer):
    job_id = alice.create("jobs", job_body())
    path = f"/v1/jobs/{job_id}"
    assert alice.patch(path, RUNNING).status_code == 200  # raced too: the run is opened
    before = alice.get(path).get_json()["_version"]
    another_writer.clear()
    r = alice.patch(path, {"job_schedule": {"status": "running", "current_pid": 4242}})
    assert r.status_code == 200, r.get_json()
    # read unlocked, lost to the other writer, replayed with the row locked
    assert another_writer == [False, True]
    doc, version, runs = stored(app, job_id)
    assert doc["description"] == "changed elsewhere"
    assert doc["job_schedule"]["current_pid"] == 4242
    assert version == before + 2 == r.get_json()["version"]  # the other's, then this one
    assert r.headers["ETag"] == f'"{version}"'
    assert runs == [True]


def test_a_run_opening_patch_that_lost_its_race_opens_one_run(app, alice, mariadb,
                                                               another_writer):
    job_id = alice.create("jobs", job_body())
    r = alice.patch(f"/v1/jobs/{job_id}", RUNNING)
    assert r.status_code == 200, r.get_json()
    assert another_writer == [False, True]
    doc, version, runs = stored(app, job_id)
    assert runs == [True]  # the lost attempt's run was rolled back with it
    assert doc["description"] == "changed elsewhere"
    assert doc["job_schedule"]["status"] == "running" and version == 3
    with app.app_context():
        assert db.session.scalars(select(Job.run_started_at)
                                  .where(Job.job_id == job_id)).one() is not None


class TestWithoutReplays:
    @pytest.fixture
    def app_config(self):
        return {"DB_CONFLICT_ATTEMPTS": 1}

    def test_a_lost_race_answers_503_retry_and_writes_nothing(self, app, alice, mariadb,
                                                              another_writer):
        job_id = alice.create("jobs", job_body())
        r = alice.patch(f"/v1/jobs/{job_id}", RUNNING)
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        assert r.get_json()["title"] == "Service Unavailable"
        assert "changed while this request wrote it" in r.get_json()["description"]
        doc, version, runs = stored(app, job_id)
        assert version == 2 and doc["description"] == "changed elsewhere"  # the other's only
        assert doc["job_schedule"]["status"] != "running" and runs == []


@pytest.mark.parametrize("body, field", [
    ({"job_schedule": {"status": "s" * 17}}, "status"),
    ({"job_schedule": {"event": "e" * 17}}, "event"),
    ({"job_schedule": {"result": "r" * 17}}, "result"),
    ({"client_id": "c" * 256}, "client_id"),
])
def test_a_patched_value_longer_than_its_column_is_a_400_and_nothing_is_written(
        app, alice, body, field):
    job_id = alice.create("jobs", job_body())
    before = stored(app, job_id)
    r = alice.patch(f"/v1/jobs/{job_id}", body)
    assert r.status_code == 400, r.get_json()
    assert field in r.get_json()["description"]
    assert stored(app, job_id) == before


def test_a_patched_document_over_the_size_limit_is_refused(app, alice):
    job_id = alice.create("jobs", job_body())
    before = stored(app, job_id)
    limit = app.config["DOCUMENT_MAX_BYTES"]
    r = alice.patch(f"/v1/jobs/{job_id}", {"description": "d" * (limit // 2),
                                           "notes": "n" * (limit // 2)})
    assert r.status_code in (400, 413), r.get_json()
    assert stored(app, job_id) == before


def actions_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Action))


def test_the_actions_an_agent_echoes_back_are_not_stored_again(app, alice):
    """The scheduler PATCHes the job it fetched back whole with every report."""
    job_id = alice.create("jobs", job_body(client_id="proj_node1"))
    fetched = alice.get(f"/v1/jobs/{job_id}").get_json()
    count = actions_count(app)
    for status in ("running", "running", "completed"):
        echoed = dict(fetched, job_schedule=dict(fetched["job_schedule"], status=status))
        r = alice.patch(f"/v1/jobs/{job_id}", echoed)
        assert r.status_code == 200, r.get_json()
    assert actions_count(app) == count
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["job_actions"] == fetched["job_actions"]


def test_echoed_actions_given_to_another_client_are_checked_against_it(app, alice):
    assert alice.post("/v1/clients/", client_body(client_id="proj_small", full=False,
                                                  supported_actions=["restore"])).status_code == 201
    job_id = alice.create("jobs", job_body(client_id="proj_node1"))
    fetched = alice.get(f"/v1/jobs/{job_id}").get_json()
    r = alice.patch(f"/v1/jobs/{job_id}", dict(fetched, client_id="proj_small"))
    assert r.status_code == 422, r.get_json()
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["client_id"] == "proj_node1"


def test_changed_actions_are_stored(app, alice):
    job_id = alice.create("jobs", job_body())
    fetched = alice.get(f"/v1/jobs/{job_id}").get_json()
    count = actions_count(app)
    actions = [dict(a, freezer_action=dict(a["freezer_action"], path_to_backup="/srv/other"))
               for a in fetched["job_actions"]]
    assert alice.patch(f"/v1/jobs/{job_id}", {"job_actions": actions}).status_code == 200
    assert actions_count(app) == count + len(actions)


def backups_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Backup))


def test_a_backup_stored_alone_reads_back_as_posted(app, alice):
    body = backup_body(backup_size_compressed=3)
    r = alice.post("/v1/backups/", body)
    assert r.status_code == 201, r.get_json()
    stored = alice.get("/v1/backups/" + quote(r.get_json()["backup_id"], safe="")).get_json()
    assert stored["backup_metadata"] == body and stored["_version"] == 1
    assert stored["user_id"] == "alice" and stored["backup_id"] == r.get_json()["backup_id"]


def test_a_backup_posted_twice_past_the_id_check_is_refused_by_the_index(app, alice,
                                                                        monkeypatch):
    """Two agents posting the same backup at once both pass the id check: the unique index
    refuses the second INSERT, answered 409, not 500."""
    assert alice.post("/v1/backups/", backup_body()).status_code == 201
    monkeypatch.setattr(documents, "check_new", lambda *args, **kwargs: None)
    r = alice.post("/v1/backups/", backup_body())
    assert r.status_code == 409, r.get_json()
    assert r.get_json()["title"] and r.get_json()["description"]
    assert backups_count(app) == 1


@pytest.fixture
def run_changed_meanwhile(database_url, monkeypatch):
    """After a backup POST's read of its job's open run (with the id check, in
    documents.check_new), `change` (SQL) is applied to the run by another connection and
    committed, as a concurrent request would."""
    engine = create_engine(database_url)
    real = documents.check_new
    state = {"change": None, "reads": 0}

    def check_new(*args, **kwargs):
        run_pk = real(*args, **kwargs)
        state["reads"] += 1
        if state["reads"] == 1 and run_pk is not None:
            with engine.begin() as conn:
                conn.execute(text(f"UPDATE runs SET {state['change']} WHERE pk = :pk"),
                             {"pk": run_pk})
        return run_pk

    monkeypatch.setattr(documents, "check_new", check_new)
    yield state
    engine.dispose()


def running_job(alice):
    job_id = alice.create("jobs", job_body())
    assert alice.patch(f"/v1/jobs/{job_id}", RUNNING).status_code == 200
    return job_id


def test_a_backup_whose_run_ended_meanwhile_is_stored_without_joining_it(
        app, alice, mariadb, run_changed_meanwhile):
    """The run closed between the backup's read of it and its INSERT: the run keeps the
    count it closed with, as if the backup had come just after."""
    job_id = running_job(alice)
    run_changed_meanwhile["change"] = "ended_at = started_at, result = 'success'"
    r = alice.post("/v1/backups/", backup_body(job_id=job_id))
    assert r.status_code == 201, r.get_json()
    run = alice.get(f"/v1/jobs/{job_id}/runs").get_json()["runs"][0]
    assert run["state"] == "ended" and run["backup_count"] == 0
    assert backups_count(app) == 1
