"""Run history: what each execution of a job did, built from what the agent reports.

A job moving to `running` opens a run; its next `result` (success, fail, aborted) or its
move out of `running` closes it. A backup posted with the job's id while a run is open
names it (backups.run_pk, set by the backup's own INSERT: the run's row is not written);
an open run's backups are counted from those, and its close keeps what they were. Times
are the server's clock (the one clock), not the agent's."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, bindparam, delete, func, select

from ..extensions import db
from ..models import Backup, Job, Run
from .. import clock, driver_rows
from ..connection import OwnTransaction
from .notify import outbox

RESULTS = ("success", "fail", "aborted")
SIZE_KEYS = ("backup_size_compressed", "backup_size_uncompressed")  # MB, as agents report


def _schedule(doc) -> dict:
    schedule = doc.get("job_schedule") if isinstance(doc, dict) else None
    return schedule if isinstance(schedule, dict) else {}


#: built once (a job's status PATCH asks when its status or result changes)
_OPEN_RUN = driver_rows.RowSelect(Run, Run.project_id == bindparam("project"),
                                  Run.job_id == bindparam("job"), Run.ended_at.is_(None),
                                  newest=True)


def open_run(project_id: str, job_id: str) -> Run | None:
    return _OPEN_RUN.first({"project": project_id, "job": job_id})


#: the open run's id, read where the backup naming it is then written alone (unlocked.py)
OPEN_RUN_PK = select(Run.pk).where(
    Run.project_id == bindparam("run_project"), Run.job_id == bindparam("run_job"),
    Run.ended_at.is_(None)).order_by(Run.pk.desc()).limit(1)
_OPEN_RUN_PK = OwnTransaction(OPEN_RUN_PK)


def open_run_read(backup_doc: dict, project_id: str) -> tuple | None:
    """The read of the open run a backup about to be posted joins (OPEN_RUN_PK and its
    parameters), for a caller sending it with its own (documents.check_new's `also`); None
    when the backup names no job. A run opened between this read and the backup's INSERT
    is missed, as one opened just after the POST is; one closed in between keeps the count
    it closed with (`_close`): the backup names a run that no longer counts it, as if
    posted just after the close."""
    job_id = _backup_job_id(backup_doc)
    if job_id is None:
        return None
    return OPEN_RUN_PK, {"run_project": project_id, "run_job": job_id}


def run_joined_by(backup_doc: dict, project_id: str) -> int | None:
    """The id of the open run a backup about to be posted joins (open_run_read), or None."""
    read = open_run_read(backup_doc, project_id)
    if read is None:
        return None
    row = _OPEN_RUN_PK.first(read[1])
    return row[0] if row is not None else None


def _backup_job_id(doc) -> str | None:
    meta = (doc or {}).get("backup_metadata") or {}
    job_id = meta.get("job_id") if isinstance(meta, dict) else None
    return job_id if isinstance(job_id, str) and job_id else None


AVERAGE_WEIGHT = 0.3  # how much the newest run moves a job's typical duration


def _close(run: Run, result: str, job: Job | None = None) -> None:
    with db.session.no_autoflush:  # a read: nothing of this request's is flushed by it
        kept = _counted([run.pk])[run.pk]
    for key, value in kept.items():
        setattr(run, key, value)
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


def _counted(run_pks: list[int]) -> dict[int, dict]:
    """The backups of these runs (those naming them) as a run's columns hold them, by run
    id: how many, their sizes summed (None while none reported one), the first
    Run.BACKUPS_LISTED in posting order. Two statements however many runs: the counts
    grouped (covered by ix_backups_run), the lists by their rank in their run."""
    facts = {pk: {"backup_count": 0, "backup_size_compressed": None,
                  "backup_size_uncompressed": None, "backups": []} for pk in run_pks}
    if not run_pks:
        return facts
    for pk, count, compressed, uncompressed in db.session.execute(
            select(Backup.run_pk, func.count(), func.sum(Backup.size_compressed),
                   func.sum(Backup.size_uncompressed))
            .where(Backup.run_pk.in_(run_pks)).group_by(Backup.run_pk)):
        facts[pk].update(backup_count=count, backup_size_compressed=compressed,
                         backup_size_uncompressed=uncompressed)
    listed = [pk for pk in run_pks if facts[pk]["backup_count"]]
    if listed:
        rank = func.row_number().over(partition_by=Backup.run_pk, order_by=Backup.pk)
        ranked = select(Backup.run_pk, Backup.backup_id, Backup.size_compressed,
                        Backup.size_uncompressed, rank.label("rank")) \
            .where(Backup.run_pk.in_(listed)).subquery()
        for pk, backup_id, compressed, uncompressed, _ in db.session.execute(
                select(ranked).where(ranked.c.rank <= Run.BACKUPS_LISTED)
                .order_by(ranked.c.run_pk, ranked.c.rank)):
            facts[pk]["backups"].append({"backup_id": backup_id,
                                         "backup_size_compressed": compressed,
                                         "backup_size_uncompressed": uncompressed})
    return facts


def backup_facts(runs) -> dict[int, dict]:
    """The backups of each of these runs (None among them skipped), by run id: counted from
    the backups naming it while it is open, as its close kept them after (`_counted`'s
    keys)."""
    runs = [run for run in runs if run is not None]
    facts = _counted([run.pk for run in runs if run.ended_at is None])
    for run in runs:
        if run.ended_at is not None:
            facts[run.pk] = {"backup_count": run.backup_count, "backups": list(run.backups or []),
                             **{key: getattr(run, key) for key in SIZE_KEYS}}
    return facts


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


def views(runs: list[Run]) -> list[dict]:
    facts = backup_facts(runs)
    return [view(run, facts) for run in runs]


def view(run: Run | None, facts: dict) -> dict | None:
    """The run as the API shows it; `facts`: backup_facts of it (and of others read with it,
    so an open run's backups are counted in one read for all)."""
    if run is None:
        return None
    facts = facts[run.pk]
    duration = None
    if run.ended_at is not None:
        duration = round((run.ended_at - run.started_at).total_seconds(), 3)
    return {"run_id": run.pk, "job_id": run.job_id, "client_id": run.client_id,
            "state": "running" if run.ended_at is None else "ended",
            "started_at": iso(run.started_at), "ended_at": iso(run.ended_at),
            "duration": duration, "result": run.result,
            "backup_count": facts["backup_count"], "backups": facts["backups"],
            **{key: facts[key] for key in SIZE_KEYS}}


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
