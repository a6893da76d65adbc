"""The real client: python-freezerclient 6.2.0's v1 library (freezerclient.v1.client.Client)
against a live server on the test database, without Keystone: a keystoneauth1 session with
`token_endpoint.Token(url, token)` and `endpoint=url`, exactly as an operator's script would.

How it authenticates is the `freezer` fixture alone: an API token of operator alice issued
by the server (live_token_server in tests/conftest.py, AUTH_MODE=token). The client sends
it as X-Auth-Token, like every freezer agent."""
import pytest
from freezerclient.v1.client import Client
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint

from tests.builders import backup_body, freezer_action

CLIENT_ID = "proj_e2e-host"


@pytest.fixture
def freezer(live_token_server):
    url, token = live_token_server
    session = ks_session.Session(auth=token_endpoint.Token(url, token))
    # project_id given: the client would otherwise ask the (absent) Keystone for it
    return Client(session=session, endpoint=url, project_id="proj")


def test_the_v1_library_end_to_end(freezer):
    # register the client (what freezer-scheduler does at start-up); again: 409
    assert freezer.clients.create({"client_id": CLIENT_ID, "hostname": "e2e-host",
                                   "supported_actions": ["backup", "restore"]}) == CLIENT_ID
    with pytest.raises(Exception) as again:
        freezer.clients.create({"client_id": CLIENT_ID, "hostname": "e2e-host"})
    assert "409" in str(again.value) or "already" in str(again.value).lower()
    [listed] = freezer.clients.list()
    assert listed["client"]["client_id"] == CLIENT_ID
    assert freezer.clients.get(CLIENT_ID)["client"]["hostname"] == "e2e-host"

    # an action, listed, read and updated (the library returns the new version)
    action_id = freezer.actions.create({"freezer_action": freezer_action(),
                                        "max_retries": 1, "max_retries_interval": 5})
    assert [a["action_id"] for a in freezer.actions.list()] == [action_id]
    assert freezer.actions.get(action_id)["_version"] == 1
    assert freezer.actions.update(action_id, {"max_retries": 4}) == 2
    assert freezer.actions.get(action_id)["max_retries"] == 4

    # a job for the registered client; a job it cannot run is refused (422)
    job_id = freezer.jobs.create({"description": "e2e job", "client_id": CLIENT_ID,
                                  "job_schedule": {"schedule_interval": "1 days"},
                                  "job_actions": [{"freezer_action": freezer_action(),
                                                   "max_retries": 1}]})
    with pytest.raises(Exception) as refused:
        freezer.jobs.create({"client_id": CLIENT_ID, "job_actions": [
            {"freezer_action": freezer_action(action="exec", command="true")}]})
    assert "does not support action: exec" in str(refused.value)
    assert [j["job_id"] for j in freezer.jobs.list_all()] == [job_id]

    # the agent's poll: jobs.list with client_id (a GET with a JSON body)
    [polled] = freezer.jobs.list(client_id=CLIENT_ID)
    assert polled["job_id"] == job_id and polled["job_schedule"]["event"] == ""
    assert freezer.jobs.list(client_id="proj_other-host") == []
    assert freezer.jobs.list(client_id=CLIENT_ID,
                             search={"match_not": [{"status": ""}]}) == []

    # update and events
    assert freezer.jobs.update(job_id, {"description": "patched"}) == 2
    assert freezer.jobs.start_job(job_id) == {"result": "success"}
    assert freezer.jobs.start_job(job_id) == {"result": "start already requested"}
    assert freezer.jobs.stop_job(job_id) == {"result": "success"}
    job = freezer.jobs.get(job_id)
    assert job["description"] == "patched"
    assert job["job_schedule"]["event"] == "stop" and job["_version"] == 4

    # backup metadata, listed, read (its id holds the container path's slashes), deleted
    backup_id = freezer.backups.create(backup_body(hostname="e2e-host", job_id=job_id))
    assert backup_id == "/srv/backups_e2e-host_data_1795744129_0"
    [listed] = freezer.backups.list()
    assert listed["backup_id"] == backup_id and listed["user_name"] == "alice"
    assert freezer.backups.list(search={"time_after": 1795744130}) == []
    got = freezer.backups.get(backup_id)
    assert got["backup_metadata"]["job_id"] == job_id
    freezer.backups.delete(backup_id)
    assert freezer.backups.get(backup_id) is None

    # delete everything; gone means None (404) for the library
    freezer.jobs.delete(job_id)
    assert freezer.jobs.get(job_id) is None
    freezer.actions.delete(action_id)
    assert freezer.actions.get(action_id) is None
    freezer.clients.delete(CLIENT_ID)
    assert freezer.clients.get(CLIENT_ID) is None
    assert freezer.clients.list() == []


def test_a_wrong_token_is_refused(live_token_server):
    url, _ = live_token_server
    session = ks_session.Session(auth=token_endpoint.Token(url, "not-a-token"))
    freezer = Client(session=session, endpoint=url, project_id="proj")
    with pytest.raises(Exception) as refused:
        freezer.jobs.list_all()
    assert "401" in str(refused.value) or "Authentication" in str(refused.value)
