"""The v1 search DSL (freezer-v1.md §2.4, DECISIONS.md "Search"), translated to SQL so that
filtering happens in the database, before paging.

`match` items are ANDed, `match_not` items excluded. A key the model keeps as an indexed
column is compared on that column; any other bare key matches a field of that name at any
depth of the document, and a dotted key the field at that path, through the engine's JSON
functions. `_all` is the free-text search (or, as the SQL engine did, a JSON list of match
items)."""
import json
import re
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, func, literal, not_, or_, select

from ..db import SQLITE_UNICODE_LOWER
from ..extensions import db
from . import limits
from .errors import BadRequest

_KEY = re.compile(r"^[\w-]+(\.[\w-]+)*$")
_SCALARS = (str, int, float, bool, type(None))
# SQLite cannot bind integers beyond 64 bits (and nothing stored in a column is larger)
_INT64 = (-2 ** 63, 2 ** 63 - 1)


def _in_range(value) -> bool:
    return isinstance(value, bool) or not isinstance(value, int) or \
        _INT64[0] <= value <= _INT64[1]

# Query-string filters (so browsers and scripts need no GET body).
QUERY_FILTERS = ("client_id", "status", "event", "result", "session_id", "job_id",
                 "backup_name", "container", "hostname")


@dataclass
class Search:
    match: list = field(default_factory=list)      # [(key, value)]
    match_not: list = field(default_factory=list)  # [(key, value)]
    text: list = field(default_factory=list)       # free-text terms
    time_after: int | None = None
    time_before: int | None = None


def _items(body: dict, name: str) -> list:
    raw = body.get(name)
    if raw is None:
        return []
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(i, dict) for i in raw):
        raise BadRequest(f"'{name}' must be a list of objects such as [{{\"status\": \"running\"}}]",
                         errors={name: "must be a list of objects"})
    pairs = []
    for item in raw:
        for key, value in item.items():
            if not isinstance(key, str) or not _KEY.fullmatch(key):
                raise BadRequest(f"Invalid search key {key!r} in '{name}'",
                                 errors={name: f"invalid key {key!r}"})
            if not isinstance(value, _SCALARS):
                raise BadRequest(f"The value of {key!r} in '{name}' must be a string, number, "
                                 "boolean or null", errors={name: f"{key}: not a scalar"})
            if not _in_range(value):
                raise BadRequest(f"The value of {key!r} in '{name}' is out of range",
                                 errors={name: f"{key}: beyond 64-bit integers"})
            pairs.append((key, value))
    return pairs


def _epoch(value, name):
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadRequest(f"'{name}' must be an integer (epoch seconds)", errors={name: "not an integer"})
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"'{name}' must be an integer (epoch seconds)",
                         errors={name: "not an integer"}) from None
    if not _in_range(number):
        raise BadRequest(f"'{name}' is out of range", errors={name: "beyond 64-bit integers"})
    return number


def parse(body, args=None) -> Search:
    """Build a Search from a request's JSON body (the DSL) and its query string."""
    args = args or {}
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise BadRequest("The search body must be a JSON object with 'match' and 'match_not' lists")
    search = Search()
    for key, value in _items(body, "match"):
        if key == "_all":
            search_all(search, value)
        else:
            search.match.append((key, value))
    for key, value in _items(body, "match_not"):
        search.match_not.append((key, value))
    for name in QUERY_FILTERS:
        if name in args:
            search.match.append((name, args[name]))
    if args.get("q"):
        search.text.append(args["q"])
    limits.check_search_items(len(search.match) + len(search.match_not) + len(search.text))
    search.time_after = _epoch(body.get("time_after", args.get("time_after")), "time_after")
    search.time_before = _epoch(body.get("time_before", args.get("time_before")), "time_before")
    return search


def search_all(search: Search, value) -> None:
    """`_all`: a JSON list of {key: value} objects becomes match items (the SQL engine's
    convention); anything else is a case-insensitive text search over every string."""
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            decoded = None
        if isinstance(decoded, list) and decoded and all(isinstance(i, dict) for i in decoded):
            search.match.extend(_items({"match": decoded}, "match"))
            return
    if value is not None and value != "":
        search.text.append(str(value))


# --- SQL ---------------------------------------------------------------------------------

def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _json_path(key: str) -> str:
    return "$" + "".join(f'."{part}"' for part in key.split("."))


