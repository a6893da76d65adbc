"""`freezer-manage export FILE` / `import FILE`: the whole store (or one project) as one
versioned JSON-lines file, table by table, row by row.

Format (FORMAT_VERSION 1), one JSON object a line:
  {"format": "freezer-api-store", "format_version": 1, "schema": "<alembic head>", "project": null|"p"}
  {"table": "jobs", "row": {...every column...}}        (tables in foreign-key order)
  {"end": true, "rows": N}                              (a file without it is truncated)
Values: datetimes as ISO strings with microseconds, JSON columns as JSON, the rest as is.
The file carries no export time, so two exports of the same data are byte-identical.

Both directions stream: export reads keyset pages (WHERE pk > last ORDER BY pk LIMIT n) and
writes line by line; import reads line by line and writes in batches. Memory stays flat in
the size of the store. An import is one transaction: bad input rolls everything back.
Rows are matched by primary key: equal rows are left alone, a row with a `version` column
is only replaced by one at least as new, everything else is inserted with its own key."""
import json
from datetime import datetime

from sqlalchemy import DateTime, Double, Float, select

FORMAT = "freezer-api-store"
FORMAT_VERSION = 1
PAGE = 1000
# Throttle counters and dashboard sign-in sessions are short-lived state, not data to move:
# operators sign in again after a move (their accounts and API tokens do move).
TRANSIENT = {"auth_failures", "operator_sessions"}
# With --project: tables with no project column that still belong to one (by owner).
OWNED_BY_USER = {"api_tokens": "owner_id"}


class StoreFileError(Exception):
    """The file or the target cannot be used; nothing was written."""


def tables():
    from .. import models  # noqa: F401  (every model's table in the metadata)
    from ..extensions import db
    return [t for t in db.metadata.sorted_tables if t.name not in TRANSIENT]


def _project_filter(table, project):
    if project is None:
        return None
    if "project_id" in table.c:
        return table.c.project_id == project
    if table.name in OWNED_BY_USER:
        from ..extensions import db
        users = db.metadata.tables["users"]
        column = table.c[OWNED_BY_USER[table.name]]
        return column.in_(select(users.c.id).where(users.c.project_id == project))
    return False  # global (settings, audit trail): not part of one project's export


def _encode(column, value):
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(column.type, Float) and not isinstance(column.type, Double):
        # MariaDB keeps a FLOAT column in 4 bytes and answers 6 significant digits: the
        # file says what both engines agree on, so exports from either are identical
        return float(f"{value:.6g}")
    return value


def _decode(column, value):
    if value is None:
        return None
    if isinstance(column.type, DateTime):
        try:
            return datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise StoreFileError(f"column {column.table.name}.{column.name}: "
                                 f"not a timestamp: {value!r}") from None
    return value


def iter_rows(conn, table, project=None):
    """Every row of the table (of one project), in primary-key order, a page at a time."""
    (key,) = table.primary_key.columns
    where = _project_filter(table, project)
    if where is False:
        return
    last = None
    while True:
        query = select(table).order_by(key).limit(PAGE)
        if where is not None:
            query = query.where(where)
        if last is not None:
            query = query.where(key > last)
        rows = conn.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield {c.name: _encode(c, row._mapping[c.name]) for c in table.columns}
        last = rows[-1]._mapping[key.name]


def export(engine, out, schema, project=None) -> dict:
    """Write the store to the text stream `out`; returns rows per table."""
    counts = {}
    _line(out, {"format": FORMAT, "format_version": FORMAT_VERSION, "schema": schema,
                "project": project})
    with engine.connect() as conn:
        for table in tables():
            n = 0
            for row in iter_rows(conn, table, project):
                _line(out, {"table": table.name, "row": row})
                n += 1
            counts[table.name] = n
    _line(out, {"end": True, "rows": sum(counts.values())})
    return counts


def _line(out, obj):
    out.write(json.dumps(obj, ensure_ascii=False, separators=(",", ":")) + "\n")


def read_header(lines, schema) -> dict:
    first = next(lines, None)
    header = _parse(first, 1) if first is not None else None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise StoreFileError(f"not a {FORMAT} file (no header line)")
    if header.get("format_version") != FORMAT_VERSION:
        raise StoreFileError(f"format version {header.get('format_version')!r} is not "
                             f"{FORMAT_VERSION}, the one this version reads")
    if header.get("schema") != schema:
        raise StoreFileError(f"the file was exported at schema {header.get('schema')!r}, this "
                             f"database is at {schema!r}: export and import with the same "
                             "version of freezer-api (after `freezer-manage db sync`)")
    return header


