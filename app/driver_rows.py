"""A document row read (FOR UPDATE), and the rows a request writes sent, by the database
driver's cursor on the request's own connection instead of the ORM's loading and flush;
the rows are still the session's ORM objects, so the services use them as any other.

The ORM's load of one row cost 0.35 ms of CPU and its flush of one changed row (the unit of
work, its sorting and bookkeeping, an execution context) 0.7 ms in a job's status PATCH, for
round trips of 0.05 each: together over a third of the request (bench/PROFILE.md, round 4).

What the ORM would do is done here. Loading: pending changes flushed first (autoflush),
values converted by their column types, the session's own object answered when it already
holds that row. Flushing (`flush`, for the document rows, run history, rounds and outbox
events a request writes): Python column defaults, the stored-size check
(app/services/stored_sizes.py), `onupdate` values, a stale row refused, every row then
marked as saved, so the request's commit has nothing left to flush. The request commits (or
rolls back) it all with everything else: it is the same transaction."""
import functools
from typing import NamedTuple

from sqlalchemy import Text, bindparam, inspect, select, update
from sqlalchemy import insert as insert_
from sqlalchemy.orm import ColumnProperty, make_transient_to_detached
from sqlalchemy.orm.base import NO_VALUE
from sqlalchemy.orm.exc import StaleDataError

from . import statement_timeout
from .connection import Prepared, execute_raw, own_transaction_connection, session_raw_connection
from .db import WROTE_KEY
from .extensions import db
from .models.types import JSONText


class _Statement(NamedTuple):
    sql: str
    keys: tuple          # attribute keys, in the order the driver takes their values
    processors: tuple    # each value's conversion by its column type (or None)

    def params(self, values: dict) -> tuple:
        """`values` (by key) in the driver's order, each converted by its column type."""
        return tuple(process(values[key]) if process is not None and values[key] is not None
                     else values[key] for process, key in zip(self.processors, self.keys))


class _DefaultContext:
    """What a Python column default is handed (`context.get_current_parameters()`: the row's
    values by column name), as at the ORM's INSERT (models/document.py owner_project)."""

    def __init__(self, values: dict):
        self._values = values

    def get_current_parameters(self, isolate_multiinsert_groups=True):
        return self._values


def flush() -> None:
    """As `db.session.flush()`: what the session holds is sent now, each new row by one
    INSERT (in the order they were added, their primary keys read back) and each changed
    row by one UPDATE of its changed columns, then all of them are the session's persistent,
    unchanged objects. Deletes, relationships, and defaults this cannot apply (SQL or the
    server's) are the ORM's: then the ORM flushes everything, as before."""
    session = db.session()
    if not (session.new or session.dirty or session.deleted):
        return
    new = sorted(session.new, key=lambda obj: inspect(obj).insert_order)
    plans = [] if not session.deleted else None
    for obj in new:
        plan = None if plans is None else _insert_plan(obj)
        if plan is None:
            plans = None
            break
        plans.append(plan)
    changed = []
    for obj in session.dirty if plans is not None else ():
        state = inspect(obj)
        if state.mapper.relationships or not _trim(state):
            plans = None
            break
        changed.append(obj)
    if plans is None:
        session.flush()
        return
    from .services import stored_sizes
    for obj in new + changed:  # as the flush's before_flush hook: 400 before any statement
        stored_sizes.check(obj)
    raw = session_raw_connection()
    for obj, values in zip(new, plans):
        _insert(session, raw, obj, values)
    for obj in changed:
        _update(session, raw, obj)


def _trim(state) -> bool:
    """Columns set to the value they had are not sent (as the flush). False: a change this
    cannot send (not a column)."""
    mapper = state.mapper
    for key, old in list(state.committed_state.items()):
        if not isinstance(mapper.attrs[key], ColumnProperty):
            return False
        if old is not NO_VALUE and old == state.dict.get(key, NO_VALUE):
            del state.committed_state[key]
    return True


def _insert_plan(obj) -> dict | None:
    """The new row's values with its Python column defaults applied, or None when the ORM
    must insert it (a relationship, a SQL or server default to run)."""
    state = inspect(obj)
    mapper = state.mapper
    if mapper.relationships:
        return None
    pk_key = mapper.get_property_by_column(mapper.primary_key[0]).key
    values = {}
    for prop in mapper.column_attrs:
        column, value = prop.columns[0], state.dict.get(prop.key)
        if value is None and prop.key != pk_key:
            default = column.default
            if default is None:
                if column.server_default is not None:
                    return None
            elif default.is_scalar:
                value = default.arg
            elif default.is_callable:
                value = default.arg(_DefaultContext(
                    {p.columns[0].name: state.dict.get(p.key) for p in mapper.column_attrs}))
            else:
                return None
        if value is not None or prop.key != pk_key:
            values[prop.key] = value
    return values


