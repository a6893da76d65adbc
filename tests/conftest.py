"""Test app on SQLite (a temporary file) or on the database TEST_DATABASE_URL names
(`make test` points it at a throwaway MariaDB database). The schema is built once per run
by the migrations themselves; every test starts from empty tables."""
import os

import pytest
from sqlalchemy import text

from app import create_app
from app.extensions import db
from app.services import clock

from .builders import ApiUser


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
def alice(client):
    return ApiUser(client, "alice")


@pytest.fixture
def bob(client):
    return ApiUser(client, "bob")
