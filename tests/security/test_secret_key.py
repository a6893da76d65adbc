"""Property 10, secrets: outside tests the app refuses a placeholder SECRET_KEY (every one
the shipped examples show) and any key under 32 bytes, saying why; unset, it makes its own."""
import pathlib
import re
import secrets
import subprocess
import sys

import pytest

from app import create_app
from app.secret_key import MIN_BYTES, SecretKeyError

from .conftest import ROOT, server_env

_ASSIGNED = re.compile(r"""SECRET_KEY\s*[=:]\s*["']?([^\s"'#]+)""")


def example_keys() -> set:
    """Every SECRET_KEY value written in the shipped examples and docs."""
    found = set()
    for path in [*pathlib.Path(ROOT, "deploy").iterdir(), *pathlib.Path(ROOT, "docs").glob("*.md"),
                 pathlib.Path(ROOT, "README.md")]:
        if path.is_file():
            found.update(v for v in _ASSIGNED.findall(path.read_text()) if not v.startswith("$"))
    return found


def production_app(database_url, key, **config):
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "AUTH_MODE": "token",
                       "SECRET_KEY": key, **config})


def test_the_examples_show_a_placeholder():
    assert "CHANGE-ME-64-hex-chars" in example_keys()


@pytest.mark.parametrize("key", sorted(example_keys()))
def test_every_example_key_is_refused(database_url, key):
    with pytest.raises(SecretKeyError, match="SECRET_KEY"):
        production_app(database_url, key)


@pytest.mark.parametrize("key", [
    "x", "secret", "a" * (MIN_BYTES - 1), "0123456789abcdef0123456789abcde",   # short
    "change-me-" + secrets.token_hex(16), "ChangeMe" + secrets.token_hex(16),   # placeholders
    "your-secret-key-" + secrets.token_hex(16), "a" * 64, "abab" * 16,          # no variety
])
def test_weak_keys_are_refused_with_the_reason(database_url, key):
    with pytest.raises(SecretKeyError) as refused:
        production_app(database_url, key)
    assert "token_hex(32)" in str(refused.value)  # says how to make a good one


def test_a_random_key_of_32_bytes_is_accepted(database_url):
    app = production_app(database_url, secrets.token_urlsafe(32)[:32])
    assert len(app.config["SECRET_KEY"]) == 32


def test_tests_may_use_a_short_key(database_url):
    assert production_app(database_url, "x", TESTING=True).config["SECRET_KEY"] == "x"


def test_unset_the_app_makes_and_keeps_its_own(database_url, tmp_path, monkeypatch):
    from app import secret_key
    made = secret_key.instance_secret(str(tmp_path))
    assert secret_key.problem(made) is None
    assert secret_key.instance_secret(str(tmp_path)) == made
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_a_server_with_the_example_key_refuses_to_start(tmp_path):
    env = server_env(f"sqlite:///{tmp_path / 'db.sqlite'}", SECRET_KEY="CHANGE-ME-64-hex-chars",
                     AUTH_MODE="token")
    done = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "SECRET_KEY is a placeholder" in done.stderr, done.stderr[-2000:]
