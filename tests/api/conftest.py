import pytest

from app.extensions import db


@pytest.fixture
def mariadb(app):
    """For what only a database with row locks can show: a writer coming between another
    request's read and its write."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            pytest.skip("SQLite: a writing request holds the write lock from its first read "
                        "(BEGIN IMMEDIATE), so no writer can come between its read and write")
