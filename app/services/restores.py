"""Restoring a backup: a restore job built from the backup's metadata, for a client of the
same owner that can run it (restoring on another host is allowed), saved stopped until
started. Restoring over the very path the backup was taken from, on its own host, is
allowed only when the caller says so (it overwrites what is live there)."""
import posixpath
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select

from ..extensions import db
from ..models import Backup, Client, Job
from . import clients, documents, jobs
from .errors import BadRequest, Unprocessable
from .scope import Scope

# What "saved stopped" means to the freezer scheduler: it only runs a job on a start event.
STOPPED = {"event": "stop", "status": "stop"}
MAX_CLIENTS = 500


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


def original_path(backup: Backup) -> str:
    """The path the backup was taken from, as its metadata says ("" when it does not)."""
    meta = backup.doc.get("backup_metadata") or {}
    value = meta.get("path_to_backup") or meta.get("fs_real_path") or ""
    return value if isinstance(value, str) else ""


def in_place(backup: Backup, client: Client | None, restore_abs_path: str) -> bool:
    """Whether the restore would write over the backed-up path on the host it came from."""
    original = original_path(backup)
    if client is None or not original or not restore_abs_path:
        return False
    return (client.hostname or "") == (backup.hostname or "") and \
        posixpath.normpath(restore_abs_path) == posixpath.normpath(original)


@dataclass
class Candidate:
    client: Client
    reason: str | None  # why it cannot run this restore; None: it can


def candidates(scope: Scope, backup: Backup, silent_before: datetime | None = None) -> list:
    """Every registered client of the scope (up to MAX_CLIENTS, by hostname), each with why
    it cannot run this backup's restore: it declares no support for the restore's action,
    mode, storage or engine (the rule every job write checks), or its agent has not polled
    since `silent_before` (naive UTC), so nothing would pick the job up. One query."""
    action = restore_action(backup, "/")
    rows = db.session.scalars(select(Client).where(scope.where(Client))
                              .order_by(Client.hostname, Client.pk).limit(MAX_CLIENTS))
    out = []
    for client in rows:
        reason = None
        try:
            clients.check_client_runs(client, [{"freezer_action": action}])
        except (BadRequest, Unprocessable) as error:
            reason = error.description.replace(f"Client {client.client_id} does not",
                                               "does not")
        if reason is None and silent_before is not None and \
                (client.last_seen is None or client.last_seen < silent_before):
            reason = "its agent has not polled recently, so nothing would run the job"
        out.append(Candidate(client, reason))
    return out


def create_restore_job(scope: Scope, backup_id: str, client_id: str, restore_abs_path: str,
                       overwrite: bool = False, silent_before: datetime | None = None) -> Job:
    """The stopped restore job. Refused (422, naming the field): a client that is not one
    of the candidates able to run it; an in-place restore without `overwrite`."""
    backup = documents.get(Backup, scope, backup_id)
    found = next((c for c in candidates(scope, backup, silent_before)
                  if c.client.client_id == client_id), None)
    if found is None:
        raise Unprocessable(f"No registered client {client_id!r} to restore on",
                            errors={"client_id": "pick one of the clients listed"})
    if found.reason:
        raise Unprocessable(f"Client {client_id} cannot run this restore: {found.reason}",
                            errors={"client_id": f"cannot run this restore: {found.reason}"})
    if in_place(backup, found.client, restore_abs_path) and not overwrite:
        raise Unprocessable(
            f"Restoring to {restore_abs_path} on {backup.hostname} overwrites the live data "
            "the backup was taken from", errors={
                "overwrite": f"this restores over the live {restore_abs_path} on "
                             f"{backup.hostname}: tick to confirm, or pick another path"})
    action = restore_action(backup, restore_abs_path)
    body = {"description": f"Restore {backup.backup_name} of {backup.hostname} "
                           f"({action.get('restore_from_date', 'latest')}) to {restore_abs_path}",
            "client_id": client_id,
            "job_actions": [{"freezer_action": action, "max_retries": 1,
                             "max_retries_interval": 30, "mandatory": True}],
            "job_schedule": dict(STOPPED)}
    return jobs.create(scope, body)
