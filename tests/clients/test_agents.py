"""The real agents of both API versions in one project at once, against our server started with
`make run` in keystone mode: freezer-scheduler 19.0.0 + freezer-agent 19.0.0 (v2, user alice)
and freezer-scheduler 18.0.0 + freezer-agent 18.0.0 (v1, user bob), both of project alpha, each
running a local-filesystem backup job and an exec job of one session."""
import concurrent.futures
import re
import socket

from tests.clients.harness import client_env
from tests.clients.agents import Api, Scheduler, backed_up_files, session_round

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def test_a_v2_and_a_v1_agent_of_one_project_at_once(clients_venv, keystone, freezer_api,
                                                    tmp_path):
    v2_client = f"alpha_{socket.gethostname()}"  # the 19.0.0 scheduler's own client id
    v1_client = "alpha_v1-host2"                 # another host's agent, say
    v2 = Api(freezer_api.base_url + "/v2/alpha", keystone.issue("alice"))
    v1 = Api(freezer_api.base_url + "/v1", keystone.issue("bob"))
    (tmp_path / "v2").mkdir()
    (tmp_path / "v1").mkdir()
    with Scheduler("19.0.0", client_env(keystone, "alice"), None, str(tmp_path / "v2")) as s19, \
            Scheduler("18.0.0", client_env(keystone, "bob"), v1_client, str(tmp_path / "v1")) as s18, \
            concurrent.futures.ThreadPoolExecutor(2) as pool:
        rounds = [pool.submit(session_round, v2, s19, v2_client, tmp_path / "v2", "v2"),
                  pool.submit(session_round, v1, s18, v1_client, tmp_path / "v1", "v1")]
        got19, got18 = [r.result() for r in rounds]

    # registered: the 19.0.0 scheduler as a project client, not a central one
    registered = v2.call("GET", f"/clients/{v2_client}")
    assert registered["client"]["is_central"] is False and registered["project_id"] == "alpha"
    for got, scheduler in ((got19, s19), (got18, s18)):
        for job in got["jobs"]:  # both jobs picked up and ended completed/success
            assert job["job_schedule"]["status"] == "completed", job
            assert job["job_schedule"]["result"] == "success", job
        assert got["marker"].exists()  # the exec job ran
        assert {"a.txt", "b.txt"} <= backed_up_files(got["container"])  # the files backed up
        session = got["session"]  # the session round completed
        assert session["status"] == "completed" and session["result"] == "success"
        assert session["session_tag"] == 1
        assert scheduler.errors() == [], scheduler.log()[-4000:]

    # the v2 backup: a server-made uuid, status available, the agent's metadata
    [backup] = got19["backups"]
    assert HEX32.match(backup["backup_id"]) and backup["status"] == "available"
    assert backup["backup_metadata"]["backup_name"] == "v2"
    assert backup["backup_metadata"]["client_version"] == "19.0.0"
    # one project: v2 sees both agents' documents, v1 only its user's
    assert {c["client"]["client_id"] for c in v2.call("GET", "/clients/?limit=100")["clients"]} \
        >= {v2_client, v1_client}
    all_jobs = {j["job_id"] for j in v2.call("GET", "/jobs/?limit=100")["jobs"]}
    assert {got19["backup_job"], got19["exec_job"], got18["backup_job"],
            got18["exec_job"]} <= all_jobs
    v1_jobs = {j["job_id"] for j in v1.call("GET", "/jobs/?limit=100")["jobs"]}
    assert {got18["backup_job"], got18["exec_job"]} <= v1_jobs
    assert not v1_jobs & {got19["backup_job"], got19["exec_job"]}  # alice's: not bob's (v1)
    v2_backups = {b["backup_id"] for b in v2.call("GET", "/backups/?limit=100")["backups"]}
    assert {backup["backup_id"], got18["backups"][0]["backup_id"]} <= v2_backups
