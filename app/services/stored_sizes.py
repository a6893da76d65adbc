"""No 500 from a value that does not fit its column: before every flush, each new or changed
value is checked against its column as MariaDB would store it (VARCHAR(n) characters, TEXT
bytes, INT/BIGINT ranges), and a stored document against DOCUMENT_MAX_BYTES. A value that
does not fit answers 400 naming the field, on SQLite too (which would store anything), so
both engines behave alike and nothing is half written (the request rolls back).

One rule for every model, present and future: the limits are read from the columns."""
from functools import lru_cache

from sqlalchemy import BigInteger, Integer, SmallInteger, String, event, inspect
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Session

from . import limits
from .errors import BadRequest

_MYSQL = mysql.dialect()
_MYSQL_TEXT_BYTES = {"TINYTEXT": 255, "TEXT": 65_535, "MEDIUMTEXT": 16_777_215,
                     "LONGTEXT": 4_294_967_295}
_INT_RANGES = {"SMALLINT": 15, "SMALLINTEGER": 15, "INTEGER": 31, "INT": 31, "BIGINT": 63,
               "BIGINTEGER": 63}


class ValueTooLarge(BadRequest):
    title = "Bad request format"


@lru_cache(maxsize=None)
def column_rules(mapper) -> tuple:
    """(attribute, column, kind, limit) for every column of a mapped class with a size:
    kind "chars" (VARCHAR), "bytes" (TEXT/LONGTEXT), "int" (bits), "document"."""
    rules = []
    for attr in mapper.column_attrs:
        column = attr.columns[0]
        impl = column.type.dialect_impl(_MYSQL)
        impl = getattr(impl, "impl_instance", None) or impl
        name = type(impl).__name__.upper()
        if attr.key == "doc" and hasattr(mapper.class_, "ID_FIELD"):
            rules.append((attr.key, column, "document", None))
        elif name in _MYSQL_TEXT_BYTES:
            rules.append((attr.key, column, "bytes", _MYSQL_TEXT_BYTES[name]))
        elif isinstance(impl, String) and impl.length:
            rules.append((attr.key, column, "chars", impl.length))
        elif isinstance(column.type, (Integer, BigInteger, SmallInteger)) and \
                name in _INT_RANGES and not column.primary_key:
            rules.append((attr.key, column, "int", _INT_RANGES[name]))
    return tuple(rules)


def _changed(state):
    """The keys set since it was loaded (perhaps to an equal value, checked again:
    harmless). The attribute's history, asked per column on every flush, cost a tenth of a
    status PATCH."""
    return state.committed_state


def problems(obj, only_changed: bool = True) -> dict[str, str]:
    """{field: why} for every value of `obj` that does not fit its column."""
    state = inspect(obj)
    if only_changed and state.persistent:
        return value_problems(state.mapper, state.dict, _changed(state))
    return value_problems(state.mapper, state.dict)


def value_problems(mapper, values: dict, keys=None) -> dict[str, str]:
    """{field: why} for each of `values` (attribute key -> value; only `keys` when given)
    that does not fit its column of `mapper`'s table: the rule of `problems`, for a write
    sent without an ORM object (app/services/unlocked.py)."""
    found = {}
    for key, column, kind, limit in column_rules(mapper):
        if keys is not None and key not in keys:
            continue
        value = values.get(key)
        if value is None:
            continue
        where = f"{column.table.name}.{column.name}"
        if kind == "chars" and isinstance(value, str) and len(value) > limit:
            found[key] = f"at most {limit} characters ({len(value)} given; {where})"
        elif kind == "bytes" and isinstance(value, str) and len(value.encode("utf-8")) > limit:
            found[key] = f"at most {limit} bytes ({where})"
        elif kind == "int" and isinstance(value, int) and \
                not -(2 ** limit) <= value < 2 ** limit:
            found[key] = f"out of range ({where} holds {limit + 1}-bit integers)"
        elif kind == "document":
            limits.check_document_bytes(limits.document_bytes(value), document_kind(mapper.class_))
    return found


def document_kind(model) -> str:
    """How a document kind is named in a 400 (job, backup...)."""
    return model.ID_FIELD.removesuffix("_id") or model.__name__.lower()


def check(obj) -> None:
    refuse(problems(obj))


def refuse(found: dict) -> None:
    """A 400 naming the first field that does not fit, when one does not."""
    if found:
        field, why = next(iter(found.items()))
        raise ValueTooLarge(f"{field}: {why}", errors=found)


def _before_flush(session, _context, _instances):
    for obj in list(session.new) + list(session.dirty):
        check(obj)


def install() -> None:
    """Once per process, for every session (the app's and the CLI's alike)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
