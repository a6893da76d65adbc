"""Backup metadata posted by agents after each run."""
from ..models import Backup
from . import documents, runs
from .errors import BadRequest, Conflict
from .schemas import BACKUP_METADATA
from .scope import Scope
from .validation import require_object, validate


def backup_id_for(meta: dict) -> str:
    """The seed's deterministic id, container_hostname_backupname_timestamp_level, so an
    agent retrying after a lost answer gets 409 instead of creating a duplicate."""
    hostname = meta.get("hostname", meta.get("host_name"))
    time_stamp = meta.get("time_stamp", meta.get("timestamp"))
    level = meta.get("curr_backup_level", meta.get("level", 0))
    return f"{meta['container']}_{hostname}_{meta['backup_name']}_{time_stamp}_{level}"


def create_backup(scope: Scope, user_name: str | None, body) -> Backup:
    meta = require_object(body, "backup metadata")
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
    if documents.find(Backup, scope, backup_id) is not None:
        raise Conflict(f"Backup data already existing with ID {backup_id}")
    row = documents.new(Backup, scope, {"backup_id": backup_id, "user_id": scope.user_id,
                                        "user_name": user_name, "backup_metadata": meta})
    runs.attach_backup(row)  # a backup of a running job joins that run's history
    return row
