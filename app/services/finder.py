"""The dashboard's search box: jobs, clients, sessions and backups matching a few words,
in one scope. Each kind costs at most two bounded queries: identifiers by prefix on the
indexed (project or user, id) columns, then free text (search.py's `_all` matching) in
that kind's newest RECENT documents only, so the cost does not grow with the history."""
from dataclasses import dataclass

from sqlalchemy import and_, select

from ..extensions import db
from ..models import Backup, Client, Job, Session
from . import search as search_dsl
from .scope import Scope

PER_KIND = 10       # results shown per kind (one more is read, to say "more")
RECENT = 1000       # free text is looked for in this many of the newest documents per kind
#                     (5,000 cost ~400 ms on SQLite at 20,000 jobs: docs/performance.md)
MAX_TERM = 200

# kind: (model, identifier columns matched by prefix, in the order they are tried)
KINDS = {
    "jobs": (Job, ("job_id", "client_id")),
    "clients": (Client, ("client_id", "hostname")),
    "sessions": (Session, ("session_id",)),
    "backups": (Backup, ("hostname",)),
}


@dataclass
class Found:
    rows: list
    more: bool


def _prefix(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _recent_floor(model, scope: Scope):
    """The pk of the RECENT-th newest document in scope (None: fewer than that)."""
    return db.session.scalar(select(model.pk).where(scope.where(model))
                             .order_by(model.pk.desc()).offset(RECENT - 1).limit(1))


def find_kind(scope: Scope, kind: str, term: str, limit: int = PER_KIND) -> Found:
    model, id_columns = KINDS[kind]
    found: dict[int, object] = {}
    for name in id_columns:
        if len(found) > limit:
            break
        column = getattr(model, name)
        stmt = (select(model).where(scope.where(model), column.like(_prefix(term), escape="\\"))
                .order_by(column, model.pk).limit(limit + 1 - len(found)))
        for row in db.session.scalars(stmt):
            found.setdefault(row.pk, row)
    if len(found) <= limit:
        text = search_dsl.Search(text=[term])
        clauses = search_dsl.where_clauses(model, text)
        floor = _recent_floor(model, scope)
        if floor is not None:
            clauses.append(model.pk >= floor)
        if found:
            clauses.append(model.pk.not_in(list(found)))
        stmt = (select(model).where(scope.where(model), and_(*clauses))
                .order_by(model.pk.desc()).limit(limit + 1 - len(found)))
        for row in db.session.scalars(stmt):
            found.setdefault(row.pk, row)
    rows = list(found.values())
    return Found(rows[:limit], len(rows) > limit)


def find(scope: Scope, term: str, limit: int = PER_KIND) -> dict[str, Found]:
    """Every kind's matches for `term` (blank: nothing is searched)."""
    term = (term or "").strip()[:MAX_TERM]
    if not term:
        return {}
    return {kind: find_kind(scope, kind, term, limit) for kind in KINDS}

