"""Scoped access to stored documents, shared by every resource. A document outside the
caller's scope (another user's in v1, another project's in v2) is indistinguishable from a
missing one (404), as DECISIONS.md requires."""
import functools
from typing import NamedTuple

from sqlalchemy import Text, bindparam, literal_column, null, select, type_coerce, union_all

from .. import driver_rows
from ..connection import OwnTransaction, Prepared, connection
from ..extensions import db
from ..models.types import dumps
from . import forecast  # noqa: F401  (registers the rule of jobs.next_run_at; see Job)
from . import search as search_dsl
from .errors import Conflict, NotFound, PreconditionFailed
from .scope import Scope

KINDS = {"Backup": "backup", "Client": "client", "Action": "action", "Job": "job",
         "Session": "session"}


def _kind(model) -> str:
    return KINDS.get(model.__name__, model.__name__.lower())


def locked(stmt):
    """Take the row lock a read-modify-write needs. MySQL: SELECT ... FOR UPDATE. SQLite
    has no row locks: writing requests open their transaction with BEGIN IMMEDIATE
    (see app/db.py), so the read already holds the database's write lock."""
    return stmt.with_for_update()


def _id_column(model):
    """The column a document is looked up by: its id, or for backups a digest of it."""
    return model.id_hash if hasattr(model, "id_hash") else getattr(model, model.ID_FIELD)


def _by_id(model, doc_id: str):
    return _id_column(model) == _id_value(model, doc_id)


def find(model, scope: Scope, doc_id: str, for_update: bool = False, where=None):
    """The document with that id in the caller's scope (or `where`), or None."""
    if where is not None:
        stmt = select(model).where(where, _by_id(model, doc_id)).order_by(model.pk)
        return db.session.scalars(locked(stmt) if for_update else stmt).first()
    column, value = scope.reads
    return _row_by_id(model, column, for_update).first(id_params(model, value, doc_id))


def get(model, scope: Scope, doc_id: str, for_update: bool = False):
    row = find(model, scope, doc_id, for_update)
    if row is None:
        raise not_found(model, doc_id)
    return row


def not_found(model, doc_id: str) -> NotFound:
    return NotFound(f"No {_kind(model)} found with ID {doc_id}")


# --- reads answered with the stored text ---------------------------------------------
# What agents read constantly (an item GET, a poll, a page of a list) is answered with the
# JSON text as stored, never decoded and encoded again (app/api/conventions.py splices in
# `_version`): SQLAlchemy Core on the request's connection, no ORM objects.

class Stored(NamedTuple):
    text: str     # the document's JSON text, exactly as stored
    version: int
    project_id: str = ""  # what v2 shows beside the document (app/api/versioning.py)
    model: type | None = None


def stored(row) -> Stored:
    """A row just written, as the reads above answer it: its text as stored (JSONText's)."""
    return Stored(dumps(row.doc), row.version, row.project_id, type(row))


def select_stored(model, *columns):
    """SELECT of a document's stored text, version and project (Stored's), then `columns`."""
    table = model.__table__
    return select(_raw_doc(model), table.c.version, table.c.project_id, *columns)


def _raw_doc(model):
    return type_coerce(model.__table__.c.doc, Text()).label("doc")  # no JSON decoding


def _id_value(model, doc_id: str) -> str:
    """What the id column holds: the id, or for backups a digest of their long id."""
    if hasattr(model, "id_hash"):
        from ..models.backup import backup_id_hash
        return backup_id_hash(doc_id)
    return doc_id


def id_params(model, scope_value, doc_id: str) -> dict:
    return {"scope": scope_value, "id": _id_value(model, doc_id)}


def by_id_where(model, scope_column: str | None) -> tuple:
    """One document by id in a scope: the scope's value and the id are bound parameters
    (`scope`, `id`, `id_params`), so the requests agents make constantly build no statement."""
    return Scope.bound_where(model, scope_column), _id_column(model) == bindparam("id")


