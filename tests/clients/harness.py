"""Helpers of the real-client tests: the stub Keystone's users, the clients' venvs, the
environment a user gives the freezer CLI and scheduler."""
import os
import socket
import subprocess

from tests.clients.keystone_stub import User

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIENTS_BIN = os.path.join(ROOT, ".venv-clients", "bin")      # freezer 19.0.0, freezerclient 6.5.0
CLIENTS_V1_BIN = os.path.join(ROOT, ".venv-clients-v1", "bin")  # freezer 18.0.0, freezerclient 6.2.0

# `alpha` holds alice and bob (a v2 agent and a v1 agent of one project), `beta` holds carol.
USERS = {"alice": User("alice", "alice-pw", "alpha"),
         "bob": User("bob", "bob-pw", "alpha"),
         "carol": User("carol", "carol-pw", "beta"),
         # auth_token's own service user ([keystone_authtoken] of the server)
         "freezer": User("freezer", "freezer-service-pw", "service", roles=("service",))}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client_env(keystone, user: str, **extra) -> dict:
    """What a user exports for the freezer CLI / scheduler: OS_* credentials of one stub user;
    the API is found in the Keystone catalog (service type `backup`)."""
    u = USERS[user]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update({"OS_AUTH_URL": keystone.url + "/v3", "OS_USERNAME": u.name,
                "OS_PASSWORD": u.password, "OS_PROJECT_NAME": u.project["name"],
                "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
                "OS_IDENTITY_API_VERSION": "3"})
    env.update(extra)
    return env


def run_python(script: str, *args, env=None, timeout=120, v1=False):
    """A Python snippet run by the clients' interpreter (their libraries, not ours)."""
    python = os.path.join(CLIENTS_V1_BIN if v1 else CLIENTS_BIN, "python")
    return subprocess.run([python, "-c", script, *args], env=env, capture_output=True,
                          text=True, timeout=timeout, cwd=ROOT)
