"""The database's part of a request: one transaction per request, committed by the request
(services only flush), and SQLite set up to behave under concurrent writers."""
import logging

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from .extensions import db

log = logging.getLogger(__name__)
READ_METHODS = ("GET", "HEAD", "OPTIONS")


def init_app(app):
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.name in ("mysql", "mariadb"):
        _configure_mysql(engine)

    @app.after_request
    def commit(response):
        from .errors import error_response
        if response.status_code >= 400:
            db.session.rollback()
            return response
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            log.info("commit refused by a unique constraint", exc_info=True)
            return error_response(409, "Document already existing",
                                  "The document was created concurrently by another request")
        except (OperationalError, DBAPIError):
            db.session.rollback()
            log.warning("commit failed: database unavailable", exc_info=True)
            return error_response(503, "Service Unavailable",
                                  "The database is unavailable; the change was not saved. Retry.")
        return response


def _configure_mysql(engine: Engine):
    """READ COMMITTED, not InnoDB's REPEATABLE READ: under REPEATABLE READ a request's plain
    reads come from a snapshot taken at its first read (the token lookup), older than the
    row it then locks; a job PATCH saw its job's latest actions but not the action rows a
    concurrent PATCH had just committed, re-inserted one and answered 409 (found by
    tests/reliability/test_races.py through 4 workers)."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")
        cursor.close()


def _configure_sqlite(engine: Engine):
    """pysqlite's own transaction handling starts transactions lazily and cannot take the
    write lock up front; take over: writing requests BEGIN IMMEDIATE, so their reads
    already hold the lock and a read-modify-write can never lose an update."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        writing = has_request_context() and request.method not in READ_METHODS
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
