"""python-freezerclient 6.5.0's v2 library against our server (make run, keystone mode):
every manager call (tests/clients/v2_library_calls.py, run with the clients' own venv), as
carol of project beta, authenticated by the stub Keystone, the API found in its catalog."""
import json
import os
import re

import pytest

from tests.clients.harness import USERS, client_env, run_python

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "v2_library_calls.py")
HEX32 = re.compile(r"^[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def steps(clients_venv, keystone, freezer_api):
    u = USERS["carol"]
    with open(SCRIPT) as f:
        out = run_python(f.read(), keystone.url + "/v3", u.name, u.password, "beta", "alpha",
                         env=client_env(keystone, "carol"))
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.splitlines()[-1])


def ok(value):
    return not (isinstance(value, dict) and "error" in value)


def test_it_authenticates_and_finds_the_api_in_the_catalog(steps, freezer_api):
    assert steps["project_id"] == "beta"
    assert steps["endpoint"] == freezer_api.base_url
    assert steps["client_id"].startswith("beta_")


def test_every_call_succeeds(steps):
    failed = {name: v for name, v in steps.items()
              if not ok(v) and not name.startswith("foreign_")}
    assert failed == {}


def test_clients(steps):
    me = steps["client_id"]
    assert steps["client_create"] == me and steps["client_create_again"] == me
    [listed] = steps["client_list"]
    assert listed["client"]["client_id"] == me and listed["project_id"] == "beta"
    assert [c["client"]["client_id"] for c in steps["client_search"]] == [me]
    assert steps["client_get"]["client"]["hostname"] == "lib-host"
    assert steps["client_get"]["client"]["is_central"] is False
    assert steps["client_get_missing"] is None and steps["client_get_deleted"] is None


def test_actions(steps):
    aid = steps["action_create"]
    assert steps["action_replace"] == aid
    assert [a["action_id"] for a in steps["action_list"]] == [aid]
    assert steps["action_get"]["freezer_action"]["backup_name"] == "lib-hosts-2"
    assert steps["action_update"] is not None  # the library returns the answer's version
    updated = steps["action_get_updated"]
    assert updated["max_retries"] == 3
    # a PATCH merges: what it does not name stays (not 19.0.0's lossy replace)
    assert updated["freezer_action"]["mode"] == "fs"
    assert updated["freezer_action"]["storage"] == "local"
    assert steps["action_get_deleted"] is None


def test_jobs(steps):
    jid, me = steps["job_create"], steps["client_id"]
    assert HEX32.match(jid) and steps["job_replace"] == jid
    assert [j["job_id"] for j in steps["job_list_all"]] == [jid]
    [polled] = steps["job_poll"]
    assert polled["client_id"] == me and polled["job_schedule"]["event"] == ""
    assert steps["job_poll_other_client"] == []
    assert [j["job_id"] for j in steps["job_list_all_projects"]] == [jid]  # not an admin
    got = steps["job_get"]
    assert got["description"] == "library job replaced" and got["project_id"] == "beta"
    assert isinstance(got["job_actions"], list) and got["job_actions"][0]["freezer_action"]
    assert steps["job_get_missing"] is None
    # a PATCH without job_schedule keeps the schedule (19.0.0 emptied it)
    updated = steps["job_get_updated"]
    assert updated["description"] == "library job patched"
    assert updated["job_schedule"]["schedule_interval"] == "1 days"
    assert steps["job_start"]["result"] == "success"
    assert steps["job_stop"]["result"] == "success"
    assert "result" in steps["job_abort"]
    assert steps["job_get_after_events"]["job_schedule"]["event"] == "abort"
    assert steps["job_get_deleted"] is None


def test_sessions(steps):
    sid, jid = steps["session_create"], steps["job_create"]
    assert HEX32.match(sid) and steps["session_replace"] == sid
    assert [s["session_id"] for s in steps["session_list"]] == [sid]
    assert [s["session_id"] for s in steps["session_list_all"]] == [sid]
    assert steps["session_get"]["description"] == "library session replaced"
    assert steps["session_update"] is not None
    assert steps["session_start"] == {"result": "success", "session_tag": 1}
    started = steps["session_get_started"]
    assert started["status"] == "running" and jid in started["jobs"]
    assert steps["session_end"]["result"] == "success"
    ended = steps["session_get_ended"]
    assert ended["status"] == "completed" and ended["result"] == "success"
    assert jid not in steps["session_get_removed"]["jobs"]


def test_backups(steps):
    bid, later = steps["backup_create"], steps["backup_create_creating"]
    assert HEX32.match(bid) and HEX32.match(later)
    assert {b["backup_id"] for b in steps["backup_list"]} == {bid, later}
    assert steps["backup_search_after"] == []
    got = steps["backup_get"]
    assert got["status"] == "available" and got["backup_uuid"] == bid
    assert got["backup_metadata"]["job_id"] == steps["job_create"]
    patched = steps["backup_update"]
    assert patched["status"] == "available"
    assert patched["backup_metadata"]["hostname"] == "lib-host"
    assert steps["backup_get_deleted"] is None


def test_another_projects_path_is_403(steps):
    for name in ("foreign_job_list", "foreign_job_get"):
        assert steps[name]["status"] == 403, steps[name]
