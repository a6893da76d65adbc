"""A document written without a row lock: read in autocommit, stored by one UPDATE that
applies only if the row is still at the version read (a compare-and-set on `version`,
which every write of a document bumps, locked or not). Another write between the read and
the UPDATE is seen, never lost: nothing is written, and the request is run again from the
start (WriteRaced, replayed as a lost deadlock is), deciding again on what is now stored.

For what agents send constantly, a job's status PATCH. When the document is the request's
only change (its status unchanged, no actions stored), on MariaDB/MySQL that is two
statements, each its own transaction, where the locked path took a locked read, an UPDATE
and a COMMIT through the ORM (bench/PROFILE.md, round 7). When the request writes more (a
run opened or closed, actions stored, through the session), the UPDATE is sent in the
request's transaction, first, so it takes the row's lock before anything else is written,
as the locked path does; the request commits it all."""
import functools

from sqlalchemy import inspect

from .. import clock, driver_rows
from ..connection import own_transaction_connection, session_raw_connection
from ..db import WROTE_KEY, replayed, wrote
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


class _Unlocked(driver_rows.RowSelect):
    def _connection(self):
        return own_transaction_connection()[0]


@functools.cache
def _by_id(model, scope_column: str | None, locked: bool) -> driver_rows.RowSelect:
    """Built once per kind, scope column and lock, as documents' reads (Scope.reads)."""
    where = documents.by_id_where(model, scope_column)
    if locked:  # in the session's transaction, FOR UPDATE (documents.locked)
        return driver_rows.RowSelect(model, *where, for_update=True)
    return _Unlocked(model, *where)


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


def write(draft: Draft, doc: dict) -> Draft:
    """Store `doc` as the draft's next version, with what the caller set on the draft (a
    run's facts), if nothing was written since it was read; else WriteRaced. The derived
    columns are the model's `sync_columns`, every value checked as a flush checks it
    (stored_sizes), the owner kept (documents.owned)."""
    model = draft._model
    draft.doc = documents.owned(doc, draft.user_id)
    text = dumps(draft.doc)  # once: its size checked, the same text stored
    limits.check_document_bytes(len(text.encode("utf-8")), stored_sizes.document_kind(model))
    model.sync_columns(draft)
    values = draft.changed()
    stored_sizes.refuse(stored_sizes.value_problems(inspect(model), values))
    values.update(doc=text, version=draft.version + 1, updated_at=clock.utcnow())
    alone = not draft._locked and not (db.session.registry.has() and wrote(db.session))
    if alone:  # the request's one change: on MariaDB/MySQL committed as it is sent
        raw, in_session = own_transaction_connection()
    else:  # with the session's: in its transaction, the job's row locked first
        raw, in_session = session_raw_connection(), True
    if not driver_rows.update_if_version(raw, model, draft.pk, draft.version, values):
        raise WriteRaced(f"The {stored_sizes.document_kind(model)} {draft.doc_id} changed "
                         "while this request wrote it; nothing was changed. Retry.")
    draft.version += 1
    if in_session:
        db.session.info[WROTE_KEY] = True  # the request commits it
    if not alone:
        driver_rows.flush()  # the rest of the request's writes, after the row's lock
    return draft
