"""The database's part of a request: one transaction per request, committed by the request
(services only flush), replayed whole when the database chose it as the loser of a write
conflict, and SQLite set up to behave under concurrent writers."""
import contextlib
import contextvars
import io
import itertools
import logging
import random
import time

from flask import has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, InvalidatePoolError, OperationalError
from sqlalchemy.orm import Session

from .connection import (AUTOCOMMIT_READS_KEY, PING_AFTER_IDLE, READ_METHODS, end_read,
                         own_transaction_connection, session_raw_connection)
from . import context
from .extensions import db

log = logging.getLogger(__name__)
#: SQL function lower-casing any Unicode text on SQLite, whose own lower() and LIKE fold
#: only ASCII ("École" stayed "École"). MariaDB's LOWER() already folds Unicode.
SQLITE_UNICODE_LOWER = "unicode_lower"


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value


# ER_LOCK_DEADLOCK: InnoDB's deadlock victim, and on Galera a transaction that failed
# certification at commit or was aborted by a replicated write it conflicted with. In every
# case the transaction was rolled back whole and nothing of it was written.
DEADLOCK = 1213
CONFLICT_KEY = "freezer.db_conflict"
REPLAYED_KEY = "freezer.replayed"  # in a replay's environ: its attempt (2, 3...)
WROTE_KEY = "freezer.wrote"


def error_code(exc) -> int | None:
    orig = getattr(exc, "orig", None)
    args = getattr(orig, "args", None) or ()
    return args[0] if args and isinstance(args[0], int) else None


def note_conflict(exc) -> bool:
    """Called where a request's database error becomes its answer: marks the request for
    ReplayOnConflict when the error was a write conflict."""
    if error_code(exc) != DEADLOCK:
        return False
    return replay_request()


def replayed() -> bool:
    """Whether this request is being run again after a lost conflict (ReplayOnConflict)."""
    return has_request_context() and REPLAYED_KEY in context.environ()


def replay_request() -> bool:
    """Mark the request to be run again from the start (ReplayOnConflict): its transaction
    lost a write conflict, or a write without a lock lost its race (services.unlocked)."""
    if not has_request_context():
        return False
    context.environ()[CONFLICT_KEY] = True
    return True


def rollback():
    """Roll the request's transaction back. When the connection died under the request
    (its node was killed, the proxy cut it), the rollback fails as well: nothing is left to
    undo (the server dropped the transaction) and the pool discards the connection, so the
    request still answers its 503 instead of a 500."""
    try:
        db.session.rollback()
    except DBAPIError as exc:
        log.info("rollback on a lost connection: %s", getattr(exc, "orig", exc))