def _parse(text, number):
    try:
        return json.loads(text)
    except ValueError as exc:
        raise StoreFileError(f"line {number}: not JSON ({exc})") from None


class Importer:
    """Apply a store file's rows; counts new/updated/unchanged/kept (newer here) per table."""

    def __init__(self, conn):
        self.conn = conn
        self.known = {t.name: t for t in tables()}
        self.counts = {}
        self.batch_table, self.batch = None, []

    def feed(self, number, entry):
        if not isinstance(entry, dict) or not isinstance(entry.get("row"), dict):
            raise StoreFileError(f"line {number}: not a table row")
        table = self.known.get(entry.get("table"))
        if table is None:
            raise StoreFileError(f"line {number}: unknown table {entry.get('table')!r}")
        unknown = set(entry["row"]) - set(table.c.keys())
        if unknown:
            raise StoreFileError(f"line {number}: {table.name} has no column "
                                 f"{', '.join(sorted(unknown))}")
        (key,) = table.primary_key.columns
        if entry["row"].get(key.name) is None:
            raise StoreFileError(f"line {number}: {table.name} row without {key.name}")
        row = {name: _decode(table.c[name], value) for name, value in entry["row"].items()}
        if table is not self.batch_table:
            self.flush()
            self.batch_table = table
        self.batch.append(row)
        if len(self.batch) >= PAGE:
            self.flush()

    def flush(self):
        table, batch = self.batch_table, self.batch
        self.batch = []
        if not batch:
            return
        (key,) = table.primary_key.columns
        counts = self.counts.setdefault(table.name,
                                        {"new": 0, "updated": 0, "unchanged": 0, "kept": 0})
        here = {r._mapping[key.name]: dict(r._mapping) for r in self.conn.execute(
            select(table).where(key.in_([row[key.name] for row in batch])))}
        new = []
        for row in batch:
            old = here.get(row[key.name])
            if old is None:
                new.append(row)
                continue
            clash = _identity_clash(table, old, row)
            if clash:
                raise StoreFileError(
                    f"{table.name} {key.name}={row[key.name]} is another row here ({clash}): "
                    "import a store file into the database it came from or an empty one")
            if all(_same(old.get(name), value) for name, value in row.items()):
                counts["unchanged"] += 1
            elif "version" in row and (old.get("version") or 0) > (row["version"] or 0):
                counts["kept"] += 1  # ours is newer: a rerun never goes back in time
            else:
                self.conn.execute(table.update().where(key == row[key.name]).values(**row))
                counts["updated"] += 1
        if new:
            self.conn.execute(table.insert(), new)
            counts["new"] += len(new)


def _identity_clash(table, old, row):
    """The columns of a unique index on which the row here and the row in the file differ:
    the same key then names two different things (e.g. another job id)."""
    for index in table.indexes:
        if index.unique:
            names = [c.name for c in index.columns]
            if any(name in row and old.get(name) != row[name] for name in names):
                return ", ".join(f"{n}={old.get(n)!r} here, {row.get(n)!r} in the file"
                                 for n in names)
    return None


def _same(ours, theirs):
    if isinstance(ours, float) or isinstance(theirs, float):
        return ours == theirs or (ours is not None and theirs is not None
                                  and abs(ours - theirs) < 1e-9)
    return ours == theirs


def import_lines(conn, lines, schema) -> dict:
    """Read a store file (an iterator of text lines) into the connection's transaction."""
    read_header(lines, schema)
    importer = Importer(conn)
    number, end = 1, None
    for number, text in enumerate(lines, start=2):
        if not text.strip():
            continue
        if end is not None:
            raise StoreFileError(f"line {number}: data after the end line")
        entry = _parse(text, number)
        if isinstance(entry, dict) and entry.get("end") is True:
            end = entry
            continue
        importer.feed(number, entry)
    importer.flush()
    if end is None:
        raise StoreFileError(f"the file ends at line {number} without its end line "
                             "(truncated?)")
    seen = sum(sum(c.values()) for c in importer.counts.values())
    if end.get("rows") != seen:
        raise StoreFileError(f"the end line counts {end.get('rows')!r} rows, the file has {seen}")
    return importer.counts
