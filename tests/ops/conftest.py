"""Databases of their own for the operations tests (they create, migrate and drop whole
schemas): a SQLite file, or a throwaway database on TEST_DATABASE_URL's server."""
import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import db

# servers run without TESTING: their key must pass the production checks
SERVER_SECRET_KEY = secrets.token_hex(32)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


@contextlib.contextmanager
def fresh_database(directory):
    """An empty database on the engine under test; dropped afterwards."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{directory / 'ops.sqlite'}"
        return
    url = make_url(server)
    name = f"freezer_ops_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url.set(database=""))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        admin.dispose()


@pytest.fixture
def fresh_database_url(tmp_path):
    with fresh_database(tmp_path) as url:
        yield url


def app_on(url, **config):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "AUTH_MODE": "noauth",
                       "SECRET_KEY": "test-secret", **config})


def migrate(url, revision="head"):
    app = app_on(url)
    with app.app_context():
        from flask_migrate import upgrade
        upgrade(revision=revision)
        db.engine.dispose()


def server_env(url, **extra):
    """The environment of a server or command run against `url` (nothing inherited that
    would point it elsewhere)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("FREEZER_API_CONFIG", "TEST_DATABASE_URL", "PROMETHEUS_MULTIPROC_DIR")}
    env.update({"DATABASE_URL": url, "SECRET_KEY": SERVER_SECRET_KEY})
    env.update(extra)
    return env


def run(args, url, stdin=subprocess.DEVNULL, **env):
    return subprocess.run(args, env=server_env(url, **env), cwd=ROOT, stdin=stdin,
                          capture_output=True, text=True, timeout=120)


def free_port() -> int:
    """A port free right now (the kernel's pick), for a server started next."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, proc, log, seconds: float = 120) -> None:
    """Until `url` answers 2xx; fails with the server's log if `proc` ends or time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            pytest.fail(f"nothing served {url}:\n{log.read()}")
        time.sleep(0.3)


def count(url, table):
    """Rows in a table of the database at url (its own engine, disposed after)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
    finally:
        engine.dispose()