@functools.cache
def _text_by_id(model, scope_column: str | None) -> Prepared:
    """The stored text, built once per kind and scope column (Scope.reads)."""
    return Prepared(select_stored(model).where(*by_id_where(model, scope_column))
                    .order_by(model.__table__.c.pk).limit(1))


@functools.cache
def _pk_by_id(model, scope_column: str | None) -> Prepared:
    """Whether it exists."""
    table = model.__table__
    return Prepared(select(table.c.pk).where(*by_id_where(model, scope_column))
                    .order_by(table.c.pk).limit(1))


@functools.cache
def _row_by_id(model, scope_column: str | None, for_update: bool) -> driver_rows.RowSelect:
    """The session's ORM object (locked for a read-modify-write: FOR UPDATE, see `locked`)."""
    return driver_rows.RowSelect(model, *by_id_where(model, scope_column),
                                 for_update=for_update)


def read(model, scope: Scope, doc_id: str, where=None) -> Stored:
    """The document with that id in the caller's scope (or `where`), as stored (404 as get)."""
    if where is None:
        column, value = scope.reads
        row = _text_by_id(model, column).first(id_params(model, value, doc_id))
    else:
        row = connection().execute(
            select_stored(model).where(where, _by_id(model, doc_id))
            .order_by(model.__table__.c.pk).limit(1)).first()
    if row is None:
        raise not_found(model, doc_id)
    text, version, project_id = row
    return Stored(text, version, project_id, model)


def list_texts(model, scope: Scope, search: search_dsl.Search, limit: int, offset: int,
               where=None) -> list[Stored]:
    """A page of the scope's documents as stored: filtered in SQL, in creation order."""
    shape = search_dsl.column_shape(model, search) if where is None else None
    if shape is not None:  # an agent's poll: built once per shape, values bound
        column, value = scope.reads
        params = {"scope": value, "limit": limit, "offset": offset}
        params.update((f"m{i}", v) for i, (_, v) in enumerate(search.match))
        params.update((f"n{i}", v) for i, (_, v) in enumerate(search.match_not))
        return [Stored(text, version, project_id, model) for text, version, project_id
                in _page_by_columns(model, column, *shape).all(params)]
    table = model.__table__
    stmt = select_stored(model).where(scope.where(model) if where is None else where)
    stmt = search_dsl.apply(stmt, model, search)
    stmt = stmt.order_by(table.c.pk).limit(limit).offset(offset)
    return [Stored(row.doc, row.version, row.project_id, model)
            for row in connection().execute(stmt)]


@functools.lru_cache(maxsize=256)  # shapes are few; a caller inventing more is bounded
def _page_by_columns(model, scope_column: str | None, match: tuple, match_not: tuple):
    """list_texts' page for a search on indexed columns only, its values bound: `scope`,
    `m0`.. for `match`, `n0`.. for `match_not`, `limit`, `offset`."""
    table = model.__table__
    column = lambda key: getattr(model, model.SEARCH_COLUMNS[key])  # noqa: E731
    clauses = [Scope.bound_where(model, scope_column)]
    clauses += [search_dsl.column_condition(column(k), bindparam(f"m{i}"))
                for i, k in enumerate(match)]
    clauses += [search_dsl.column_condition(column(k), bindparam(f"n{i}"), negate=True)
                for i, k in enumerate(match_not)]
    return Prepared(select_stored(model).where(*clauses).order_by(table.c.pk)
                    .limit(bindparam("limit")).offset(bindparam("offset")))


@functools.cache
def _held_or_taken(model, scope_column: str | None, unlocked: bool, also=None) -> Prepared:
    """A row per place the id is found: (1, NULL) in the caller's scope (`scope`), (2, NULL)
    in the project (`project`), each part a lookup on its index; with `also` (a select of
    one value), (3, that value) too; all in one round trip."""
    table = model.__table__
    parts = [select(literal_column("1"), null()).where(*by_id_where(model, scope_column)),
             select(literal_column("2"), null()).where(
                 table.c.project_id == bindparam("project"), _id_column(model) == bindparam("id"))]
    if also is not None:
        parts.append(select(literal_column("3"), also.scalar_subquery()))
    return (OwnTransaction if unlocked else Prepared)(union_all(*parts))


