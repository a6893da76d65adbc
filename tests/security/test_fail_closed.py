"""Property 1, fail closed: with AUTH_MODE=keystone every shipped entry point serves the app
behind keystonemiddleware's auth_token or refuses to start saying why; identity headers are
believed only on a request auth_token handled; the start-up log names the auth mode."""
import glob
import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from tests import keystone_stub

from .conftest import ROOT, fresh_database, gunicorn, migrate, server_env, unix_request

pytest.importorskip("keystonemiddleware.auth_token")

FORGED = {"X-Identity-Status": "Confirmed", "X-User-Id": keystone_stub.USER,
          "X-User-Name": "admin", "X-Roles": "admin", "Accept": "application/json"}


def shipped_files():
    names = ["Makefile", "README.md", "gunicorn.conf.py", "wsgi.py"]
    names += glob.glob("deploy/*", root_dir=ROOT) + glob.glob("docs/*.md", root_dir=ROOT)
    paths = {name: os.path.join(ROOT, name) for name in names}
    return {name: pathlib.Path(path).read_text() for name, path in paths.items()
            if os.path.isfile(path)}


_ENTRY_POINTS = [
    re.compile(r"gunicorn\b[^\n`]*?\s'?([A-Za-z_][\w.]*:[A-Za-z_]\w*(?:\(\))?)'?(?=[\s`]|$)"),
    re.compile(r"--module[ =]([A-Za-z_][\w.]*(?::[A-Za-z_]\w*)?)"),          # uwsgi
    re.compile(r"WSGIScriptAlias\s+\S+\s+\S*?([A-Za-z_]\w*)\.py\b"),          # mod_wsgi
]


def entry_points() -> dict:
    """Every WSGI entry point the shipped files start, e.g. {"wsgi:app": ["Makefile"]}."""
    found = {}
    for name, text in shipped_files().items():
        for pattern in _ENTRY_POINTS:
            for match in pattern.finditer(text):
                point = match.group(1)
                if ":" not in point:  # uwsgi's --module default and mod_wsgi's name
                    point += ":application"
                found.setdefault(point, []).append(name)
    return found


def test_the_shipped_files_name_their_entry_points():
    points = entry_points()
    # the scan itself must see what deploy/ and the Makefile start
    assert "wsgi:app" in points and "wsgi:application" in points, points
    assert any(n.startswith("deploy/") for n in points["wsgi:app"]), points
    assert any(n.startswith("deploy/apache") for n in points["wsgi:application"]), points


_PROBE = r"""
import importlib, json, sys
from werkzeug.test import Client
forged = json.loads(sys.argv[1])
for point in sys.argv[2:]:
    module, _, attr = point.partition(":")
    try:
        target = getattr(importlib.import_module(module), attr.removesuffix("()"))
        app = target() if attr.endswith("()") else target
        client = Client(app)
        answers = {f"{method} {path}": client.open(path, method=method, headers=forged).status_code
                   for method, path in (("GET", "/v1/jobs"), ("GET", "/v1/clients"),
                                        ("POST", "/v1/jobs"))}
    except Exception as exc:
        answers = {"error": repr(exc)}
    print(json.dumps({point: answers}))
"""


def keystone_env(tmp_path, conf_text="[keystone_authtoken]\n"
                 "www_authenticate_uri = http://127.0.0.1:9/identity\n"
                 "auth_url = http://127.0.0.1:9/identity\n", **extra):
    conf = tmp_path / "freezer.conf"
    conf.write_text(conf_text)
    env = server_env(f"sqlite:///{tmp_path / 'db.sqlite'}", AUTH_MODE="keystone",
                     **{"KEYSTONE_CONFIG_FILE": str(conf), **extra})
    env.pop("FREEZER_API_CONFIG", None)
    return env