def _json_equals(model, key: str, value, dialect: str):
    """True when a field named `key` at any depth (bare key) or at the dotted path equals
    `value` exactly; arrays match when one of their elements does."""
    if dialect in ("mysql", "mariadb"):
        path = _json_path(key) if "." in key else '$**."' + key + '"'
        # real characters, not \\u escapes: MariaDB mis-compares escaped astral characters
        found = func.json_contains(func.json_extract(model.doc, path),
                                   json.dumps(value, ensure_ascii=False))
        return func.coalesce(found, 0) == 1
    # SQLite: walk the document with json_tree (bare key) or json_each at the path.
    if "." in key:
        rows = func.json_each(model.doc, _json_path(key)).table_valued("key", "atom", "type")
        key_clause = literal(True)
    else:
        rows = func.json_tree(model.doc).table_valued("key", "atom", "type", "path")
        # the field itself, or an element of an array stored under that key (its path
        # ends with the key: `$.client.supported_actions`, `$."a-b"`)
        in_array = and_(func.typeof(rows.c.key) == "integer",
                        or_(rows.c.path.endswith("." + key, autoescape=True),
                            rows.c.path.endswith('."' + key + '"', autoescape=True)))
        key_clause = or_(rows.c.key == key, in_array)
    value_clause = _sqlite_value(rows, value)
    return exists(select(literal(1)).select_from(rows).where(key_clause, value_clause))


def _sqlite_value(rows, value):
    """Exact JSON equality on a json_tree/json_each row: the JSON type too, since SQLite
    reports true as atom 1 and false as 0 (MariaDB's JSON_CONTAINS already tells them apart)."""
    if value is None:
        return rows.c.type == "null"
    if isinstance(value, bool):
        return rows.c.type == ("true" if value else "false")
    if isinstance(value, (int, float)):
        return and_(rows.c.type.in_(("integer", "real")), rows.c.atom == value)
    return and_(rows.c.type == "text", rows.c.atom == value)


def _like_pattern(term: str) -> str:
    """Lower-cased by Python (Unicode), as the stored text is by the database (below)."""
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text(model, term: str, dialect: str):
    pattern = _like_pattern(term)
    if dialect in ("mysql", "mariadb"):
        return func.json_search(func.lower(model.doc), "one", pattern).is_not(None)
    rows = func.json_tree(model.doc).table_valued("key", "atom", "type")
    lowered = getattr(func, SQLITE_UNICODE_LOWER)(rows.c.atom)  # see app/db.py
    return exists(select(literal(1)).select_from(rows).where(
        rows.c.type == "text", lowered.like(pattern, escape="\\")))


def column_condition(column, value, negate=False):
    """A string matched (or excluded) on an indexed column; `value` a string or a bound
    parameter (documents.list_texts builds the agents' poll once, by its shape)."""
    return or_(column.is_(None), column != value) if negate else column == value


def column_shape(model, search: Search) -> tuple | None:
    """(match keys, match_not keys) when every condition is a string on an indexed column,
    as an agent's poll is (`client_id`, not `status` completed); else None."""
    if search.text or search.time_after is not None or search.time_before is not None:
        return None
    pairs = search.match + search.match_not
    if not all(key in model.SEARCH_COLUMNS and isinstance(value, str) for key, value in pairs):
        return None
    return tuple(k for k, _ in search.match), tuple(k for k, _ in search.match_not)


def _condition(model, key, value, dialect, negate=False):
    column_name = model.SEARCH_COLUMNS.get(key)
    if column_name and isinstance(value, str):
        return column_condition(getattr(model, column_name), value, negate)
    clause = _json_equals(model, key, value, dialect)
    return not_(clause) if negate else clause


def where_clauses(model, search: Search) -> list:
    dialect = _dialect()
    clauses = [_condition(model, k, v, dialect) for k, v in search.match]
    clauses += [_condition(model, k, v, dialect, negate=True) for k, v in search.match_not]
    clauses += [_text(model, term, dialect) for term in search.text]
    if hasattr(model, "time_stamp"):
        if search.time_after is not None:
            clauses.append(model.time_stamp >= search.time_after)
        if search.time_before is not None:
            clauses.append(model.time_stamp <= search.time_before)
    return clauses


def apply(stmt, model, search: Search):
    clauses = where_clauses(model, search)
    return stmt.where(and_(*clauses)) if clauses else stmt
