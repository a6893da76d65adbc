"""Helpers of the real-client tests: the stub Keystone's users, the clients' venvs, the
environment a user gives the freezer CLI and scheduler."""
import os
import secrets
import signal
import socket
import subprocess
import time

import requests

from tests.clients.keystone_stub import User

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIENTS_BIN = os.path.join(ROOT, ".venv-clients", "bin")      # freezer 19.0.0, freezerclient 6.5.0
CLIENTS_V1_BIN = os.path.join(ROOT, ".venv-clients-v1", "bin")  # freezer 18.0.0, freezerclient 6.2.0

# `alpha` holds alice and bob (a v2 agent and a v1 agent of one project); one project per
# other test module, so they share one server.
USERS = {"alice": User("alice", "alice-pw", "alpha"),
         "bob": User("bob", "bob-pw", "alpha"),
         "carol": User("carol", "carol-pw", "beta"),   # the 6.5.0 library's tests
         "dave": User("dave", "dave-pw", "gamma"),     # the 6.5.0 CLI's tests
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


class MakeRun:
    """Our server started as the README tells a user: `make run` (AUTH_MODE=keystone unless
    told otherwise) on a port of our own: it migrates, bootstraps the first operator, then
    serves with gunicorn."""

    def __init__(self, port, log_path, auth_mode="keystone", **env):
        self.port = port
        self.auth_mode = auth_mode
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = str(log_path)
        drop = ("FREEZER_API_CONFIG", "TEST_DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR",
                "MAKEFLAGS", "MAKELEVEL", "MFLAGS", "FREEZER_API_BIND")
        self.env = {k: v for k, v in os.environ.items() if k not in drop}
        self.env.update({"SECRET_KEY": secrets.token_hex(32), "AUTH_MODE": auth_mode,
                         "FREEZER_API_HOST": "127.0.0.1", "FREEZER_API_PORT": str(port), **env})
        self.process = None

    def __enter__(self, timeout=120):
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "run"], cwd=ROOT, env=self.env, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True)  # its own group: make + gunicorn
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"make run exited ({self.process.returncode}):\n{self.log()}")
            try:
                if requests.get(self.base_url + "/", timeout=2).status_code == 300:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.__exit__()
        raise RuntimeError(f"make run did not answer within {timeout}s:\n{self.log()}")

    def __exit__(self, *exc):
        if self.process is None:
            return
        for sig, grace in ((signal.SIGTERM, 35), (signal.SIGKILL, 10)):
            if self.process.poll() is not None:
                break
            os.killpg(self.process.pid, sig)  # the group this Popen started, nothing else
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                continue
        self._log.close()

    def log(self) -> str:
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def flask(self, *args) -> str:
        """A `flask --app wsgi` command against this server's database (what the docs tell
        an operator to run); its output."""
        done = subprocess.run([os.path.join(ROOT, ".venv", "bin", "flask"), "--app", "wsgi",
                               *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                              env=self.env)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout
