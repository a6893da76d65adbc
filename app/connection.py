"""The connection a request's Core statements run on (the token lookup, stored texts):
a read gets one of its own, no ORM Session. Beside app/db.py, which ends it, and below the
services that use it (it imports nothing of the app but the extensions and the statement
cap).

What agents read constantly (an item GET, a poll) runs as a `Prepared` statement: compiled
once, then sent by the database driver's own cursor on a read's connection. SQLAlchemy's
execution of a statement (cache key, execution context, result object) cost more CPU than
the round trip itself (0.32 ms against 0.13 for one job GET, measured in bench/PROFILE.md)."""
import logging
import threading
import time
import weakref
from typing import NamedTuple

from flask import has_request_context
from sqlalchemy.exc import DBAPIError

from . import context, statement_timeout
from .extensions import db

log = logging.getLogger(__name__)
READ_METHODS = ("GET", "HEAD", "OPTIONS")
READ_CONNECTION_KEY = "freezer.read_connection"
RAW_READ_CONNECTION_KEY = "freezer.raw_read_connection"
AUTOCOMMIT_READS_KEY = "freezer_autocommit_reads"  # app.extensions: MariaDB/MySQL only
KEPT_WRITES_KEY = "freezer_kept_writes"  # app.extensions: the engine whose sessions keep one
#: A pooled connection idle longer than this is pinged before use (a restarted or failed-over
#: database has dropped it); one in steady use is not: a round trip saved on every request.
PING_AFTER_IDLE = 1.0
#: How long a thread keeps its autocommit read connection out of the pool while in use
#: (`_Kept`); then it goes back, so the pool's recycling applies as to any other.
KEEP_FOR = 60.0


def reading() -> bool:
    """A request that writes nothing (GET, HEAD, OPTIONS)."""
    return has_request_context() and context.current_request().method in READ_METHODS


def connection():
    """A writing request: its session's connection, so its statements see its own writes,
    in its one transaction. A read (GET, HEAD, OPTIONS): one Core connection of its own,
    ended with one ROLLBACK with the request (`end_read`, app/db.py): a read needs no
    Session and no commit, and the Session's transaction bookkeeping cost more CPU than the
    statement it ran. Outside a request (commands, the watcher): the session's."""
    if not reading():
        return db.session.connection()
    environ = context.environ()
    conn = environ.get(READ_CONNECTION_KEY)
    if conn is None or conn.closed:
        conn = environ[READ_CONNECTION_KEY] = db.engine.connect()
    return conn


class _Kept(threading.local):
    """The autocommit read connection a thread (a sync worker: its process) keeps between
    requests: checking one out of the pool and back in cost 50-65 us a read (the pool's
    bookkeeping and events; 15-19 % of a job GET in process), for nothing, as autocommit
    leaves no transaction to end. The pool's rules still apply: unused for PING_AFTER_IDLE,
    it is pinged before use, and one that does not answer (the database restarted, a
    timeout closed it) is replaced, so the first read after a quiet spell is answered; it
    goes back to the pool (whose recycling applies at the next checkout) after KEEP_FOR,
    when it was invalidated (lost under a statement), and when this thread reads through
    another app's engine (tests make many): one per thread."""
    engine = None
    raw = None
    taken_at = 0.0
    used_at = 0.0

    def connection(self, engine):
        now = time.monotonic()
        raw = self.raw
        if raw is not None and not _reusable(self, engine, raw, now):
            self.give_back()
            raw = None
        if raw is None:
            raw = _checkout(engine)
            self.engine, self.raw, self.taken_at = engine, raw, now
        self.used_at = now  # in use: a nested request on this thread must not give it back
        return raw

    def used(self) -> None:
        self.used_at = time.monotonic()

    def give_back(self) -> None:
        raw, self.raw, self.engine = self.raw, None, None
        if raw is not None:
            raw.close()  # an invalidated one is discarded by the pool


_kept = _Kept()


class _KeptWrite(threading.local):
    """The connection a thread's request sessions run their transactions on, kept between
    requests as `_Kept` keeps the reads' (the same rules: pinged after PING_AFTER_IDLE,
    replaced when lost, back to the pool after KEEP_FOR or for another engine): a writing
    request's pool checkout alone cost about 80 us of CPU in process (`Engine.connect`),
    its checkin about 50 more, for nothing these rules do not already do (bench/PROFILE.md
    round 6).
    Each session still begins and ends its own transaction on it; a second session on the
    thread while the first is in one (a request inside a request) gets the pool's."""
    engine = None
    conn = None
    owner = None  # a weak reference to the session it was handed to last
    taken_at = 0.0
    used_at = 0.0

    def bind_for(self, session, engine):
        conn = self.conn
        if conn is not None and conn.in_transaction():
            owner = self.owner()
            if owner is session:
                return conn  # the session's, for its whole transaction
            if owner is not None and owner.in_transaction():
                return engine  # another live session's transaction is on it
            conn.rollback()  # left open by a session that went away unended
        # a transaction is about to begin on it: the checks a pool checkout makes
        now = time.monotonic()
        if conn is not None and (conn.closed or conn.invalidated
                                 or not _reusable(self, engine, conn.connection, now)):
            self.give_back()
            conn = None
        if conn is None:
            conn = engine.connect()
            self.engine, self.conn, self.taken_at = engine, conn, now
        self.owner, self.used_at = weakref.ref(session), now
        return conn

    def give_back(self) -> None:
        conn, self.conn, self.engine, self.owner = self.conn, None, None, None
        if conn is not None:
            try:
                conn.close()
            except DBAPIError:  # its ROLLBACK failed: the pool has dropped it
                log.info("giving back a kept connection failed", exc_info=True)


