"""Run history: what each execution of a job did, built from what the agent reports.

A job moving to `running` opens a run; its next `result` (success, fail, aborted) or its
move out of `running` closes it. Backups posted with the job's id while a run is open are
attached to it. Times are the server's clock (the one clock), not the agent's."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, bindparam, delete, func, select

from ..extensions import db
from ..models import Job, Run
from .. import clock, driver_rows
from ..connection import session_raw_connection
from ..models.types import dumps
from .errors import WriteRaced
from .notify import outbox

RESULTS = ("success", "fail", "aborted")
SIZE_KEYS = ("backup_size_compressed", "backup_size_uncompressed")  # MB, as agents report


def _schedule(doc) -> dict:
    schedule = doc.get("job_schedule") if isinstance(doc, dict) else None
    return schedule if isinstance(schedule, dict) else {}


#: built once (a job's status PATCH and every backup POST ask): bound project and job
_OPEN_RUN = {lock: driver_rows.RowSelect(Run, Run.project_id == bindparam("project"),
                                         Run.job_id == bindparam("job"), Run.ended_at.is_(None),
                                         for_update=lock, newest=True)
             for lock in (False, True)}


def open_run(project_id: str, job_id: str, for_update: bool = False) -> Run | None:
    return _OPEN_RUN[for_update].first({"project": project_id, "job": job_id})


#: the same, read where a backup that joins no run is then written alone (unlocked.py)
_OPEN_RUN_UNLOCKED = driver_rows.RowSelect(Run, Run.project_id == bindparam("project"),
                                           Run.job_id == bindparam("job"),
                                           Run.ended_at.is_(None), newest=True,
                                           own_transaction=True)


def run_joined_by(backup_doc: dict, project_id: str) -> dict | None:
    """The open run a backup about to be posted joins (its row's values, read without a
    lock), or None. A run opened between this read and the backup's INSERT is missed, as
    one opened just after the POST is."""
    job_id = _backup_job_id(backup_doc)
    if job_id is None:
        return None
    return _OPEN_RUN_UNLOCKED.values({"project": project_id, "job": job_id})


def _backup_job_id(doc) -> str | None:
    meta = (doc or {}).get("backup_metadata") or {}
    job_id = meta.get("job_id") if isinstance(meta, dict) else None
    return job_id if isinstance(job_id, str) and job_id else None


AVERAGE_WEIGHT = 0.3  # how much the newest run moves a job's typical duration


def _close(run: Run, result: str, job: Job | None = None) -> None:
    run.ended_at = clock.utcnow()
    run.result = result
    if job is not None:
        _remember_outcome(job, run)


def _remember_outcome(job: Job, run: Run) -> None:
    """Keep the job's indexed facts (what the watcher reads instead of run history) and
    write the outbox event of a run that failed, or that succeeded after failures."""
    job.run_started_at = None
    if run.result not in RESULTS:
        return
    seconds = max(0.0, (run.ended_at - run.started_at).total_seconds())
    job.avg_duration = seconds if job.avg_duration is None else \
        (1 - AVERAGE_WEIGHT) * job.avg_duration + AVERAGE_WEIGHT * seconds
    failing = job.last_failure_at is not None and \
        (job.last_success_at is None or job.last_success_at <= job.last_failure_at)
    if run.result == "success":
        job.last_success_at = run.ended_at
        if not failing:
            return  # nothing to recover from: no event per ordinary success
    else:
        job.last_failure_at = run.ended_at
    outbox.emit(job, outbox.RUN_ENDED, run.result, run_id=run.pk, client_id=run.client_id,
                duration=round(seconds, 3))


def changes_run(old_doc, new_doc) -> bool:
    """Whether a job's write from `old_doc` to `new_doc` may open or close a run: only a
    change of its status or result does."""
    old, new = _schedule(old_doc), _schedule(new_doc)
    return old.get("status") != new.get("status") or old.get("result") != new.get("result")


def record_change(job, old_doc, new_doc) -> None:
    """The hook every job write calls with the job (its row, or an unlocked Draft) and its
    stored and new documents, before it writes: what changes here (a run opened or closed, the job's run facts) is flushed
    with that write. Runs only when status or result changed, so the agent's repeated
    whole-document PATCHes (current_pid, ...) cost nothing here."""
    if not changes_run(old_doc, new_doc):
        return
    old, new = _schedule(old_doc), _schedule(new_doc)
    old_status, new_status = old.get("status"), new.get("status")
    old_result, new_result = old.get("result"), new.get("result")
    # The job's writes are already serialised, by its row lock (the locked writers) or its
    # version (a PATCH: services/unlocked.py refuses a write from a stale read); a second
    # lock on runs (a gap lock under InnoDB) only made concurrent PATCHes deadlock.
    current = open_run(job.project_id, job.job_id)
    if new_status == "running" and old_status != "running":
        if current is not None:  # the agent restarted mid-run: that run never reported
            _close(current, "", job)
        client_id = new_doc.get("client_id") if isinstance(new_doc, dict) else None
        db.session.add(Run(user_id=job.user_id, project_id=job.project_id, job_id=job.job_id,
                           started_at=clock.utcnow(),
                           client_id=client_id if isinstance(client_id, str) else None,
                           backup_count=0, backups=[]))
        if job is not None:
            job.run_started_at = clock.utcnow()
    elif current is not None:
        if new_result in RESULTS and new_result != old_result:
            _close(current, new_result, job)
        elif new_status != "running":
            _close(current, new_result if new_result in RESULTS else "", job)


def _size(meta: dict, key: str):
    value = meta.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def attach_backup(backup) -> None:
    """A backup posted with `job_id` while that job has an open run joins the run, under
    the run's lock (in a request replayed after a lost race: backups.py)."""
    job_id = _backup_job_id(backup.doc)
    run = open_run(backup.project_id, job_id, for_update=True) if job_id else None
    if run is not None:
        for key, value in _joined(vars(run), backup).items():
            setattr(run, key, value)
        driver_rows.flush()


def attach_unlocked(backup, run: dict) -> None:
    """The backup joins the run read by run_joined_by, by one UPDATE in the request's
    transaction, conditional on what was read (its backup count, still open): another
    backup joining meanwhile, or the run closing, makes it match nothing, and the request
    is replayed (WriteRaced), the replay taking the run's lock (attach_backup)."""
    values = _joined(run, backup)
    if "backups" in values:
        values["backups"] = dumps(values["backups"])  # as JSONText stores it
    if not driver_rows.update_if(session_raw_connection(), Run, run["pk"], values,
                                 {"backup_count": run["backup_count"], "ended_at": None}):
        raise WriteRaced(f"The run of job {run['job_id']} changed while this backup joined "
                         "it; nothing was changed. Retry.")


def _joined(run: dict, backup) -> dict:
    """What a run's columns become when `backup` joins it: counted, its sizes summed, and
    listed while the list is shorter than Run.BACKUPS_LISTED (the row stays bounded)."""
    meta = backup.doc.get("backup_metadata") or {}
    entry = {"backup_id": backup.backup_id}
    entry.update({key: _size(meta, key) for key in SIZE_KEYS})
    values = {"backup_count": (run["backup_count"] or 0) + 1}
    for key in SIZE_KEYS:
        if entry[key] is not None:
            values[key] = (run[key] or 0) + entry[key]
    if len(run["backups"] or []) < Run.BACKUPS_LISTED:
        values["backups"] = list(run["backups"] or []) + [entry]
    return values


# --- reading -----------------------------------------------------------------------------

# A run belongs to its job: (project_id, job_id), ids being unique per project.

def list_runs(project_id: str, job_id: str, limit: int, before: int | None = None) -> list[Run]:
    """The job's runs, newest first; with `before`, only runs older than that run id (a
    range on the index (project_id, job_id, pk): pages never repeat nor skip a run)."""
    stmt = select(Run).where(Run.project_id == project_id, Run.job_id == job_id)
    if before is not None:
        stmt = stmt.where(Run.pk < before)
    return list(db.session.scalars(stmt.order_by(Run.pk.desc()).limit(limit)))


def runs_page(project_id: str, job_id: str, limit: int, before: int | None = None):
    """(up to `limit` runs, the `before` of the next page or None when this is the last)."""
    page = list_runs(project_id, job_id, limit + 1, before)
    return page[:limit], (page[limit - 1].pk if len(page) > limit else None)


def last_run(project_id: str, job_id: str) -> Run | None:
    runs = list_runs(project_id, job_id, 1)
    return runs[0] if runs else None


def last_runs(project_id: str, job_ids: list[str]) -> dict[str, Run]:
    """The newest run of each of these jobs, in one query."""
    if not job_ids:
        return {}
    newest = (select(func.max(Run.pk)).where(Run.project_id == project_id,
                                             Run.job_id.in_(job_ids))
              .group_by(Run.job_id))
    return {run.job_id: run for run in db.session.scalars(select(Run).where(Run.pk.in_(newest)))}


def last_success(project_id: str, job_id: str) -> Run | None:
    stmt = (select(Run).where(Run.project_id == project_id, Run.job_id == job_id,
                              Run.result == "success")
            .order_by(Run.pk.desc()).limit(1))
    return db.session.scalars(stmt).first()


def iso(value: datetime | None) -> str | None:
    """Stored times are naive UTC; answer them as ISO 8601 with a Z."""
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")


def view(run: Run | None) -> dict | None:
    if run is None:
        return None
    backups = list(run.backups or [])
    duration = None
    if run.ended_at is not None:
        duration = round((run.ended_at - run.started_at).total_seconds(), 3)
    return {"run_id": run.pk, "job_id": run.job_id, "client_id": run.client_id,
            "state": "running" if run.ended_at is None else "ended",
            "started_at": iso(run.started_at), "ended_at": iso(run.ended_at),
            "duration": duration, "result": run.result,
            "backup_count": run.backup_count, "backups": backups,
            **{key: getattr(run, key) for key in SIZE_KEYS}}


# --- retention ---------------------------------------------------------------------------

def prune(keep_last: int = 0, keep_days: int = 0, now: datetime | None = None) -> int:
    """Delete ended runs beyond the last `keep_last` of their job AND older than
    `keep_days` days (a limit of 0 is not applied), and runs whose job is gone.
    Open runs are kept. Returns how many were deleted."""
    now = now or clock.utcnow()
    ranked = select(Run.pk, Run.started_at, Run.ended_at,
                    func.row_number().over(partition_by=(Run.project_id, Run.job_id),
                                           order_by=Run.pk.desc()).label("position")).subquery()
    doomed = []
    if keep_last or keep_days:
        conditions = [ranked.c.ended_at.is_not(None)]
        if keep_last:
            conditions.append(ranked.c.position > keep_last)
        if keep_days:
            conditions.append(ranked.c.started_at < now - timedelta(days=keep_days))
        doomed += db.session.scalars(select(ranked.c.pk).where(and_(*conditions))).all()
    orphan = ~select(Job.pk).where(Job.project_id == Run.project_id,
                                   Job.job_id == Run.job_id).exists()
    doomed += db.session.scalars(select(Run.pk).where(orphan)).all()
    doomed = sorted(set(doomed))
    for start in range(0, len(doomed), 1000):
        db.session.execute(delete(Run).where(Run.pk.in_(doomed[start:start + 1000])))
    db.session.flush()
    return len(doomed)
