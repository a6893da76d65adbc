"""The captured freezer scheduler 18.0.0 run, replayed: each job gets exactly one run with
the agent's result, the backup job's run holds the backup the scheduler posted, and the
client's last_seen follows its polls."""
from datetime import datetime, timezone

from app import clock
from app.services import runs
from tests.api.test_sessions_traffic import SCHEDULER_T0, Replay, exchanges
from tests.builders import ApiUser


def test_the_scheduler_run_leaves_one_run_per_job(client):
    lines = [x for x in exchanges("scheduler-18.0.0.jsonl") if 5 <= x["seq"] <= 88]
    user = ApiUser(client, "e2e-user-7e9e0bf2")
    replay = Replay(user)
    for x in lines:
        clock.freeze(SCHEDULER_T0 + x["t"])
        status, answer = replay.send(x)
        assert status == x["status"], (x["seq"], answer)
    backup_job = replay.ids["71f5b05c7633405088f1eedb4c931943"]
    exec_job = replay.ids["6d3a9ffe4a604be9b6d1ab4ae9721fee"]

    history = user.get(f"/v1/jobs/{backup_job}/runs").get_json()["runs"]
    assert [(r["state"], r["result"], r["backup_count"]) for r in history] == [("ended", "success", 1)]
    assert history[0]["backups"][0]["backup_id"].endswith("_e2e-host_e2e-9182c694_1795744129_0")
    history = user.get(f"/v1/jobs/{exec_job}/runs").get_json()["runs"]
    assert [(r["state"], r["result"], r["backup_count"]) for r in history] == [("ended", "success", 0)]

    status = user.get("/v1/clients/e2e-7e9e0bf2_e2e-host/status").get_json()
    # its three polls (t=1.3, 6.3, 11.3 s) all came within a minute of registering (t=1.285):
    # none of them wrote
    registered = datetime.fromtimestamp(SCHEDULER_T0 + 1.285, timezone.utc).replace(tzinfo=None)
    assert status["last_seen"] == runs.iso(registered)
    assert {j["job_id"] for j in status["jobs"]} == {backup_job, exec_job}
    assert status["last_backup"]["job_id"] == backup_job
