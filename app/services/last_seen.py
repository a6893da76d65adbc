"""Silent agents: when each client last registered or polled its jobs, and its status.

`last_seen` is a column beside the client document, never inside it: agents read their
client document back (DECISIONS.md, Clients)."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from ..extensions import db
from ..models import Backup, Client, Job
from .. import clock
from . import documents, runs
from .scope import Scope

# A poll moves last_seen at most this often per client: agents poll every few seconds.
RESOLUTION = timedelta(seconds=60)
MAX_JOBS = 1000


def polled_client_id(search) -> str | None:
    """The client an agent's poll is for: its `match` on client_id (body or query)."""
    for key, value in search.match:
        if key == "client_id" and isinstance(value, str) and value:
            return value
    return None


def _due() -> dict:
    """Per worker: (scope, client) -> when its last_seen may next need a write. Until then
    a poll reads nothing (a registration writes last_seen itself)."""
    due = current_app.extensions.setdefault("freezer_last_seen_due", {})
    if len(due) > 100_000:
        due.clear()
    return due


def touch(scope: Scope, client_id: str) -> bool:
    """Record that the client was heard from. Reads first, and writes only when the stored
    time is a minute old, with a conditional UPDATE in its own short transaction: polling
    never turns into one write per poll, and two workers cannot both write (the WHERE
    re-checks). A worker that has read or written the time knows when it is next due and
    reads nothing before. Returns whether it wrote."""
    now = clock.utcnow()
    key = (scope.user_id, scope.project_id, scope.per_project, client_id)
    due = _due()
    if key in due and now < due[key]:
        return False
    cutoff = now - RESOLUTION
    stmt = select(Client.last_seen).where(scope.where(Client), Client.client_id == client_id)
    seen = db.session.execute(stmt).first()
    if seen is None or (seen[0] is not None and seen[0] >= cutoff):
        # not registered (registering writes it), or seen within the last minute
        due[key] = now + RESOLUTION if seen is None else seen[0] + RESOLUTION
        return False
    due[key] = now + RESOLUTION
    with db.engine.begin() as connection:
        written = connection.execute(
            update(Client)
            .where(scope.where(Client), Client.client_id == client_id,
                   or_(Client.last_seen.is_(None), Client.last_seen < cutoff))
            # the document did not change: keep updated_at (its onupdate would bump it)
            .values(last_seen=now, updated_at=Client.updated_at))
    return written.rowcount > 0


def _backup_view(row: Backup | None) -> dict | None:
    if row is None:
        return None
    meta = row.doc.get("backup_metadata") or {}
    return {"backup_id": row.backup_id, "backup_name": row.backup_name,
            "time_stamp": row.time_stamp, "level": row.level, "job_id": row.job_id,
            **{key: meta.get(key) for key in runs.SIZE_KEYS if key in meta}}


def status(scope: Scope, client_id: str, now: datetime | None = None) -> dict:
    """A client's last_seen, its jobs (with their last run) and its last backup."""
    client = documents.get(Client, scope, client_id)
    now = now or clock.utcnow()
    jobs = list(db.session.scalars(
        select(Job).where(scope.where(Job), Job.client_id == client_id)
        .order_by(Job.pk).limit(MAX_JOBS + 1)))
    hostname = client.hostname
    # Agents post backups under their hostname; jobs tie them to the client exactly.
    job_ids = [job.job_id for job in jobs[:MAX_JOBS]]
    clauses = [Backup.job_id.in_(job_ids)] if job_ids else []
    if hostname:
        clauses.append(Backup.hostname == hostname)
    last_backup = None
    if clauses:
        last_backup = db.session.scalars(
            select(Backup).where(scope.where(Backup), or_(*clauses))
            .order_by(Backup.time_stamp.desc(), Backup.pk.desc()).limit(1)).first()
    last_runs = runs.last_runs(client.project_id, job_ids)
    facts = runs.backup_facts(last_runs.values())
    seconds = None
    if client.last_seen is not None:
        seconds = max(0, int((now - client.last_seen).total_seconds()))
    return {
        "client_id": client.client_id,
        "hostname": hostname,
        "last_seen": runs.iso(client.last_seen),
        "seconds_since_seen": seconds,
        "jobs": [{"job_id": job.job_id, "description": job.doc.get("description", ""),
                  "status": job.status or "", "event": job.event or "",
                  "result": job.result or "",
                  "last_run": runs.view(last_runs.get(job.job_id), facts)}
                 for job in jobs[:MAX_JOBS]],
        "jobs_truncated": len(jobs) > MAX_JOBS,
        "last_backup": _backup_view(last_backup),
    }