class ReplayOnConflict:
    """WSGI, around the Flask app: a request whose transaction lost a write conflict is run
    again from the start, up to `attempts` times in all, before its answer goes out.

    The whole request, not just its commit: the loser's reads (a session's tag, a job's
    version) are what the winner just changed, so the work is redone on a fresh request
    context, a fresh database session and the same body, and decides again on what is now
    committed. Safe because every write of a request is in its one transaction (services
    flush, the request commits), which the database rolled back. Only bodies up to
    MAX_CONTENT_LENGTH are kept for a replay; a larger one is refused with 413 anyway."""

    def __init__(self, wsgi_app, attempts: int, max_body: int | None):
        self.wsgi_app = wsgi_app
        self.attempts = max(1, attempts)
        self.max_body = max_body

    def __call__(self, environ, start_response):
        if self.attempts == 1:
            return self.wsgi_app(environ, start_response)
        body = self._body(environ)
        if body is None:  # not kept: an unreadable or too large body, answered once
            return self.wsgi_app(environ, start_response)
        for attempt in range(1, self.attempts + 1):
            env = dict(environ, **{"wsgi.input": io.BytesIO(body)})
            if attempt > 1:
                env[REPLAYED_KEY] = attempt
            if attempt == self.attempts:  # the last answer goes out whatever it is
                return self._answered(environ, env, self.wsgi_app(env, start_response))
            sent, written = [], []

            def capture(status, headers, exc_info=None):
                sent[:] = [status, headers, exc_info]
                return written.append

            result = self.wsgi_app(env, capture)
            if not env.get(CONFLICT_KEY):
                write = start_response(*sent)
                for chunk in written:
                    write(chunk)
                return self._answered(environ, env, result)
            if hasattr(result, "close"):
                result.close()
            log.info("[%s] %s %s lost a write conflict (attempt %d of %d); replaying it",
                     environ.get("freezer.request_id", "-"), environ.get("REQUEST_METHOD"),
                     environ.get("PATH_INFO"), attempt, self.attempts)
            # let the winner's commit land (and replicate) before reading again
            time.sleep(random.uniform(0.005, 0.02 * 2 ** attempt))
        raise AssertionError("unreachable")

    @staticmethod
    def _answered(environ, env, result):
        """What the app put in the attempt's environ (the matched route for /metrics, the
        identity...) is seen by the layers outside this one, as without a replay."""
        stream = environ.get("wsgi.input")
        environ.update(env)
        environ["wsgi.input"] = stream
        return result

    def _body(self, environ) -> bytes | None:
        stream = environ.get("wsgi.input")
        length = environ.get("CONTENT_LENGTH")
        limit = self.max_body if self.max_body is not None else 1 << 30
        if length:
            try:
                length = int(length)
            except ValueError:
                return None
            return stream.read(length) if 0 <= length <= limit else None
        if environ.get("wsgi.input_terminated") and stream is not None:
            return stream.read(limit + 1)  # more than the limit: the app answers 413
        return b""


# Outside a request (the watcher), whether transactions write: SQLite then takes the write
# lock up front (BEGIN IMMEDIATE) as writing requests do, so a claim can never be lost.
_writing = contextvars.ContextVar("freezer_write_transactions", default=False)


@contextlib.contextmanager
def write_transactions():
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def init_app(app):
    app.wsgi_app = ReplayOnConflict(app.wsgi_app, app.config.get("DB_CONFLICT_ATTEMPTS", 3),
                                    app.config.get("MAX_CONTENT_LENGTH"))
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif engine.dialect.name in ("mysql", "mariadb"):
        _configure_mysql(engine)
        _autocommit_reads(app, engine)
        _kept_writes(app, engine)
    from . import statement_timeout
    statement_timeout.install(engine)  # DB_STATEMENT_TIMEOUT: no statement outlives its request
    from .services import stored_sizes
    stored_sizes.install()  # a value too large for its column is a 400, never a 500

    _pool_round_trips(engine)

    @app.teardown_request
    def end_read_at_teardown(_exc=None):
        end_read(context.environ())

    @app.after_request
    def commit(response):
        from .errors import error_response
        from .services.errors import ServiceError
        end_read(context.environ())
        if not db.session.registry.has():
            return response  # no ORM session was opened (a read on its own connection)
        if response.status_code >= 400:
            rollback()
            return response
        if not wrote(db.session):
            try:
                db.session.rollback()  # a read: its transaction ends without a commit
            except DBAPIError:  # the answer is whole; the pool drops the broken connection
                log.info("ending a read's transaction failed", exc_info=True)
            return response
        try:
            db.session.commit()
        except ServiceError as error:  # a value refused at the last flush (stored_sizes)
            db.session.rollback()
            return error_response(error.status, error.title, error.description, error.errors)
        except IntegrityError:
            rollback()
            log.info("commit refused by a unique constraint", exc_info=True)
            return error_response(409, "Document already existing",
                                  "The document was created concurrently by another request")
        except (OperationalError, DBAPIError) as exc:
            rollback()
            if note_conflict(exc):
                log.info("commit lost a write conflict: %s", exc.orig)
                return error_response(503, "Service Unavailable",
                                      "The change conflicted with concurrent ones and was not "
                                      "saved. Retry.", headers={"Retry-After": "1"})
            log.warning("commit failed: database unavailable", exc_info=True)
            return error_response(503, "Service Unavailable",
                                  "The database is unavailable; the change was not saved. Retry.")
        return response


