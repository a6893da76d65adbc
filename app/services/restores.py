"""Restoring a backup: a restore job built from the backup's metadata, for any client of
the same owner (restoring on another host is allowed), saved stopped until started."""
from datetime import datetime, timezone

from ..models import Backup, Job
from . import documents, jobs
from .scope import Scope

# What "saved stopped" means to the freezer scheduler: it only runs a job on a start event.
STOPPED = {"event": "stop", "status": "stop"}


def restore_action(backup: Backup, restore_abs_path: str) -> dict:
    meta = backup.doc.get("backup_metadata") or {}
    action = {"action": "restore", "mode": meta.get("mode") or "fs",
              "backup_name": backup.backup_name, "container": backup.container,
              # the agent restores the chain of this host's backups, not its own host's
              "hostname": backup.hostname, "restore_abs_path": restore_abs_path}
    for key in ("storage", "engine_name"):
        if isinstance(meta.get(key), str) and meta[key]:
            action[key] = meta[key]
    if backup.time_stamp is not None:
        # the newest backup at or before this moment: this one and its level chain
        action["restore_from_date"] = datetime.fromtimestamp(
            backup.time_stamp, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return action


def create_restore_job(scope: Scope, backup_id: str, client_id: str,
                       restore_abs_path: str) -> Job:
    backup = documents.get(Backup, scope, backup_id)
    action = restore_action(backup, restore_abs_path)
    body = {"description": f"Restore {backup.backup_name} of {backup.hostname} "
                           f"({action.get('restore_from_date', 'latest')}) to {restore_abs_path}",
            "client_id": client_id,
            "job_actions": [{"freezer_action": action, "max_retries": 1,
                             "max_retries_interval": 30, "mandatory": True}],
            "job_schedule": dict(STOPPED)}
    return jobs.create(scope, body)
