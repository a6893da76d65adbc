"""The original freezer-api as a live source (`make test-import`, opt-in): 18.0.0 (v1) and
19.0.0 (v2) from PyPI, each in its own venv (.venv-original-18/-19), on SQLite (its
sqlalchemy driver), its paste pipeline with fake_auth in place of keystonemiddleware's
authtoken, served by serve_original.py on a free loopback port."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
VENVS = {"18.0.0": ROOT / ".venv-original-18", "19.0.0": ROOT / ".venv-original-19"}

# `make test` (and any run without FREEZER_TEST_IMPORT) does not collect these tests at all
collect_ignore_glob = [] if os.environ.get("FREEZER_TEST_IMPORT") else ["test_*.py"]


def _paste_ini(venv, directory):
    """The original's own pipeline, authtoken replaced by fake_auth."""
    shipped = (venv / "etc" / "freezer" / "freezer-paste.ini").read_text()
    assert " authtoken context " in shipped, "the original's pipeline changed"
    path = directory / "paste.ini"
    path.write_text(shipped.replace(" authtoken context ", " fakeauth context ")
                    + "\n[filter:fakeauth]\npaste.filter_factory = fake_auth:filter_factory\n")
    return path


class Original:
    """One running original: its base URL, API version and a requests session per user."""

    def __init__(self, release, directory):
        self.release, self.venv = release, VENVS[release]
        if not (self.venv / "bin" / "python").exists():
            pytest.fail(f"{self.venv} missing: run `make test-import`")
        self.api = "v1" if release == "18.0.0" else "v2"
        self.directory = directory
        conf = directory / "freezer-api.conf"
        conf.write_text(
            "[DEFAULT]\n"
            f"enable_v1_api = {self.api == 'v1'}\n"
            "[storage]\ndriver = sqlalchemy\n"
            f"[database]\nconnection = sqlite:///{directory / 'original.sqlite'}\n"
            f"[paste_deploy]\nconfig_file = {_paste_ini(self.venv, directory)}\n")
        self.env = dict(os.environ, PYTHONPATH=str(HERE), PORT_FILE=str(directory / "port"))
        self.env.pop("OS_AUTH_URL", None)
        self.conf = conf
        sync = subprocess.run([self.venv / "bin" / "freezer-manage", "--config-file", conf,
                               "db", "sync"], env=self.env, capture_output=True, text=True,
                              timeout=300)
        assert sync.returncode == 0, sync.stdout + sync.stderr

    def __enter__(self):
        self.log = open(self.directory / "original.log", "w")
        self.process = subprocess.Popen(
            [self.venv / "bin" / "python", HERE / "serve_original.py", "--config-file",
             self.conf], env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        port_file, deadline = self.directory / "port", time.monotonic() + 120
        while not port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                pytest.fail(f"freezer-api {self.release} did not start: {self.tail()}")
            time.sleep(0.2)
        self.url = f"http://127.0.0.1:{port_file.read_text()}"
        return self

    def tail(self):
        self.log.flush()
        return (self.directory / "original.log").read_text()[-3000:]

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def user(self, user, project):
        return User(self, user, project)


class User:
    def __init__(self, original, user, project):
        self.original, self.user_id, self.project = original, user, project
        self.token = f"fake:{user}:{project}"
        self.http = requests.Session()
        self.http.headers.update({"X-Auth-Token": self.token,
                                  "Content-Type": "application/json"})
        self.prefix = "/v1" if original.api == "v1" else f"/v2/{project}"

    def call(self, method, path, body=None, expect=(200, 201, 204)):
        r = self.http.request(method, self.original.url + self.prefix + path, json=body,
                              timeout=60)
        assert r.status_code in expect, (method, path, r.status_code, r.text,
                                         self.original.tail())
        return r.json() if r.content else None

    def create(self, kind, body):
        answer = self.call("POST", f"/{kind}", body)
        return answer[{"clients": "client_id", "actions": "action_id", "jobs": "job_id",
                       "sessions": "session_id", "backups": "backup_id"}[kind]]

    def listed(self, kind):
        """Every document of a kind, as the original lists it (one page: the test's few)."""
        return self.call("GET", f"/{kind}?limit=1000")[kind]


@pytest.fixture(params=["18.0.0", "19.0.0"])
def original(request, tmp_path):
    with Original(request.param, tmp_path) as running:
        yield running


@pytest.fixture
def our_url(tmp_path):
    from tests.ops.conftest import fresh_database, migrate
    with fresh_database(tmp_path) as url:
        migrate(url)
        yield url


def manage(url, *args, **env):
    from tests.ops.conftest import run
    return run([os.path.join(os.path.dirname(sys.executable), "freezer-manage"), *args], url,
               **env)
