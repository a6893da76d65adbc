"""Owner-scoped access to stored documents, shared by every resource. A document owned by
someone else is indistinguishable from a missing one (404), as DECISIONS.md requires."""
from sqlalchemy import select

from ..extensions import db
from . import forecast  # noqa: F401  (registers the rule of jobs.next_run_at; see Job)
from . import search as search_dsl
from .errors import NotFound, PreconditionFailed

KINDS = {"Backup": "backup", "Client": "client", "Action": "action", "Job": "job",
         "Session": "session"}


def _kind(model) -> str:
    return KINDS.get(model.__name__, model.__name__.lower())


def locked(stmt):
    """Take the row lock a read-modify-write needs. MySQL: SELECT ... FOR UPDATE. SQLite
    has no row locks: writing requests open their transaction with BEGIN IMMEDIATE
    (see app/db.py), so the read already holds the database's write lock."""
    return stmt.with_for_update()


def find(model, user_id: str, doc_id: str, for_update: bool = False):
    """The caller's document with that id, or None."""
    id_column = getattr(model, model.ID_FIELD)
    stmt = select(model).where(model.user_id == user_id)
    if hasattr(model, "id_hash"):  # backups are looked up by a digest of their long id
        from ..models.backup import backup_id_hash
        stmt = stmt.where(model.id_hash == backup_id_hash(doc_id))
    else:
        stmt = stmt.where(id_column == doc_id)
    if for_update:
        stmt = locked(stmt)
    return db.session.scalars(stmt).first()


def get(model, user_id: str, doc_id: str, for_update: bool = False):
    row = find(model, user_id, doc_id, for_update)
    if row is None:
        raise NotFound(f"No {_kind(model)} found with ID {doc_id}")
    return row


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


def list_docs(model, user_id: str, search: search_dsl.Search, limit: int, offset: int):
    stmt = select(model).where(model.user_id == user_id)
    stmt = search_dsl.apply(stmt, model, search)
    stmt = stmt.order_by(model.pk).limit(limit).offset(offset)
    return list(db.session.scalars(stmt))


def add(row):
    db.session.add(row)
    db.session.flush()
    return row


def delete(model, user_id: str, doc_id: str, if_match: str | None = None):
    row = get(model, user_id, doc_id, for_update=True)
    check_if_match(row, if_match)
    db.session.delete(row)
    db.session.flush()
    return row


def write(row, doc: dict):
    """Store a new version of an existing document."""
    row.set_doc(doc)
    row.bump()
    db.session.flush()
    return row