def _insert(session, raw, obj, values: dict) -> None:
    state = inspect(obj)
    mapper = state.mapper
    stmt = _compiled_insert(mapper, tuple(values), db.engine.dialect, statement_timeout.seconds())
    new_pk = execute_raw(raw, stmt.sql, stmt.params(values), lambda cursor: cursor.lastrowid)
    pk_key = mapper.get_property_by_column(mapper.primary_key[0]).key
    values.setdefault(pk_key, new_pk)
    session.info[WROTE_KEY] = True
    session.expunge(obj)  # pending -> transient, then persistent as if just loaded
    state.dict.update(values)  # the defaults applied, as the ORM leaves them
    make_transient_to_detached(obj)
    session.add(obj)


def _update(session, raw, obj) -> None:
    state = inspect(obj)
    mapper = state.mapper
    if not state.committed_state:
        return  # nothing changed: the flush would send nothing either
    for key, column in _onupdate_columns(mapper):
        if key not in state.committed_state:
            setattr(obj, key, column.onupdate.arg(None))
    stmt = _compiled_update(mapper, tuple(sorted(state.committed_state)), db.engine.dialect,
                            statement_timeout.seconds())
    values = [state.dict.get(key) for key in stmt.keys]
    values = tuple(process(value) if process is not None and value is not None else value
                   for process, value in zip(stmt.processors, values))
    rowcount = execute_raw(raw, stmt.sql, values, lambda cursor: cursor.rowcount)
    if rowcount == 0:  # as the flush: a row that is gone is an error, never a silent no-op
        raise StaleDataError(f"UPDATE of {mapper.local_table.name} matched no row")
    session.info[WROTE_KEY] = True
    # saved: what the flush does after its UPDATE (not public API; tests/services/
    # test_driver_rows.py asserts the commit then has nothing left to send)
    state._commit_all(state.dict, session.identity_map)


def _positional(stmt, dialect, cap: float, key_of) -> _Statement:
    comp = stmt.compile(dialect=dialect)
    if not comp.positional:
        raise TypeError(f"driver_rows needs a positional paramstyle, not {dialect.paramstyle}")
    by_name = {name: b for b, name in comp.bind_names.items()}
    return _Statement(statement_timeout.capped(comp.string, dialect, cap),
                      tuple(key_of(name) for name in comp.positiontup),
                      tuple(by_name[name].type._cached_bind_processor(dialect)
                            for name in comp.positiontup))


@functools.lru_cache(maxsize=256)  # per kind, set of columns, dialect and cap: few
def _compiled_insert(mapper, keys: tuple, dialect, cap: float, texts: bool = False) -> _Statement:
    """`texts`: JSON documents handed as their text, already encoded (`_bind_type`)."""
    columns = {key: mapper.attrs[key].columns[0] for key in keys}
    stmt = insert_(mapper.local_table).values(
        {column: bindparam(f"v_{key}", type_=_bind_type(column) if texts else column.type)
         for key, column in columns.items()})
    return _positional(stmt, dialect, cap, lambda name: name.removeprefix("v_"))


def _bind_type(column):
    """A column's type as a value is sent to it, a JSON document as its text (JSONText's,
    encoded once by the caller, who checked that text's size)."""
    return Text() if isinstance(column.type, JSONText) else column.type


def insert_values(raw, model, values: dict) -> None:
    """One INSERT of a new `model` row of `values` (attribute keys; a JSON document as its
    text), without an ORM object (app/services/unlocked.py)."""
    stmt = _compiled_insert(inspect(model), tuple(values), db.engine.dialect,
                            statement_timeout.seconds(), texts=True)
    execute_raw(raw, stmt.sql, stmt.params(values))


@functools.lru_cache(maxsize=256)
def _compiled_update(mapper, keys: tuple, dialect, cap: float) -> _Statement:
    (pk,) = mapper.primary_key
    pk_key = mapper.get_property_by_column(pk).key
    columns = {key: mapper.attrs[key].columns[0] for key in keys}
    stmt = (update(mapper.local_table).where(pk == bindparam("where_pk", type_=pk.type))
            .values({column: bindparam(f"v_{key}", type_=column.type)
                     for key, column in columns.items()}))
    return _positional(stmt, dialect, cap,
                       lambda name: pk_key if name == "where_pk" else name.removeprefix("v_"))


