"""What mysqlclient (MySQLdb) turns the server's values into, and Python's into: its own
conversions, but DATETIME and TIMESTAMP values read by `datetime.fromisoformat` and
written by `datetime.isoformat` (both C) instead of MySQLdb's Python (1.8 us a value read
against 0.07, 4.3 us a value written against 1.5): a job's row carries seven of them, and
every request reads one and every write sends some (bench/PROFILE.md, round 10). The
values are the same: what fromisoformat does not read (zero dates, fractions of other
than 3 or 6 digits) is read by MySQLdb's parser, and an aware datetime is written by
MySQLdb's formatter (which drops its zone), as before."""
from datetime import datetime

from MySQLdb._mysql import string_literal
from MySQLdb.constants import FIELD_TYPE
from MySQLdb.converters import conversions
from MySQLdb.times import DateTime2literal, DateTime_or_None


def _datetime(text: str):
    if len(text) > 10:  # a date alone is MySQLdb's to read (a date, not a datetime)
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    return DateTime_or_None(text)


def _datetime_literal(value: datetime, conversions_) -> bytes:
    if value.tzinfo is not None:
        return DateTime2literal(value, conversions_)
    return string_literal(value.isoformat(" "))


CONVERSIONS = {**conversions, FIELD_TYPE.DATETIME: _datetime, FIELD_TYPE.TIMESTAMP: _datetime,
               datetime: _datetime_literal}


def connect_args(url) -> dict:
    """The `connect_args` for an engine on `url` (a sqlalchemy URL): MySQLdb's only."""
    if url.get_backend_name() in ("mysql", "mariadb") and url.get_driver_name() == "mysqldb":
        return {"conv": CONVERSIONS}
    return {}
