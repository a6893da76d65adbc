"""The connection a request's Core statements run on (the token lookup, stored texts):
a read gets one of its own, no ORM Session. Beside app/db.py, which ends it, and below the
services that use it (it imports nothing of the app but the extensions)."""
import logging

from flask import has_request_context, request
from sqlalchemy.exc import DBAPIError

from .extensions import db

log = logging.getLogger(__name__)
READ_METHODS = ("GET", "HEAD", "OPTIONS")
READ_CONNECTION_KEY = "freezer.read_connection"


def connection():
    """A writing request: its session's connection, so its statements see its own writes,
    in its one transaction. A read (GET, HEAD, OPTIONS): one Core connection of its own,
    ended with one ROLLBACK with the request (`end_read`, app/db.py): a read needs no
    Session and no commit, and the Session's transaction bookkeeping cost more CPU than the
    statement it ran. Outside a request (commands, the watcher): the session's."""
    if not has_request_context() or request.method not in READ_METHODS:
        return db.session.connection()
    conn = request.environ.get(READ_CONNECTION_KEY)
    if conn is None or conn.closed:
        conn = request.environ[READ_CONNECTION_KEY] = db.engine.connect()
    return conn


def end_read(environ) -> None:
    """End a read's own connection: its transaction rolled back, the connection back in the
    pool (one whose database went away is discarded by the pool). Called when the answer is
    made, and at teardown for a request that raised."""
    conn = environ.pop(READ_CONNECTION_KEY, None)
    if conn is None:
        return
    try:
        conn.rollback()
    except DBAPIError:  # the answer is whole; the pool drops the broken connection
        log.info("ending a read's transaction failed", exc_info=True)
    finally:
        conn.close()