def update_if(raw, model, pk: int, values: dict, expected: dict) -> bool:
    """One UPDATE of `model`'s row `pk` setting `values` (attribute keys; a JSON document
    as its text, already encoded, JSONText's), sent only if the row's columns still hold
    `expected` (attribute keys; None: NULL): False when another write came first or the row
    is gone. For writes without a row lock (app/services/unlocked.py): what was read is the
    lock (a document's version, a run's backup count)."""
    mapper = inspect(model)
    nulls = tuple(sorted(key for key, value in expected.items() if value is None))
    equal = tuple(sorted(key for key, value in expected.items() if value is not None))
    stmt = _compiled_update_if(mapper, tuple(values), equal, nulls, db.engine.dialect,
                               statement_timeout.seconds())
    given = {f"v_{key}": value for key, value in values.items()}
    given.update({f"w_{key}": expected[key] for key in equal}, where_pk=pk)
    return execute_raw(raw, stmt.sql, stmt.params(given), lambda cursor: cursor.rowcount) == 1


@functools.lru_cache(maxsize=256)
def _compiled_update_if(mapper, keys: tuple, equal: tuple, nulls: tuple, dialect,
                        cap: float) -> _Statement:
    (pk,) = mapper.primary_key
    column = lambda key: mapper.attrs[key].columns[0]  # noqa: E731
    conditions = [pk == bindparam("where_pk", type_=pk.type)]
    conditions += [column(key) == bindparam(f"w_{key}", type_=column(key).type) for key in equal]
    conditions += [column(key).is_(None) for key in nulls]
    stmt = (update(mapper.local_table).where(*conditions)
            .values({column(key): bindparam(f"v_{key}", type_=_bind_type(column(key)))
                     for key in keys}))
    return _positional(stmt, dialect, cap, lambda name: name)


@functools.cache
def _onupdate_columns(mapper) -> tuple:
    """Columns set by a Python `onupdate` (updated_at) whenever the row is written."""
    return tuple((prop.key, prop.columns[0]) for prop in mapper.column_attrs
                 if prop.columns[0].onupdate is not None
                 and getattr(prop.columns[0].onupdate, "is_callable", False))


class RowSelect(Prepared):
    """A SELECT of one kind's row (every mapped column), compiled once per dialect and
    statement cap, answered as the session's persistent ORM object (`first`): the first
    row in creation order, or with `newest` the last. `for_update`: FOR UPDATE on MySQL;
    SQLite has no row locks, its writing requests hold the database's (documents.locked).
    Always on the session's connection: the object is the session's."""

    converts_results = True

    def __init__(self, model, *where, for_update: bool = False, newest: bool = False,
                 own_transaction: bool = False):
        self.mapper = inspect(model)
        self.keys = tuple(prop.key for prop in self.mapper.column_attrs)
        self.pk_key = self.mapper.get_property_by_column(self.mapper.primary_key[0]).key
        columns = [self.mapper.attrs[key].columns[0] for key in self.keys]
        pk = self.mapper.primary_key[0]
        stmt = select(*columns).where(*where).order_by(pk.desc() if newest else pk).limit(1)
        super().__init__(stmt.with_for_update() if for_update else stmt)
        self.own_transaction = own_transaction

    def first(self, params: dict):
        """The row as the session's object, or None."""
        session = db.session()
        if session.autoflush and (session.new or session.dirty or session.deleted):
            session.flush()  # as the ORM's autoflush before a query
        data = self.values(params)
        if data is None:
            return None
        identity = self.mapper.identity_key_from_primary_key((data[self.pk_key],))
        held = session.identity_map.get(identity)
        if held is not None:
            return held  # as the ORM: the session's object for that row, as it holds it
        obj = self.mapper.class_manager.new_instance()
        inspect(obj).dict.update(data)
        make_transient_to_detached(obj)  # as if loaded: no history, no SQL
        session.add(obj)
        return obj

    def values(self, params: dict) -> dict | None:
        """The row's values by attribute key, converted by their column types (no ORM
        object), or None."""
        processors = self._compile(db.engine.dialect, statement_timeout.seconds()).processors
        row = self._run(params, lambda cursor: cursor.fetchone())
        if row is None:
            return None
        return {key: process(value) if process is not None and value is not None else value
                for key, process, value in zip(self.keys, processors, row)}

    def all(self, params: dict):
        raise NotImplementedError("RowSelect answers one row")

    def _connection(self):
        """The session's; with `own_transaction` (values only: no ORM object), where the
        request's only write goes (app/connection.py own_transaction_connection)."""
        if self.own_transaction:
            return own_transaction_connection()[0]
        return session_raw_connection()
