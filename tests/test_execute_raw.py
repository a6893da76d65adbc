"""app/connection.py `execute_raw`: a statement sent by the driver (on MariaDB by
mysqlclient's connection itself, on SQLite by a cursor) answers what a cursor answers:
rows, the rows an UPDATE matched; values escaped; errors as SQLAlchemy's."""
import pytest
from sqlalchemy.exc import DBAPIError

from app.connection import execute_raw
from app.extensions import db


@pytest.fixture
def raw(app):
    with app.app_context():
        conn = db.engine.raw_connection()
        try:
            yield conn
        finally:
            conn.rollback()
            conn.close()


def marks(n):
    return ", ".join(["?" if db.engine.dialect.paramstyle == "qmark" else "%s"] * n)


def percent():
    """A literal % as the driver's paramstyle writes it (format and pyformat double it)."""
    return "%" if db.engine.dialect.paramstyle == "qmark" else "%%"


def test_rows_and_row_counts_as_a_cursor_answers_them(raw):
    sql = f"INSERT INTO settings (name, value) VALUES ({marks(2)})"
    assert execute_raw(raw, sql, ("a", "it's 100% \\ \"quoted\""), lambda c: c.rowcount) == 1
    execute_raw(raw, sql, ("b", "ünïcode ✓"))
    select = f"SELECT name, value FROM settings WHERE name IN ({marks(2)}) ORDER BY name"
    assert execute_raw(raw, select, ("a", "b"), lambda c: list(c.fetchall())) == [
        ("a", "it's 100% \\ \"quoted\""), ("b", "ünïcode ✓")]
    assert execute_raw(raw, f"SELECT {marks(1)} IS NULL, {marks(1)}", (None, 7),
                       lambda c: c.fetchone()) == (1, 7)
    assert execute_raw(raw, select, ("x", "y"), lambda c: c.fetchone()) is None
    like = f"SELECT name FROM settings WHERE value LIKE '{percent()}100{percent()}'"
    assert execute_raw(raw, like, (), lambda c: c.fetchone()) == ("a",)
    update = f"UPDATE settings SET value = {marks(1)} WHERE name = {marks(1)}"
    assert execute_raw(raw, update, ("v", "b"), lambda c: c.rowcount) == 1
    assert execute_raw(raw, update, ("v", "nobody"), lambda c: c.rowcount) == 0


def test_a_driver_error_is_sqlalchemy_s(raw):
    with pytest.raises(DBAPIError):
        execute_raw(raw, "SELECT no_such_column FROM settings", ())
    # the connection still answers afterwards
    assert execute_raw(raw, "SELECT 1", (), lambda c: c.fetchone()) == (1,)
