"""Backup metadata posted by agents after each run. v1 backups get the seed's composite id
(a repeat is 409); v2 backups a uuid4-hex id and a `status` that PATCH may change
(freezer-v2.md §4, DECISIONS.md). Both kinds are listed by both versions."""
import copy
import uuid

from ..models import Backup
from . import documents, runs, unlocked
from .errors import BadRequest
from .schemas import (BACKUP_METADATA, BACKUP_METADATA_V2, BACKUP_PATCH, BACKUP_STATUSES,
                      BACKUP_STATUSES_WITHOUT_LOCATION)
from .scope import Scope
from .validation import require_object, validate

ID_SCHEMES = ("composite", "uuid")
# what a PATCH never takes from its body (freezer-v2.md §4.4)
_PATCH_IGNORED = ("user_id", "backup_id", "project_id", "backup_uuid", "user_name", "_version")


def backup_id_for(meta: dict) -> str:
    """The seed's deterministic id, container_hostname_backupname_timestamp_level, so an
    agent retrying after a lost answer gets 409 instead of creating a duplicate."""
    hostname = meta.get("hostname", meta.get("host_name"))
    time_stamp = meta.get("time_stamp", meta.get("timestamp"))
    level = meta.get("curr_backup_level", meta.get("level", 0))
    return f"{meta['container']}_{hostname}_{meta['backup_name']}_{time_stamp}_{level}"


def create_backup(scope: Scope, user_name: str | None, body, ids: str = "composite"):
    meta = require_object(body, "backup metadata")
    if ids == "uuid":
        return _create_with_status(scope, user_name, meta)
    validate(BACKUP_METADATA, meta, "Bad Data Format")
    missing = []
    if not meta.get("hostname") and not meta.get("host_name"):
        missing.append("hostname")
    if "time_stamp" not in meta and "timestamp" not in meta:
        missing.append("time_stamp")
    if missing:
        raise BadRequest("Bad Data Format: missing " + ", ".join(missing),
                         errors={name: "is required" for name in missing})
    backup_id = backup_id_for(meta)
    doc = {"backup_id": backup_id, "user_id": scope.user_id, "user_name": user_name,
           "backup_metadata": meta}
    # read where the backup is then written (services/unlocked.py), with its job's open run
    run_pk = documents.check_new(Backup, scope, backup_id, unlocked=True,
                                 held=f"Backup data already existing with ID {backup_id}",
                                 also=runs.open_run_read(doc, scope.project_id))
    return _store(scope, doc, run_pk)


def _store(scope: Scope, doc: dict, run_pk: int | None):
    """The new backup, its id checked free, by one INSERT without an ORM object
    (services/unlocked.py; the answer needs only its id), on MariaDB its own transaction:
    naming the open run of its job, if it has one, which it thereby joins (runs.py)."""
    return unlocked.insert(Backup, scope, doc, run_pk=run_pk)


def _check_v2(meta: dict, status) -> None:
    if status not in BACKUP_STATUSES:
        raise BadRequest(f"Bad Data Format: status must be one of {', '.join(BACKUP_STATUSES)}",
                         errors={"status": "unknown status"})
    validate(BACKUP_METADATA_V2, meta, "Bad Data Format")
    if status not in BACKUP_STATUSES_WITHOUT_LOCATION:
        missing = [key for key in ("container", "hostname")
                   if not meta.get(key) and not (key == "hostname" and meta.get("host_name"))]
        if missing:
            raise BadRequest(f"Bad Data Format: missing {', '.join(missing)} (required unless "
                             "the status is creating, error or deleting)",
                             errors={name: "is required" for name in missing})


def _create_with_status(scope: Scope, user_name, body: dict) -> Backup:
    """v2: the flat metadata, `status` (default available) taken out of it, a new uuid."""
    meta = copy.deepcopy(body)
    status = meta.pop("status", None) or "available"
    _check_v2(meta, status)
    # a fresh uuid4: nothing to check it against (the unique index would refuse a collision)
    doc = {"backup_id": uuid.uuid4().hex, "user_id": scope.user_id, "user_name": user_name,
           "status": status, "backup_metadata": meta}
    return _store(scope, doc, runs.run_joined_by(doc, scope.project_id))


def patch(scope: Scope, backup_id: str, body) -> Backup:
    """v2 PATCH: `backup_metadata` and any other top-level key merge into the stored
    metadata (one level, as 19.0.0 merges), `status` replaces the status (DECISIONS.md:
    the 19.0.0 scheduler PATCHes the agent's flat metadata)."""
    changes = copy.deepcopy(require_object(body, "backup patch"))
    for key in _PATCH_IGNORED:
        changes.pop(key, None)
    validate(BACKUP_PATCH, changes)
    row = documents.get(Backup, scope, backup_id, for_update=True)
    doc = copy.deepcopy(row.doc)
    meta = doc.get("backup_metadata") if isinstance(doc.get("backup_metadata"), dict) else {}
    status = changes.pop("status", None) or doc.get("status", "available")
    meta.update(changes.pop("backup_metadata", None) or {})
    meta.update(changes)
    _check_v2(meta, status)
    doc.update(status=status, backup_metadata=meta)
    return documents.write(row, doc)