_kept_write = _KeptWrite()


def keep_write_connection(session, engine):
    """Session.bind_hook (app/extensions.py): in a request, a session of the app's engine
    runs on the thread's kept connection (MariaDB/MySQL: app/db.py sets KEPT_WRITES_KEY)."""
    if not has_request_context() or context.app().extensions.get(KEPT_WRITES_KEY) is not engine:
        return engine
    return _kept_write.bind_for(session, engine)


def _reusable(kept, engine, raw, now: float) -> bool:
    """Whether a connection a thread kept (`_Kept`, `_KeptWrite`) may serve again, by the
    pool's rules: from this engine and not lost under a statement (execute_raw invalidates
    it); used within PING_AFTER_IDLE, or answering a ping (one that does not is invalidated,
    so the pool discards it); taken less than KEEP_FOR ago (else back to the pool, which may
    recycle it at checkout)."""
    if kept.engine is not engine or raw.dbapi_connection is None:
        return False
    if now - kept.used_at > PING_AFTER_IDLE and not _answers(engine, raw):
        raw.invalidate()
        return False
    return now - kept.taken_at <= KEEP_FOR


def _answers(engine, raw) -> bool:
    """The pool's own ping (pool_pre_ping's), on a connection kept out of it."""
    try:
        engine.dialect.do_ping(raw.dbapi_connection)
    except Exception:  # noqa: BLE001 - as pool_pre_ping: any failure means replace it
        return False
    return True


def _checkout(engine):
    try:
        return engine.raw_connection()
    except engine.dialect.loaded_dbapi.Error as exc:  # as engine.connect() raises it
        raise DBAPIError.instance(None, None, exc, engine.dialect.loaded_dbapi.Error,
                                  dialect=engine.dialect) from exc


def _raw_read_connection():
    """A read's pooled DBAPI connection for Prepared statements: on MariaDB/MySQL the
    thread's kept autocommit one (app/db.py `_autocommit_reads`, `_Kept`), which needs no
    ROLLBACK after it; else one checked out of the pool for the request (its checkout ping
    and checkin apply as to any other)."""
    environ = context.environ()
    held = environ.get(RAW_READ_CONNECTION_KEY)
    if held is None:
        engine = context.app().extensions.get(AUTOCOMMIT_READS_KEY)
        if engine is not None:
            held = (_kept.connection(engine), True)
        else:
            held = (_checkout(db.engine), False)
        environ[RAW_READ_CONNECTION_KEY] = held
    return held[0]


def own_transaction_connection():
    """For a statement that may be its own transaction (app/services/unlocked.py), in a
    writing request: on MariaDB/MySQL the thread's kept autocommit connection, the reads'
    (nothing begun, nothing to commit); on SQLite the session's, whose writing
    transaction (BEGIN IMMEDIATE) already excludes every other writer and is committed by
    the request. Whether it was the session's: the second of the pair."""
    if context.app().extensions.get(AUTOCOMMIT_READS_KEY) is not None:
        return _raw_read_connection(), False
    return session_raw_connection(), True


def end_read(environ) -> None:
    """End a read's own connections: each transaction rolled back, the connection back in
    the pool (one whose database went away is discarded by the pool); the thread's kept
    autocommit one stays with it. Called when the answer is made, and at teardown for a
    request that raised."""
    conn = environ.pop(READ_CONNECTION_KEY, None)
    if conn is not None:
        try:
            conn.rollback()
        except DBAPIError:  # the answer is whole; the pool drops the broken connection
            log.info("ending a read's transaction failed", exc_info=True)
        finally:
            conn.close()
    held = environ.pop(RAW_READ_CONNECTION_KEY, None)
    if held is not None:
        raw, kept = held
        if kept:  # autocommit: nothing to end (a lost one: `_Kept` gives it back)
            _kept.used()
            return
        try:
            if raw.dbapi_connection is not None:  # None: invalidated by a failed statement
                raw.rollback()
        except Exception:  # noqa: BLE001 - as above; the pool's checkin drops it
            log.info("ending a read's transaction failed", exc_info=True)
            raw.invalidate()
        finally:
            raw.close()