def test_every_shipped_entry_point_refuses_forged_identity_headers(tmp_path):
    points = entry_points()
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(FORGED), *points],
                          cwd=ROOT, env=keystone_env(tmp_path), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    answers = {}
    for line in done.stdout.strip().splitlines():
        answers.update(json.loads(line))
    assert set(answers) == set(points)
    wrong = {point: (points[point], seen) for point, seen in answers.items()
             if set(seen.values()) != {401}}
    assert wrong == {}


@pytest.mark.parametrize("why, setup, message", [
    ("no configuration file", lambda env, tmp: env.update(KEYSTONE_CONFIG_FILE=str(tmp / "none")),
     "not found"),
    ("no [keystone_authtoken] Keystone", lambda env, tmp: (tmp / "freezer.conf").write_text(
        "[keystone_authtoken]\nauth_type = password\n"), "names no Keystone"),
    ("keystonemiddleware missing", lambda env, tmp: env.update(
        PYTHONPATH=str(tmp / "hide")) or _hide_keystonemiddleware(tmp / "hide"),
     "requirements-keystone.txt"),
])
def test_a_start_that_cannot_validate_tokens_refuses_to_serve(tmp_path, why, setup, message):
    env = keystone_env(tmp_path)
    setup(env, tmp_path)
    done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0, why
    assert "AUTH_MODE=keystone" in done.stderr and message in done.stderr, done.stderr[-2000:]


def _hide_keystonemiddleware(directory):
    """A package of that name that fails to import, first on the path."""
    package = directory / "keystonemiddleware"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("raise ImportError('hidden by the test')\n")


def test_identity_headers_without_the_middleware_are_not_believed(app):
    """The app's own check, whatever wraps it: headers alone (no auth_token) are no identity."""
    from app.auth.identity import current_identity
    from app.services.errors import Unauthorized
    app.config["AUTH_MODE"] = "keystone"
    with app.test_request_context("/v1/jobs", headers=FORGED):
        with pytest.raises(Unauthorized):
            current_identity()
    # the marker is a WSGI environ key: a header of the same name is HTTP_..., not it
    from app.auth.keystone import VALIDATED
    with app.test_request_context("/v1/jobs", headers={**FORGED, VALIDATED: "True",
                                                        "Freezer-Keystone-Validated": "1"}):
        with pytest.raises(Unauthorized):
            current_identity()


def test_gunicorn_as_deployed_serves_the_wrapped_app_and_logs_the_mode(tmp_path):
    with fresh_database(tmp_path) as url:
        migrate(url)
        env = keystone_env(tmp_path, DATABASE_URL=url)
        sock = tmp_path / "gunicorn.sock"
        with gunicorn(env, sock, tmp_path / "gunicorn.log", workers=1):
            for path in ("/v1/jobs", "/v1/clients"):
                status, body = unix_request(str(sock), "GET", path, FORGED)
                assert status == 401, body
            assert unix_request(str(sock), "GET", "/healthz")[0] == 200
        log = (tmp_path / "gunicorn.log").read_text()
        assert "AUTH_MODE=keystone" in log, log


def test_gunicorn_refuses_to_start_without_keystone_settings(tmp_path):
    env = keystone_env(tmp_path, KEYSTONE_CONFIG_FILE=str(tmp_path / "missing.conf"))
    sock = tmp_path / "gunicorn.sock"
    with gunicorn(env, sock, tmp_path / "gunicorn.log", workers=1, wait=False) as proc:
        code = proc.wait(timeout=60)
    assert code != 0
    log = (tmp_path / "gunicorn.log").read_text()
    assert "AUTH_MODE=keystone: no keystonemiddleware configuration file" in log, log


@pytest.mark.parametrize("mode", ["token", "noauth"])
def test_the_start_up_log_names_every_auth_mode(database_url, mode, caplog):
    from app import create_app
    caplog.set_level("INFO", logger="app")
    create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url, "AUTH_MODE": mode,
                "SECRET_KEY": "test-secret"})
    assert f"AUTH_MODE={mode}" in caplog.text
