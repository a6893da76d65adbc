"""One document row read (FOR UPDATE) and its new version written by the database driver's
cursor on the request's own connection, instead of the ORM's loading and flush; the row is
still the session's ORM object, so the services use it as any other.

The ORM's load of one row cost 0.35 ms of CPU and its flush of one changed row (the unit of
work, its sorting and bookkeeping, an execution context) 0.7 ms in a job's status PATCH, for
round trips of 0.05 each: together over a third of the request (bench/PROFILE.md, round 4).

What the ORM would do is done here, once per row. Loading: pending changes flushed first
(autoflush), values converted by their column types, the session's own object answered
when it already holds that row. Saving: the stored-size check (app/services/stored_sizes.py),
`onupdate` values, a stale row refused, the row then marked as saved, so the request's
commit has nothing left to flush for it. The request commits (or rolls back) both with
everything else: it is the same transaction."""
import functools
from typing import NamedTuple

from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy import insert as insert_
from sqlalchemy.orm import ColumnProperty, make_transient_to_detached
from sqlalchemy.orm.base import NO_VALUE
from sqlalchemy.orm.exc import StaleDataError

from . import statement_timeout
from .connection import execute_raw, session_raw_connection
from .db import WROTE_KEY
from .extensions import db


class _Update(NamedTuple):
    sql: str
    keys: tuple          # attribute keys, in the order the driver takes their values
    processors: tuple    # each value's conversion by its column type (or None)


def save(obj) -> None:
    """Send the persistent `obj`'s changed columns now, as `db.session.flush()` would for it.
    Anything else the session holds (new rows, other changed ones) is flushed first, so the
    order of writes stays the ORM's; a change this cannot send (a relationship) is flushed."""
    session = db.session
    state = inspect(obj)
    if not state.persistent or state.session is not session():
        session.flush()
        return
    if session.new or session.deleted or any(o is not obj for o in session.dirty):
        session.flush()  # writes it too: nothing of this request is reordered
        return
    mapper = state.mapper
    if any(not isinstance(mapper.attrs[key], ColumnProperty)
           for key in state.committed_state):
        session.flush()
        return
    for key, old in list(state.committed_state.items()):
        if old is not NO_VALUE and old == state.dict.get(key, NO_VALUE):
            del state.committed_state[key]  # set to what it was: as the flush, not sent
    if not state.committed_state:
        return  # nothing changed: the flush would send nothing either
    from .services import stored_sizes
    stored_sizes.check(obj)  # as the flush's before_flush hook would: 400, not a 500
    for key, column in _onupdate_columns(mapper):
        if key not in state.committed_state:
            setattr(obj, key, column.onupdate.arg(None))
    keys = tuple(sorted(state.committed_state))
    dialect = db.engine.dialect
    stmt = _compiled(mapper, keys, dialect, statement_timeout.seconds())
    values = [state.dict.get(key) for key in stmt.keys]
    values = tuple(process(value) if process is not None and value is not None else value
                   for process, value in zip(stmt.processors, values))
    rowcount = execute_raw(session_raw_connection(), stmt.sql, values,
                           lambda cursor: cursor.rowcount)
    if rowcount == 0:  # as the flush: a row that is gone is an error, never a silent no-op
        raise StaleDataError(f"UPDATE of {mapper.local_table.name} matched no row")
    session.info[WROTE_KEY] = True
    # saved: what the flush does after its UPDATE (not public API; tests/services/
    # test_driver_rows.py asserts the commit then has nothing left to send)
    state._commit_all(state.dict, session.identity_map)


class _DefaultContext:
    """What a Python column default is handed (`context.get_current_parameters()`: the row's
    values by column name), as at the ORM's INSERT (models/document.py owner_project)."""

    def __init__(self, values: dict):
        self._values = values

    def get_current_parameters(self, isolate_multiinsert_groups=True):
        return self._values


def insert(obj) -> None:
    """Send the new `obj` as one INSERT now and make it the session's persistent object, as
    `db.session.add(obj); db.session.flush()` would: Python column defaults applied, the
    stored-size check, the new primary key read back. With anything else pending in the
    session, or a default this cannot apply (SQL or server-side), the ORM flushes it."""
    session = db.session()
    state = inspect(obj)
    mapper = state.mapper
    if state.session is not None or state.key is not None or \
            session.new or session.dirty or session.deleted or mapper.relationships:
        session.add(obj)
        session.flush()
        return
    pk_key = mapper.get_property_by_column(mapper.primary_key[0]).key
    values = {}
    for prop in mapper.column_attrs:
        column, value = prop.columns[0], state.dict.get(prop.key)
        if value is None and prop.key != pk_key:
            default = column.default
            if default is None:
                if column.server_default is not None:
                    session.add(obj)
                    session.flush()
                    return
            elif default.is_scalar:
                value = default.arg
            elif default.is_callable:
                value = default.arg(_DefaultContext(
                    {p.columns[0].name: state.dict.get(p.key) for p in mapper.column_attrs}))
            else:  # a SQL expression or a sequence: the ORM's to run
                session.add(obj)
                session.flush()
                return
            if value is not None:
                state.dict[prop.key] = value  # as the ORM leaves it after its INSERT
        if value is not None or prop.key != pk_key:
            values[prop.key] = value
    from .services import stored_sizes
    stored_sizes.check(obj)
    dialect = db.engine.dialect
    stmt = _compiled_insert(mapper, tuple(values), dialect, statement_timeout.seconds())
    params = tuple(process(values[key]) if process is not None and values[key] is not None
                   else values[key] for process, key in zip(stmt.processors, stmt.keys))
    new_pk = execute_raw(session_raw_connection(), stmt.sql, params,
                         lambda cursor: cursor.lastrowid)
    if state.dict.get(pk_key) is None:
        state.dict[pk_key] = new_pk
    session.info[WROTE_KEY] = True
    make_transient_to_detached(obj)  # as if loaded: no history, no SQL
    session.add(obj)


