"""The `freezer` CLI 6.5.0 (python-freezerclient) against our server (make run, keystone
mode): every command, as dave of project gamma with OS_* credentials of the stub Keystone
(the API found in the catalog), then the real `freezer` and `openstack backup` executables."""
import json
import os
import subprocess

import pytest

from tests.clients.harness import CLIENTS_BIN, client_env, run_python

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "v2_cli_calls.py")


@pytest.fixture(scope="module")
def run(clients_venv, keystone, freezer_api):
    with open(SCRIPT) as f:
        out = run_python(f.read(), "cli-host", env=client_env(keystone, "dave"), timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.splitlines()[-1])


def rows(listed):
    """A list command's rows, without the blank one the CLI prints for none."""
    return [row for row in listed if any(row.values())]


@pytest.fixture
def steps(run):
    return run["steps"]


def test_every_command_was_run(run):
    assert len(run["available"]) == 30
    assert {s["command"] for s in run["steps"].values()} == set(run["available"])


def test_every_command_succeeds_but_shows_of_deleted_documents(steps):
    failed = {n: s for n, s in steps.items() if s["code"] != 0
              and not n.endswith("-deleted")}
    assert failed == {}
    for name in ("job-show-deleted", "backup-show-deleted"):
        assert steps[name]["code"] != 0 and "not found" in steps[name]["err"].lower()


def test_clients_actions_jobs(run, steps):
    ids = run["ids"]
    assert ids["client"] == "gamma_cli-host"
    assert [c["Client ID"] for c in steps["client-list"]["out"]] == [ids["client"]]
    assert steps["client-show"]["out"]["hostname"] == "cli-host"
    assert rows(steps["client-list-after-delete"]["out"]) == []
    assert [a["Action ID"] for a in steps["action-list"]["out"]] == [ids["action"]]
    assert steps["action-update"]["out"]["Max_retries"] == 4
    assert steps["action-update"]["out"]["Mode"] == "fs"
    assert [j["Job ID"] for j in steps["job-list"]["out"]] == [ids["job"]]
    assert [j["Job ID"] for j in steps["job-list-client"]["out"]] == [ids["job"]]
    assert [j["Job ID"] for j in steps["job-list-search"]["out"]] == [ids["job"]]
    assert [j["Job ID"] for j in steps["job-list-all-projects"]["out"]] == [ids["job"]]
    assert steps["job-show"]["out"]["Client ID"] == ids["client"]
    assert ids["job"] in steps["job-get"]["out"]
    assert steps["job-update"]["out"]["Description"] == "cli job patched"
    assert steps["job-update"]["out"]["Interval"] == "1 days"  # the schedule is kept
    assert steps["job-show-started"]["out"]["Event"] == "start"
    assert steps["job-show-aborted"]["out"]["Event"] == "abort"


def test_sessions_and_backups(run, steps):
    ids = run["ids"]
    assert [s["Session ID"] for s in steps["session-list"]["out"]] == [ids["session"]]
    assert steps["session-update"]["out"]["Description"] == "cli session patched"
    assert ids["job"] in steps["session-show-with-job"]["out"]["Jobs"]
    started = steps["session-show-started"]["out"]
    assert started["Status"] == "running" and started["Session tag"] == 1
    assert ids["job"] not in steps["session-show-without-job"]["out"]["Jobs"]
    assert len(ids["backup"]) == 32  # the v2 uuid, shown as the 6.5.0 CLI's "Backup ID"
    assert ids["backup"] in steps["backup-list"]["out"]
    assert steps["backup-show"]["out"]["Status"] == "available"


def test_the_freezer_and_openstack_executables(clients_venv, keystone, freezer_api):
    env = client_env(keystone, "dave")
    registered = subprocess.run(
        [os.path.join(CLIENTS_BIN, "freezer"), "client-list", "-f", "json"],
        env=env, capture_output=True, text=True, timeout=120)
    assert registered.returncode == 0, registered.stderr[-2000:]
    assert rows(json.loads(registered.stdout)) == []
    listed = subprocess.run(
        [os.path.join(CLIENTS_BIN, "openstack"), "backup", "job", "list", "-f", "json"],
        env=env, capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr[-2000:]
    assert rows(json.loads(listed.stdout)) == []
