"""Test app on SQLite (a temporary file) or on the database TEST_DATABASE_URL names
(`make test` points it at a throwaway MariaDB database). The schema is built once per run
by the migrations themselves; every test starts from empty tables."""
import os

import pytest
from sqlalchemy import text

from app import clock, create_app
from app.extensions import db

from .builders import ApiUser, api_token, operator, sign_in


def _base_config(url):
    return {"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "AUTH_MODE": "noauth",
            "SECRET_KEY": "test-secret", "SERVER_NAME": None}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL") or \
        f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    app = create_app(_base_config(url))
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        db.engine.dispose()
    return url


def _empty_tables():
    names = [t.name for t in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        for name in names:
            conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def app_config(database_url):
    """Override in a test module to change the app's configuration."""
    return {}


@pytest.fixture
def app(database_url, app_config):
    app = create_app({**_base_config(database_url), **app_config})
    with app.app_context():
        _empty_tables()
    yield app
    clock.freeze(None)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def alice(app, client):
    return _api_user(app, client, "alice")


@pytest.fixture
def bob(app, client):
    return _api_user(app, client, "bob")


def _api_user(app, client, name):
    """noauth: X-User-Id; token mode (a module's app_config): an operator of that name,
    with owner id = the name, calling with an API token."""
    if app.config["AUTH_MODE"] == "token":
        return ApiUser(client, operator(name, user_id=name), name, token=api_token(name))
    return ApiUser(client, name)


@pytest.fixture
def signed_in(app, client):
    """The test client signed in to the dashboard as operator `alice` (owner id "alice",
    the same owner as the `alice` API caller), through the real login form."""
    operator("alice", user_id="alice")
    response = sign_in(client, "alice")
    assert response.status_code == 302, response.text
    return client


@pytest.fixture
def live_config():
    """Override in a test module to change the live server's configuration."""
    return {}


@pytest.fixture
def live_token_server(database_url, live_config):
    """A real HTTP server in AUTH_MODE=token on the test database, and an API token of the
    operator `alice` (owner id "alice"): yields (url, token). For clients that need a socket
    (python-freezerclient: a keystoneauth1 session with token_endpoint.Token(url, token))."""
    import threading

    from werkzeug.serving import make_server

    server_app = create_app({**_base_config(database_url), "AUTH_MODE": "token", **live_config})
    with server_app.app_context():
        _empty_tables()
        operator("alice", user_id="alice")
        token = api_token("alice", "live server")
        db.session.remove()
    server = make_server("127.0.0.1", 0, server_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", token
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        with server_app.app_context():
            db.session.remove()
            db.engine.dispose()
