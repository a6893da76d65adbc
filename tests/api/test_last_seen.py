"""Silent agents: last_seen moves when a client registers and when it polls its jobs, at
most once a minute, and shows in the client's status, never in its document."""
import pytest

from app import clock
from tests.builders import backup_body, client_body, job_body

T0 = 1795744000
POLL = "/v1/jobs/?limit=10&offset=0"


def poll(user, client_id="proj_node1"):
    r = user.get(POLL, {"match_not": [{"status": "completed"}], "match": [{"client_id": client_id}]})
    assert r.status_code == 200
    return r


def seen(user, client_id="proj_node1"):
    r = user.get(f"/v1/clients/{client_id}/status")
    assert r.status_code == 200, r.get_json()
    return r.get_json()["last_seen"]


@pytest.fixture
def registered(alice):
    clock.freeze(T0)
    assert alice.post("/v1/clients/", client_body()).status_code == 201
    return alice


def test_registering_sets_last_seen(registered):
    assert seen(registered) == "2026-11-27T01:46:40Z"


def test_a_poll_moves_last_seen_at_most_once_a_minute(registered):
    clock.freeze(T0 + 59)
    poll(registered)
    assert seen(registered) == "2026-11-27T01:46:40Z"
    clock.freeze(T0 + 61)
    poll(registered)
    assert seen(registered) == "2026-11-27T01:47:41Z"
    clock.freeze(T0 + 100)
    poll(registered)
    assert seen(registered) == "2026-11-27T01:47:41Z"
    clock.freeze(T0 + 125)
    registered.get(f"{POLL}&client_id=proj_node1")  # the query-string form counts too
    assert seen(registered) == "2026-11-27T01:48:45Z"


def test_only_a_poll_for_that_client_counts(registered, bob):
    clock.freeze(T0 + 600)
    registered.get(POLL)                      # no client_id: an operator listing jobs
    poll(registered, "proj_other")            # another (unregistered) client
    poll(bob)                                 # the same client_id, another owner
    assert seen(registered) == "2026-11-27T01:46:40Z"


def test_last_seen_stays_out_of_the_client_document(registered):
    clock.freeze(T0 + 600)
    poll(registered)
    doc = registered.get("/v1/clients/proj_node1").get_json()
    assert "last_seen" not in doc and "last_seen" not in doc["client"]


def test_the_status_shows_the_jobs_and_the_last_backup(registered, bob):
    job_id = registered.create("jobs", job_body())
    registered.create("jobs", job_body(client_id="proj_node2"))
    registered.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running"}})
    registered.post("/v1/backups/", backup_body(time_stamp=T0 - 100, job_id=job_id))
    registered.post("/v1/backups/", backup_body(time_stamp=T0 - 50, job_id=job_id))
    registered.post("/v1/backups/", backup_body(time_stamp=T0, hostname="node2"))
    clock.freeze(T0 + 90)
    status = registered.get("/v1/clients/proj_node1/status").get_json()
    assert status["seconds_since_seen"] == 90
    assert [(j["job_id"], j["status"]) for j in status["jobs"]] == [(job_id, "running")]
    assert status["jobs"][0]["last_run"]["state"] == "running"
    assert status["last_backup"]["backup_id"] == f"/srv/backups_node1_data_{T0 - 50}_0"
    assert bob.get("/v1/clients/proj_node1/status").status_code == 404
    assert registered.get("/v1/clients/nope/status").status_code == 404


def test_the_status_counts_each_running_jobs_own_backups(registered):
    """Several jobs of the client running at once: each run counts the backups posted with
    its own job's id (read for all of them together)."""
    first, second = (registered.create("jobs", job_body()) for _ in range(2))
    for job_id in (first, second):
        registered.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running"}})
    for i, job_id in enumerate((first, first, second)):
        assert registered.post("/v1/backups/", backup_body(
            time_stamp=T0 + i, job_id=job_id, backup_size_compressed=i + 1)).status_code == 201
    registered.post("/v1/backups/", backup_body(time_stamp=T0 + 9))  # no job: no run
    runs = {j["job_id"]: j["last_run"]
            for j in registered.get("/v1/clients/proj_node1/status").get_json()["jobs"]}
    assert (runs[first]["backup_count"], runs[first]["backup_size_compressed"]) == (2, 3)
    assert (runs[second]["backup_count"], runs[second]["backup_size_compressed"]) == (1, 3)
    assert [b["backup_id"] for b in runs[second]["backups"]] == [
        f"/srv/backups_node1_data_{T0 + 2}_0"]


def test_a_poll_leaves_the_client_document_and_its_version_alone(app, registered):
    from app.extensions import db
    from app.models import Client
    before = registered.get("/v1/clients/proj_node1")
    with app.app_context():
        updated = db.session.scalars(db.select(Client.updated_at)).one()
    clock.freeze(T0 + 600)
    poll(registered)
    after = registered.get("/v1/clients/proj_node1")
    assert after.get_json() == before.get_json() and after.headers["ETag"] == before.headers["ETag"]
    with app.app_context():
        assert db.session.scalars(db.select(Client.updated_at)).one() == updated
    assert seen(registered) == "2026-11-27T01:56:40Z"
