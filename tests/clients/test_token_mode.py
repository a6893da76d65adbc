"""The freezer clients against `make run` as it ships (AUTH_MODE=token), with no Keystone at all:
they authenticate at our own Keystone v3 token route (OS_AUTH_URL=<server>/identity/v3) with an
operator's username and API token, and find the API in its catalog (docs/agents.md)."""
import json
import os
import subprocess

import pytest

from tests.clients.agents import Scheduler, wait_for
from tests.clients.harness import CLIENTS_BIN, CLIENTS_V1_BIN, MakeRun, free_port


class Operator:
    """What `keystone_stub.User` gives client_env: credentials for OS_* variables."""

    def __init__(self, url, name, token):
        self.url, self.name, self.password = url, name, token


@pytest.fixture(scope="module")
def token_server(clients_venv, database_url, tmp_path_factory):
    here = tmp_path_factory.mktemp("token-mode")
    with MakeRun(free_port(), here / "make-run.log", auth_mode="token",
                 DATABASE_URL=database_url, GUNICORN_WORKERS="1") as server:
        server.flask("users", "create", "erin", "--password", "erin's long password")
        issued = server.flask("tokens", "create", "erin", "--label", "node1")
        yield server, Operator(server.base_url, "erin", issued.strip().splitlines()[-1])


def env_for(op, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update({"OS_AUTH_URL": op.url + "/identity/v3", "OS_USERNAME": op.name,
                "OS_PASSWORD": op.password, "OS_USER_DOMAIN_NAME": "Default",
                "OS_PROJECT_DOMAIN_NAME": "Default"}, **extra)
    return env


def cli(bindir, op, *args, **env):
    """A `freezer ... -f json` list: its rows, without the blank one it prints for none."""
    done = subprocess.run([os.path.join(bindir, "freezer"), *args, "-f", "json"],
                          env=env_for(op, **env), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return [row for row in json.loads(done.stdout) if any(row.values())]


def test_the_v1_cli_and_the_18_scheduler(token_server, tmp_path):
    server, op = token_server
    assert cli(CLIENTS_V1_BIN, op, "job-list",
               OS_BACKUP_API_VERSION="1") == []
    with Scheduler("18.0.0", env_for(op), "erin_v1-node", str(tmp_path)) as scheduler:
        wait_for("the 18.0.0 scheduler registered", lambda: cli(
            CLIENTS_V1_BIN, op, "client-list", OS_BACKUP_API_VERSION="1"),
            60, interval=1, scheduler=scheduler)
    [listed] = cli(CLIENTS_V1_BIN, op, "client-list", OS_BACKUP_API_VERSION="1")
    assert listed["Client ID"] == "erin_v1-node"
    assert scheduler.errors() == []


def test_the_v2_cli_and_the_19_scheduler(token_server, tmp_path):
    server, op = token_server
    assert cli(CLIENTS_BIN, op, "job-list") == []
    with Scheduler("19.0.0", env_for(op), None, str(tmp_path)) as scheduler:
        clients = wait_for("the 19.0.0 scheduler registered", lambda: cli(
            CLIENTS_BIN, op, "client-list"), 60, interval=1, scheduler=scheduler)
    assert len(clients) >= 1
    assert scheduler.errors() == []
