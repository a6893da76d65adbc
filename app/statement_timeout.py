"""A cap on how long any one database statement of a request may run
(DB_STATEMENT_TIMEOUT seconds, 0 = none), so no query outlives the request that asked for
it: gunicorn kills a worker after GUNICORN_TIMEOUT, but the database would go on running
its statement (a 20,000-item search held a MariaDB core for six minutes).

MariaDB: each statement of a request is sent as `SET STATEMENT max_statement_time=N FOR
...`, a per-statement setting (no extra round trip, and nothing outside requests, such
as migrations or the watcher, is capped). MySQL: the MAX_EXECUTION_TIME hint
(it caps SELECTs only). SQLite: a progress handler stops a statement, its rows fetched
included, once the deadline set when it started has passed. The stopped statement raises
OperationalError, which answers 503 naming the cap (app/errors.py)."""
import time

from flask import has_request_context
from sqlalchemy import event

from . import context

# MariaDB's ER_STATEMENT_TIMEOUT, MySQL's ER_QUERY_TIMEOUT
TIMEOUT_CODES = (1969, 3024)
_CAPPED = ("select", "insert", "update", "delete", "replace", "with")
_DEADLINE = "freezer_statement_deadline"
_SQLITE_CHECK_EVERY = 10_000  # virtual machine instructions between two deadline checks


def _seconds() -> float:
    if not has_request_context():
        return 0
    return float(context.config().get("DB_STATEMENT_TIMEOUT") or 0)


def install(engine) -> None:
    if engine.dialect.name == "sqlite":
        _install_sqlite(engine)
    elif engine.dialect.name in ("mysql", "mariadb"):
        _install_mysql(engine)


def capped(statement: str, dialect, seconds: float) -> str:
    """The statement as sent to MariaDB/MySQL under a cap of `seconds` (0: as it is)."""
    head = statement.lstrip()[:7].lower()
    if seconds <= 0 or dialect.name not in ("mysql", "mariadb") or not head.startswith(_CAPPED):
        return statement
    if dialect.is_mariadb:
        return f"SET STATEMENT max_statement_time={seconds:g} FOR {statement}"
    if head.startswith("select"):  # MySQL caps read-only SELECTs only
        start = statement.lower().index("select") + len("select")
        hint = f" /*+ MAX_EXECUTION_TIME({int(seconds * 1000)}) */"
        return statement[:start] + hint + statement[start:]
    return statement


def arm(connection_info: dict, seconds: float) -> None:
    """SQLite: the deadline of the statement about to run on the connection whose pool
    record holds `connection_info` (the progress handler reads it)."""
    connection_info[_DEADLINE] = time.monotonic() + seconds if seconds > 0 else None


def seconds() -> float:
    """The cap of a statement run now: DB_STATEMENT_TIMEOUT in a request, none outside."""
    return _seconds()


def _install_mysql(engine) -> None:
    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def cap(conn, cursor, statement, parameters, context, executemany):
        return capped(statement, conn.dialect, _seconds()), parameters


def _install_sqlite(engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, record):
        record.info[_DEADLINE] = None

        def over_time():
            deadline = record.info.get(_DEADLINE)
            return 1 if deadline is not None and time.monotonic() > deadline else 0

        dbapi_connection.set_progress_handler(over_time, _SQLITE_CHECK_EVERY)

    @event.listens_for(engine, "before_cursor_execute")
    def start(conn, cursor, statement, parameters, context, executemany):
        arm(conn.connection.info, _seconds())

    @event.listens_for(engine, "checkin")
    def forget(dbapi_connection, record):
        record.info[_DEADLINE] = None


def is_timeout(exc) -> bool:
    """True when the database stopped a statement at the cap."""
    orig = getattr(exc, "orig", None)
    args = getattr(orig, "args", None) or ()
    if args and args[0] in TIMEOUT_CODES:
        return True
    return type(orig).__module__.startswith("sqlite3") and "interrupted" in str(orig)