def execute_raw(raw, sql: str, values: tuple, fetch=None):
    """Send one statement, already capped (statement_timeout.capped), on a pooled connection
    (`raw`: a read's own, or a writing request's session's), and answer `fetch(answered)`,
    where `answered` has the cursor's fetchone, fetchall, rowcount and lastrowid. SQLite's
    cap is armed here. Errors are raised as SQLAlchemy's (what app/errors.py and the commit
    hook read), a lost connection invalidated."""
    dialect = db.engine.dialect
    cursor = None
    try:
        if dialect.driver == "mysqldb":
            answered = _Answered(raw.dbapi_connection, sql, values)
        else:
            answered = cursor = raw.cursor()
            if dialect.name == "sqlite":
                statement_timeout.arm(raw.info, statement_timeout.seconds())
            cursor.execute(sql, values)
        return fetch(answered) if fetch is not None else None
    except dialect.loaded_dbapi.Error as exc:
        lost = dialect.is_disconnect(exc, raw.dbapi_connection, cursor)
        if lost:
            raw.invalidate(exc)
        raise DBAPIError.instance(sql, values, exc, dialect.loaded_dbapi.Error,
                                  connection_invalidated=lost, dialect=dialect) from exc
    finally:
        if cursor is not None and raw.dbapi_connection is not None:
            cursor.close()


class _Answered:
    """A statement sent by mysqlclient's connection itself, as its cursor sends it (each
    value escaped by the connection's `literal`, the answer stored whole), holding what
    the cursor would: without the cursor's own work around the round trip (its result's
    description, warnings and info asked for each statement), which cost a statement
    about as many instructions as the round trip itself (bench/PROFILE.md, round 10)."""

    __slots__ = ("rows", "rowcount", "lastrowid")

    def __init__(self, conn, sql: str, values: tuple):
        conn.query(sql.encode(conn.encoding) % tuple(map(conn.literal, values)))
        result = conn.store_result()
        self.rows = result.fetch_row(0) if result is not None else ()
        self.rowcount = conn.affected_rows()
        self.lastrowid = conn.insert_id()

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def fetchall(self):
        return self.rows


def session_raw_connection():
    """A writing request's (or a command's) pooled DBAPI connection: its session's, in its
    one transaction (begun here if not yet), so a statement sent on it sees the request's
    flushed writes and is committed or rolled back with them."""
    return db.session.connection().connection


class _Compiled(NamedTuple):
    sql: str
    names: tuple      # the bound parameters in the order the driver takes them
    defaults: dict    # values fixed in the statement (a LIMIT 1)
    processors: tuple  # each result column's conversion by its type (RowSelect), or ()


class Prepared:
    """A SELECT compiled once per database dialect and statement cap, sent by the driver's
    cursor and answered as plain tuples: in a read on the read's own connection; in a
    writing request (or outside one) on its session's, so it sees the request's flushed
    writes and takes part in its transaction.

    Only for statements whose parameters and result columns the driver hands over as they
    are (no type conversion on the way in or out): checked when compiled, so a statement
    that needs one fails the first test that runs it, not a user. Errors are SQLAlchemy's
    (DBAPIError, OperationalError...), and a connection lost under it is dropped from the
    pool, as with any statement."""

    #: result columns converted by their types (app/driver_rows.py RowSelect), else refused
    converts_results = False

    def __init__(self, stmt):
        self.stmt = stmt
        self._compiled = {}

    def first(self, params: dict):
        """The first row (a tuple), or None."""
        return self._run(params, lambda cursor: cursor.fetchone())

    def all(self, params: dict) -> list:
        """Every row (tuples)."""
        return self._run(params, lambda cursor: list(cursor.fetchall()))

    def _run(self, params: dict, fetch):
        compiled = self._compile(db.engine.dialect, statement_timeout.seconds())
        values = tuple(params[name] if name in params else compiled.defaults[name]
                       for name in compiled.names)
        return execute_raw(self._connection(), compiled.sql, values, fetch)

    def _connection(self):
        return _raw_read_connection() if reading() else session_raw_connection()

    def _compile(self, dialect, cap: float) -> _Compiled:
        key = (dialect.name, cap)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = self._compile_for(dialect, cap)
        return compiled

    def _compile_for(self, dialect, cap: float) -> _Compiled:
        comp = self.stmt.compile(dialect=dialect)
        if not comp.positional:
            raise TypeError(f"Prepared needs a positional paramstyle, not {dialect.paramstyle}")
        names = comp.bind_names  # BindParameter -> the name it is sent under
        converted = [name for b, name in names.items()
                     if b.expanding or b.type._cached_bind_processor(dialect) is not None]
        processors = tuple(c[3]._cached_result_processor(dialect, None)
                           for c in comp._result_columns)
        if not self.converts_results:
            converted += [c[0] for c, process in zip(comp._result_columns, processors)
                          if process is not None]
            processors = ()
        if converted:
            raise TypeError(f"Prepared statements take and give values as the driver does; "
                            f"these would need converting: {converted}")
        defaults = {name: b.effective_value for b, name in names.items() if not b.required}
        return _Compiled(statement_timeout.capped(comp.string, dialect, cap),
                         tuple(comp.positiontup), defaults, processors)


class OwnTransaction(Prepared):
    """A Prepared read sent where the request's only write goes (own_transaction_connection):
    on MariaDB/MySQL in autocommit, outside the session, so the request may open none."""

    def _connection(self):
        return own_transaction_connection()[0]
