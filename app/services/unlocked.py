"""Documents written without a row lock and without an ORM object, for what agents send
constantly. On MariaDB/MySQL a write that is the request's only change is its own
transaction (autocommit): no COMMIT after it, and no session (app/db.py
`single_write_connection`); one that comes with other writes (through the session) is sent
in the request's transaction.

A job's PATCH (`read`, `write`): read, merged and checked, then stored by one UPDATE that
applies only if the row is still at the version read (a compare-and-set on `version`,
which every write of a document bumps, locked or not). Another write between the read and
the UPDATE is seen, never lost: nothing is written, and the request is run again from the
start (WriteRaced, replayed as a lost deadlock is), deciding again on what is now stored.
Its status unchanged (an agent's repeated report), that is two statements where the locked
path took a locked read, an UPDATE and a COMMIT through the ORM (bench/PROFILE.md round 7);
a run opened or closed, or actions stored, follow the job's UPDATE, so the row's lock is
taken first, as the locked path takes it. A session's start and end (services/sessions.py
`act`) are written the same way; a round kept in its history, or its end noticed, follows
the session's UPDATE in the request's transaction (`write(..., shared=True)`).

A backup's POST (`insert`): one INSERT, naming the open run it joins if there is one
(services/runs.py); the unique id index refuses a duplicate posted meanwhile (409)."""
import functools

from sqlalchemy import inspect

from .. import clock, driver_rows
from ..db import WROTE_KEY, replayed, single_write_connection
from ..extensions import db
from ..models.types import dumps
from . import documents, limits, stored_sizes
from .errors import WriteRaced
from .scope import Scope


class Draft:
    """A document's row as read for a write: its columns as attributes, as an ORM row has
    them, so the model's `sync_columns` and the run history read and set them alike."""

    def __init__(self, model, values: dict, locked: bool = False):
        self.__dict__.update(values)
        self._model, self._read, self._locked = model, values, locked

    @property
    def doc_id(self) -> str:
        return getattr(self, self._model.ID_FIELD)

    def changed(self) -> dict:
        """The columns set to other values than read (the document aside)."""
        return {key: value for key, value in vars(self).items()
                if not key.startswith("_") and key != "doc" and self._read.get(key) != value}


@functools.cache
def _by_id(model, scope_column: str | None, locked: bool) -> driver_rows.RowSelect:
    """Built once per kind, scope column and lock, as documents' reads (Scope.reads)."""
    where = documents.by_id_where(model, scope_column)
    if locked:  # in the session's transaction, FOR UPDATE (documents.locked)
        return driver_rows.RowSelect(model, *where, for_update=True)
    return driver_rows.RowSelect(model, *where, own_transaction=True)


def read(model, scope: Scope, doc_id: str) -> Draft:
    """The document with that id in the caller's scope (404 as documents.get): unlocked,
    or in a request run again after a lost race (app/db.py `replayed`) under its row lock,
    so that writers contending for one document are served in turn instead of losing
    again (fifty concurrent PATCHes of one job: tests/reliability/test_races.py)."""
    column, value = scope.reads
    locked = replayed()
    values = _by_id(model, column, locked).values(documents.id_params(model, value, doc_id))
    if values is None:
        raise documents.not_found(model, doc_id)
    return Draft(model, values, locked)


def write(draft: Draft, doc: dict, shared: bool = False) -> Draft:
    """Store `doc` as the draft's next version, with what the caller set on the draft (a
    run's facts), if nothing was written since it was read; else WriteRaced. `shared`:
    writes follow in the request's transaction (a session's round kept)."""
    values = _columns(draft, documents.owned(doc, draft.user_id))
    values.update(version=draft.version + 1, updated_at=clock.utcnow())
    raw, in_session = single_write_connection(shared=shared or draft._locked)
    if not driver_rows.update_if(raw, draft._model, draft.pk, values, {"version": draft.version}):
        raise WriteRaced(f"The {stored_sizes.document_kind(draft._model)} {draft.doc_id} "
                         "changed while this request wrote it; nothing was changed. Retry.")
    draft.version += 1
    _sent(in_session)
    return draft


def insert(model, scope: Scope, doc: dict, **columns) -> Draft:
    """Store a new document in the scope's name by one INSERT (its id checked free before:
    documents.check_new), with `columns` the document does not hold (a backup's run)."""
    now = clock.utcnow()
    row = Draft(model, {})
    row.__dict__.update(user_id=scope.user_id, project_id=scope.project_id, version=1,
                        created_at=now, updated_at=now, **columns)
    values = _columns(row, doc)
    raw, in_session = single_write_connection()
    driver_rows.insert_values(raw, model, values)
    _sent(in_session)
    return row


def _columns(row: Draft, doc: dict) -> dict:
    """What a write of `doc` sends: the columns changed on the row, the derived ones by the
    model's `sync_columns`, and the document as its text (encoded once: its size checked,
    the same text stored), every value checked as a flush checks it (stored_sizes)."""
    model = row._model
    row.doc = doc
    text = dumps(doc)
    limits.check_document_bytes(len(text.encode("utf-8")), stored_sizes.document_kind(model))
    model.sync_columns(row)
    values = row.changed()
    stored_sizes.refuse(stored_sizes.value_problems(inspect(model), values))
    values["doc"] = text
    return values


def _sent(in_session: bool) -> None:
    """After a statement in the session's transaction: the request commits it, with the
    rest of its writes, sent now (after the row's lock, when one was taken)."""
    if in_session:
        db.session.info[WROTE_KEY] = True
        driver_rows.flush()