def check_new(model, scope: Scope, doc_id: str, held: str, unlocked: bool = False,
              also=None):
    """Before storing a new document under an id the caller chose or derived: 409 `held`
    when the caller's scope already has one (a v1 caller's, in any project), else 409 when
    the project has it (check_free's), in one statement. `unlocked`: for a document then
    stored by services/unlocked.py, read where it will be written. `also`: (a select of one
    value, its parameters), something the write needs read in the same round trip (a
    backup's open run); its value is returned."""
    column, value = scope.reads
    params = {"scope": value, "project": scope.project_id, "id": _id_value(model, doc_id)}
    if also is not None:
        params.update(also[1])
    found = dict(_held_or_taken(model, column, unlocked, also[0] if also else None).all(params))
    if 1 in found:
        raise Conflict(held)
    if 2 in found:
        raise _taken(model, scope, doc_id)
    return found.get(3)


def taken(model, scope: Scope, doc_id: str) -> bool:
    """Whether the id is used in the scope's project (ids are unique per project), also by
    a document the caller cannot see (another user's, for a v1 caller)."""
    return _pk_by_id(model, "project_id").first(
        id_params(model, scope.project_id, doc_id)) is not None


def check_free(model, scope: Scope, doc_id: str) -> None:
    """Before storing a new document under a chosen id: taken in the project is 409."""
    if taken(model, scope, doc_id):
        raise _taken(model, scope, doc_id)


def _taken(model, scope: Scope, doc_id: str) -> Conflict:
    return Conflict(f"The {_kind(model)} ID {doc_id} is already taken in project "
                    f"{scope.project_id}")


def check_if_match(row, if_match: str | None, model=None) -> None:
    """Optional optimistic concurrency, RFC 9110 If-Match: `*` matches any stored document;
    a list of entity-tags matches when one is the current version's ETag, `"<version>"`,
    compared strongly (a weak `W/"1"` never matches). With no stored document (`row` None:
    a replace that would create) nothing matches. Absent or empty: no condition."""
    if not if_match or not if_match.strip():
        return
    kind = _kind(model or type(row))
    if row is None:
        raise PreconditionFailed(f"No {kind} exists yet, so If-Match: {if_match} cannot match")
    tags = {tag.strip() for tag in if_match.split(",")}
    if "*" not in tags and f'"{row.version}"' not in tags:
        raise PreconditionFailed(f"The {kind} is at version {row.version} "
                                 f'(ETag "{row.version}"), not {if_match}')


def add(row):
    db.session.add(row)
    driver_rows.flush()  # one INSERT by the driver: the ORM's flush cost 3x the request's SQL
    return row


def new(model, scope: Scope, doc: dict, checked: bool = False, **columns):
    """Store a new document in the scope's name (its user and project); `checked`: its id
    was just checked free (check_free, check_new)."""
    row = scope.stamp(model, **columns)
    row.set_doc(doc)
    if not checked:
        check_free(model, scope, row.doc_id)
    return add(row)


def delete(model, scope: Scope, doc_id: str, if_match: str | None = None):
    row = get(model, scope, doc_id, for_update=True)
    check_if_match(row, if_match)
    db.session.delete(row)
    db.session.flush()
    return row


def owned(doc: dict, user_id: str) -> dict:
    """A document's `user_id` stays its owner's, whoever of the project writes it
    (re-stamping the last writer is 19.0.0's bug, freezer-v2.md §14)."""
    if "user_id" in doc and doc["user_id"] != user_id:
        return dict(doc, user_id=user_id)
    return doc


def write(row, doc: dict):
    """Store a new version of an existing document (its owner kept: `owned`)."""
    row.set_doc(owned(doc, row.user_id))
    row.bump()
    driver_rows.flush()  # one UPDATE by the driver: the ORM's flush cost 14x its round trip
    return row
