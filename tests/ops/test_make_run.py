"""`make run` as a newcomer runs it: it listens where FREEZER_API_PORT / FREEZER_API_BIND
say (gunicorn.conf.py reads them like every other setting) and its first-start message
names that address."""
import os
import signal
import subprocess

import pytest

from config import bind_address, local_url

from .conftest import ROOT, free_port, server_env, wait_until_serving


def _make_env(url, **extra):
    env = server_env(url, **extra)
    for key in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "FREEZER_API_BIND", "FREEZER_API_HOST",
                "FREEZER_API_PORT"):
        env.pop(key, None)  # a `make test` around this test must not leak into `make run`
    env.update(extra)
    return env


def test_make_run_listens_where_the_environment_says(fresh_database_url, tmp_path):
    port = free_port()
    with open(tmp_path / "make-run.log", "w+") as log:
        output = _run_until_listening(fresh_database_url, "FREEZER_API_PORT", str(port), port,
                                      log)
    assert f"sign in at  http://127.0.0.1:{port}/auth/login" in output, output


def _run_until_listening(url, setting, value, port, log) -> str:
    proc = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=ROOT,
                            env=_make_env(url, **{setting: value}),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_serving(f"http://127.0.0.1:{port}/healthcheck", proc, log)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
    log.seek(0)
    return log.read()


@pytest.mark.parametrize("settings, bind, url", [
    ({}, "127.0.0.1:9090", "http://127.0.0.1:9090"),
    ({"PORT": 8080}, "127.0.0.1:8080", "http://127.0.0.1:8080"),
    ({"HOST": "0.0.0.0", "PORT": 8080}, "0.0.0.0:8080", "http://127.0.0.1:8080"),
    ({"BIND": "[::]:8443", "PORT": 8080}, "[::]:8443", "http://127.0.0.1:8443"),
    ({"BIND": "unix:/run/freezer-api.sock"}, "unix:/run/freezer-api.sock", None)])
def test_one_rule_for_where_the_server_listens(settings, bind, url):
    """gunicorn.conf.py binds to bind_address(); the first-start message shows local_url()."""
    config = {"BIND": "", "HOST": "127.0.0.1", "PORT": 9090, **settings}
    assert (bind_address(config), local_url(config)) == (bind, url)


def test_make_refuses_the_old_port_variable():
    result = subprocess.run(["make", "-n", "run", "PORT=8080"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "FREEZER_API_PORT" in result.stderr


def test_a_venv_without_pip_is_noticed_and_made_again(tmp_path):
    """A venv made before python3-venv was installed has a Python but no pip: the next make
    must not trust its stamp (every later make failed until `make clean`)."""
    venv = tmp_path / "venv"
    subprocess.run(["python3", "-m", "venv", "--without-pip", str(venv)], check=True)
    (venv / ".installed").touch()
    result = subprocess.run(["make", "-n", f"VENV={venv}", "install"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert "no longer works" in result.stdout, result.stdout + result.stderr
    assert not (venv / ".installed").exists()
    assert "-m venv" in result.stdout and "pip install" in result.stdout  # made again