def single_write_connection(shared: bool = False):
    """The connection for a write sent without the ORM (app/services/unlocked.py), and
    whether it is the session's (then the request commits it: WROTE_KEY). The request's only
    change (nothing written through its session, none to follow, no row lock taken: not
    `shared`): its own transaction, on MariaDB/MySQL the thread's autocommit connection;
    else in the session's transaction, committed or rolled back with the rest."""
    if not shared and not (db.session.registry.has() and wrote(db.session)):
        return own_transaction_connection()
    return session_raw_connection(), True


def wrote(session) -> bool:
    """Whether the request's transaction holds anything to commit: pending objects, or a
    flush or a DML statement through the session since its last commit or rollback (every
    write of a request goes through its session; the side transactions of last_seen, token
    use and next_run_at refreshes commit themselves)."""
    return bool(session.new or session.dirty or session.deleted or session.info.get(WROTE_KEY))


@event.listens_for(Session, "after_flush")
def _flushed(session, _context):
    session.info[WROTE_KEY] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state):
    if not state.is_select:
        state.session.info[WROTE_KEY] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _ended(session):
    session.info.pop(WROTE_KEY, None)


def _pool_round_trips(engine: Engine):
    """What the pool does around a request, without the round trips that buy nothing:
    - pool_pre_ping's check (config.py leaves it off) only for a connection that sat idle,
      so a dead one (the database restarted or failed over) is replaced before use;
    - the pool's reset-on-return (config.py turns it off) only for a connection that ran a
      statement since its last commit or rollback: the request's session already ended its
      transaction, and a second ROLLBACK at every checkin is a wasted round trip."""

    @event.listens_for(engine, "checkout")
    def checked_out(dbapi_connection, record, _proxy):
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since <= PING_AFTER_IDLE:
            return  # new, or in steady use
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - as pool_pre_ping: replace every older one
            raise InvalidatePoolError(f"idle connection failed its ping: {exc}") from exc

    @event.listens_for(engine, "before_cursor_execute")
    def opened(conn, _cursor, _statement, _parameters, _context, _executemany):
        conn.info["open"] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def ended(conn):
        if not conn.invalidated:  # an invalidated one is dropped, not checked in
            conn.info["open"] = False

    @event.listens_for(engine, "checkin")
    def checked_in(dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()
        if dbapi_connection is None or not record.info.get("open"):
            return
        try:
            engine.dialect.do_rollback(dbapi_connection)
            record.info["open"] = False
        except Exception as exc:  # noqa: BLE001 - as the pool's own reset: drop it
            record.invalidate(exc)


def _autocommit_reads(app, engine: Engine):
    """MariaDB/MySQL: a pool of autocommit connections of its own for the prepared reads
    (app/connection.py), so that the read of one statement is one round trip, with no
    ROLLBACK after it (the reads' share of MariaDB's CPU and a wake-up of the worker less).
    A statement in autocommit is its own transaction and holds nothing afterwards. SQLite
    keeps one engine: it has no round trips, and an in-memory database is one connection's."""
    from sqlalchemy import create_engine
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    options.pop("isolation_level", None)
    reads = create_engine(engine.url, isolation_level="AUTOCOMMIT", **options)
    _pool_round_trips(reads)  # a connection idle over a second is pinged before use
    app.extensions[AUTOCOMMIT_READS_KEY] = reads


def _kept_writes(app, engine: Engine):
    """MariaDB/MySQL: a request's session runs on the connection its thread keeps
    (app/connection.py `_KeptWrite`), not one checked out of the pool and in again."""
    from .connection import KEPT_WRITES_KEY, keep_write_connection
    from .extensions import Session
    Session.bind_hook = keep_write_connection
    app.extensions[KEPT_WRITES_KEY] = engine


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
        dbapi_connection.create_function(SQLITE_UNICODE_LOWER, 1, _unicode_lower,
                                         deterministic=True)

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        writing = _writing.get() or (has_request_context() and
                                     context.current_request().method not in READ_METHODS)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")
