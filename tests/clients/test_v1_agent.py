"""The real v1 agent: freezer-scheduler 18.0.0 (--enable-v1-api) with freezer-agent 18.0.0,
authenticating with the stub Keystone and finding our server (keystone mode) in its catalog,
runs a local-filesystem backup job and an exec job of one session."""
import pytest

from tests.clients.harness import client_env
from tests.clients.agents import Api, Scheduler, backed_up_files, session_round


def test_scheduler_18_runs_a_backup_and_an_exec_job_in_one_session(
        clients_venv, keystone, freezer_api, tmp_path):
    client_id = "alpha_v1-node"
    api = Api(freezer_api.base_url + "/v1", keystone.issue("bob"))
    with Scheduler("18.0.0", client_env(keystone, "bob"), client_id, str(tmp_path)) as scheduler:
        got = session_round(api, scheduler, client_id, tmp_path, "v1")
    for job in got["jobs"]:
        assert job["job_schedule"]["result"] == "success", job
    assert got["marker"].exists()
    [backup] = got["backups"]
    assert backup["backup_metadata"]["backup_name"] == "v1"
    assert {"a.txt", "b.txt"} <= backed_up_files(got["container"])
    assert got["session"]["status"] == "completed" and got["session"]["session_tag"] == 1
    assert scheduler.errors() == []
