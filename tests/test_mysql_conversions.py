"""mysqlclient's datetimes are read by datetime.fromisoformat (app/mysql_conversions.py):
the same values as MySQLdb's own parser gives, on every engine the app makes on MariaDB."""
from datetime import datetime, timedelta, timezone

import pytest
from MySQLdb.constants import FIELD_TYPE
from MySQLdb.times import DateTime2literal, DateTime_or_None
from sqlalchemy import text

from app.extensions import db
from app.mysql_conversions import CONVERSIONS, _datetime, _datetime_literal
from tests.builders import job_body


@pytest.mark.parametrize("value", [
    "2026-12-07 22:54:43", "2026-12-07 22:54:43.123456", "2026-12-07 22:54:43.000001",
    "2026-12-07 22:54:43.123", "2026-12-07 22:54:43.1", "2026-12-07 22:54:43.12345",
    "1970-01-01 00:00:00.000000", "9999-12-31 23:59:59.999999",
    "0000-00-00 00:00:00", "2026-00-00 00:00:00", "2026-12-07", "garbage-at-all",
])
def test_a_value_reads_as_mysqldb_reads_it(value):
    ours, theirs = _datetime(value), DateTime_or_None(value)
    assert ours == theirs and type(ours) is type(theirs)


@pytest.mark.parametrize("value", [
    datetime(2026, 12, 7, 22, 54, 43), datetime(2026, 12, 7, 22, 54, 43, 4500),
    datetime(2026, 12, 7, 22, 54, 43, 999999), datetime(5, 1, 2, 3, 4, 5, 6),
    datetime(1970, 1, 1), datetime(2026, 12, 7, 1, 2, 3, 7, tzinfo=timezone.utc),
    datetime(2026, 12, 7, 1, 2, 3, tzinfo=timezone(timedelta(hours=5))),
])
def test_a_value_is_written_as_mysqldb_writes_it(value):
    assert _datetime_literal(value, CONVERSIONS) == DateTime2literal(value, CONVERSIONS)


def test_mysqldb_keeps_its_other_conversions():
    from MySQLdb.converters import conversions
    ours = (FIELD_TYPE.DATETIME, FIELD_TYPE.TIMESTAMP, datetime)
    assert {k: v for k, v in CONVERSIONS.items() if k not in ours} == \
        {k: v for k, v in conversions.items() if k not in ours}


def test_the_app_reads_mariadb_datetimes_with_them(app, alice):
    if db.engine.dialect.name == "sqlite":
        pytest.skip("MariaDB only: SQLite's datetimes are SQLAlchemy's to read")
    assert alice.post("/v1/jobs", job_body("node1")).status_code == 201
    from app.connection import AUTOCOMMIT_READS_KEY
    for engine in (db.engine, app.extensions[AUTOCOMMIT_READS_KEY]):  # writes, and reads
        raw = engine.raw_connection()
        try:
            assert raw.driver_connection.converter[FIELD_TYPE.DATETIME] is _datetime
        finally:
            raw.close()
    with db.engine.connect() as conn:
        stamp, when = conn.execute(text(
            "SELECT created_at, CAST('2026-12-07 22:54:43.5' AS DATETIME(6)) FROM jobs")).one()
    assert isinstance(stamp, datetime) and when == datetime(2026, 12, 7, 22, 54, 43, 500000)