@functools.lru_cache(maxsize=256)
def _compiled_insert(mapper, keys: tuple, dialect, cap: float) -> _Update:
    table = mapper.local_table
    columns = {key: mapper.attrs[key].columns[0] for key in keys}
    stmt = insert_(table).values({column: bindparam(f"v_{key}", type_=column.type)
                                  for key, column in columns.items()})
    comp = stmt.compile(dialect=dialect)
    if not comp.positional:
        raise TypeError(f"driver_rows needs a positional paramstyle, not {dialect.paramstyle}")
    by_name = {name: b for b, name in comp.bind_names.items()}
    return _Update(statement_timeout.capped(comp.string, dialect, cap),
                   tuple(name.removeprefix("v_") for name in comp.positiontup),
                   tuple(by_name[name].type._cached_bind_processor(dialect)
                         for name in comp.positiontup))


@functools.cache
def _onupdate_columns(mapper) -> tuple:
    """Columns set by a Python `onupdate` (updated_at) whenever the row is written."""
    return tuple((prop.key, prop.columns[0]) for prop in mapper.column_attrs
                 if prop.columns[0].onupdate is not None
                 and getattr(prop.columns[0].onupdate, "is_callable", False))


@functools.lru_cache(maxsize=256)  # per kind, set of changed columns, dialect and cap: few
def _compiled(mapper, keys: tuple, dialect, cap: float) -> _Update:
    table = mapper.local_table
    (pk,) = mapper.primary_key
    columns = {key: mapper.attrs[key].columns[0] for key in keys}
    stmt = (update(table).where(pk == bindparam("where_pk", type_=pk.type))
            .values({column: bindparam(f"v_{key}", type_=column.type)
                     for key, column in columns.items()}))
    comp = stmt.compile(dialect=dialect)
    if not comp.positional:
        raise TypeError(f"row_update needs a positional paramstyle, not {dialect.paramstyle}")
    by_name = {name: b for b, name in comp.bind_names.items()}
    pk_key = mapper.get_property_by_column(pk).key
    order = tuple(pk_key if name == "where_pk" else name.removeprefix("v_")
                  for name in comp.positiontup)
    processors = tuple(by_name[name].type._cached_bind_processor(dialect)
                       for name in comp.positiontup)
    return _Update(statement_timeout.capped(comp.string, dialect, cap), order, processors)


class _Select(NamedTuple):
    sql: str
    names: tuple       # the bound parameters in the order the driver takes them
    defaults: dict     # values fixed in the statement (its LIMIT)
    processors: tuple  # each result column's conversion by its column type (or None)


class RowSelect:
    """A SELECT of one kind's row (every mapped column), compiled once per dialect and
    statement cap, answered as the session's persistent ORM object (`first`): the first
    row in creation order, or with `newest` the last. `for_update`: FOR UPDATE on MySQL;
    SQLite has no row locks, its writing requests hold the database's (documents.locked)."""

    def __init__(self, model, *where, for_update: bool = False, newest: bool = False):
        self.mapper = inspect(model)
        self.keys = tuple(prop.key for prop in self.mapper.column_attrs)
        self.pk_key = self.mapper.get_property_by_column(self.mapper.primary_key[0]).key
        columns = [self.mapper.attrs[key].columns[0] for key in self.keys]
        pk = self.mapper.primary_key[0]
        stmt = select(*columns).where(*where).order_by(pk.desc() if newest else pk).limit(1)
        self.stmt = stmt.with_for_update() if for_update else stmt
        self._compiled = {}

    def first(self, params: dict):
        """The row as the session's object, or None."""
        session = db.session()
        if session.autoflush and (session.new or session.dirty or session.deleted):
            session.flush()  # as the ORM's autoflush before a query
        dialect = db.engine.dialect
        cap = statement_timeout.seconds()
        compiled = self._compiled.get((dialect.name, cap))
        if compiled is None:
            compiled = self._compiled[(dialect.name, cap)] = self._compile(dialect, cap)
        values = tuple(params[name] if name in params else compiled.defaults[name]
                       for name in compiled.names)
        row = execute_raw(session_raw_connection(), compiled.sql, values,
                          lambda cursor: cursor.fetchone())
        if row is None:
            return None
        data = {key: process(value) if process is not None and value is not None else value
                for key, process, value in zip(self.keys, compiled.processors, row)}
        identity = self.mapper.identity_key_from_primary_key((data[self.pk_key],))
        held = session.identity_map.get(identity)
        if held is not None:
            return held  # as the ORM: the session's object for that row, as it holds it
        obj = self.mapper.class_manager.new_instance()
        inspect(obj).dict.update(data)
        make_transient_to_detached(obj)  # as if loaded: no history, no SQL
        session.add(obj)
        return obj

    def _compile(self, dialect, cap: float) -> _Select:
        comp = self.stmt.compile(dialect=dialect)
        if not comp.positional:
            raise TypeError(f"RowSelect needs a positional paramstyle, not {dialect.paramstyle}")
        names = comp.bind_names  # BindParameter -> the name it is sent under
        converted = [name for b, name in names.items()
                     if b.expanding or b.type._cached_bind_processor(dialect) is not None]
        if converted:
            raise TypeError(f"RowSelect takes its parameters as the driver does; these would "
                            f"need converting: {converted}")
        defaults = {name: b.effective_value for b, name in names.items() if not b.required}
        processors = tuple(c[3]._cached_result_processor(dialect, None)
                           for c in comp._result_columns)
        return _Select(statement_timeout.capped(comp.string, dialect, cap),
                       tuple(comp.positiontup), defaults, processors)
