"""The dashboard's read side: filtered, sorted, paged queries on indexed columns. Every
query is scoped to one owner and fetches one page (plus one row, to know whether there is
a next page), never a whole table, so a page costs the same at 1,000 or 20,000 jobs."""
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import func, select

from ..extensions import db
from ..models import Action, Backup, Client, Job, Session
from .. import clock
from ..services import search as search_dsl
from ..services.scope import Scope


@dataclass
class Page:
    items: list
    limit: int
    offset: int
    has_next: bool
    extra: dict = field(default_factory=dict)

    @property
    def has_prev(self) -> bool:
        return self.offset > 0

    @property
    def next_offset(self) -> int:
        return self.offset + self.limit

    @property
    def prev_offset(self) -> int:
        return max(0, self.offset - self.limit)


def _page(stmt, limit: int, offset: int) -> Page:
    rows = list(db.session.scalars(stmt.limit(limit + 1).offset(offset)))
    return Page(rows[:limit], limit, offset, len(rows) > limit)


def _search(filters: dict, text: str | None = None) -> search_dsl.Search:
    search = search_dsl.Search()
    search.match = [(k, v) for k, v in filters.items() if v not in (None, "")]
    if text:
        search.text.append(text)
    return search


def _ordered(stmt, model, sort: str):
    return stmt.order_by(model.pk.asc() if sort == "oldest" else model.pk.desc())


# --- jobs ---------------------------------------------------------------------------------

JOB_FILTERS = ("status", "result", "event", "client_id", "session_id")


def jobs_page(scope: Scope, args: dict, limit: int, offset: int) -> Page:
    filters = {k: args.get(k) for k in JOB_FILTERS}
    # "" is a real status (never started): the URL spells it "none"
    if filters.get("status") == "none":
        filters["status"] = ""
    stmt = search_dsl.apply(select(Job).where(scope.where(Job)), Job,
                            _search(filters, args.get("q")))
    if str(args.get("stale", "")).isdigit():
        stmt = stmt.where(_stale_clause(scope, int(args["stale"])))
    if str(args.get("failed_within", "")).isdigit():
        stmt = stmt.where(Job.job_id.in_(_failed_job_ids(scope, int(args["failed_within"]))))
    return _page(_ordered(stmt, Job, args.get("sort")), limit, offset)


def count_jobs(scope: Scope, **where) -> int:
    stmt = select(func.count()).select_from(Job).where(scope.where(Job))
    for key, value in where.items():
        column = getattr(Job, key)
        stmt = stmt.where(column.in_(value) if isinstance(value, (list, tuple)) else column == value)
    return db.session.scalar(stmt)


def _failed_job_ids(scope: Scope, hours: int):
    """Jobs with a run that failed and started in the last `hours` (an index range on
    runs.started_at: costs what the last day holds, not the whole history)."""
    from ..models.run import Run
    since = clock.utcnow() - timedelta(hours=hours)
    return select(Run.job_id).where(Run.started_at >= since, scope.where(Run),
                                    Run.result == "fail").distinct()


def failed_jobs_since(scope: Scope, hours: int, limit: int = 10):
    ids = _failed_job_ids(scope, hours)
    count = db.session.scalar(select(func.count()).select_from(ids.subquery()))
    rows = list(db.session.scalars(select(Job).where(scope.where(Job),
                                                     Job.job_id.in_(ids))
                                   .order_by(Job.pk.desc()).limit(limit)))
    return count, rows


def jobs_for_client(scope: Scope, client_id: str, limit: int, offset: int) -> Page:
    stmt = select(Job).where(scope.where(Job), Job.client_id == client_id)
    return _page(stmt.order_by(Job.pk.desc()), limit, offset)


def jobs_in_session(scope: Scope, session_id: str) -> dict:
    rows = db.session.scalars(select(Job).where(scope.where(Job),
                                                Job.session_id == session_id).limit(500))
    return {row.job_id: row for row in rows}


def jobs_by_id(scope: Scope, job_ids) -> dict:
    job_ids = list(job_ids)[:500]
    if not job_ids:
        return {}
    rows = db.session.scalars(select(Job).where(scope.where(Job), Job.job_id.in_(job_ids)))
    return {row.job_id: row for row in rows}


def all_sessions(scope: Scope, limit: int = 200) -> list:
    """The sessions a selection of jobs may be added to (the jobs list's bulk bar)."""
    return list(db.session.scalars(select(Session).where(scope.where(Session))
                                   .order_by(Session.pk.desc()).limit(limit)))


# --- backups ------------------------------------------------------------------------------

def backups_page(scope: Scope, args: dict, limit: int, offset: int) -> Page:
    """Newest first (index user_id/project_id, time_stamp); the page is then grouped by backup set."""
    stmt = select(Backup).where(scope.where(Backup))
    for key, column in (("hostname", Backup.hostname), ("backup_name", Backup.backup_name),
                        ("container", Backup.container), ("job_id", Backup.job_id)):
        if args.get(key):
            stmt = stmt.where(column == args[key])
    if args.get("level") not in (None, ""):
        stmt = stmt.where(Backup.level == int(args["level"]))
    if args.get("after") is not None:
        stmt = stmt.where(Backup.time_stamp >= args["after"])
    if args.get("before") is not None:
        stmt = stmt.where(Backup.time_stamp <= args["before"])
    if args.get("sort") == "oldest":
        stmt = stmt.order_by(Backup.time_stamp.asc(), Backup.pk.asc())
    else:
        stmt = stmt.order_by(Backup.time_stamp.desc(), Backup.pk.desc())
    return _page(stmt, limit, offset)


def group_by_set(rows) -> list[dict]:
    """Rows of one page grouped by backup set (container, host, name), in page order; each
    group's level chain runs oldest to newest."""
    groups: dict[tuple, dict] = {}
    for row in rows:
        key = (row.container, row.hostname, row.backup_name)
        group = groups.setdefault(key, {"container": key[0], "hostname": key[1],
                                        "backup_name": key[2], "backups": []})
        group["backups"].append(row)
    for group in groups.values():
        group["chain"] = sorted(group["backups"], key=lambda b: (b.time_stamp or 0, b.pk))
    return list(groups.values())


def last_backup_by_host(scope: Scope, hostnames) -> dict:
    hostnames = [h for h in hostnames if h]
    if not hostnames:
        return {}
    stmt = (select(Backup.hostname, func.max(Backup.time_stamp))
            .where(scope.where(Backup), Backup.hostname.in_(hostnames))
            .group_by(Backup.hostname))
    return dict(db.session.execute(stmt).all())


# --- clients, actions, sessions -----------------------------------------------------------

def clients_page(scope: Scope, args: dict, limit: int, offset: int) -> Page:
    stmt = select(Client).where(scope.where(Client))
    if args.get("q"):
        stmt = stmt.where(Client.hostname.contains(args["q"]) | Client.client_id.contains(args["q"]))
    if args.get("silent"):
        stmt = stmt.where(Client.last_seen < silent_since(int(args["silent"])))
    if args.get("sort") == "last_seen":
        stmt = stmt.order_by(Client.last_seen.asc(), Client.pk)
    else:
        stmt = stmt.order_by(Client.hostname, Client.pk)
    return _page(stmt, limit, offset)


def silent_since(minutes: int):
    return clock.utcnow() - timedelta(minutes=minutes)


def count_silent_clients(scope: Scope, minutes: int) -> int:
    return db.session.scalar(select(func.count()).select_from(Client).where(
        scope.where(Client), Client.last_seen < silent_since(minutes)))


def job_counts(scope: Scope, client_ids) -> dict:
    client_ids = [c for c in client_ids if c]
    if not client_ids:
        return {}
    stmt = (select(Job.client_id, func.count()).where(scope.where(Job),
                                                      Job.client_id.in_(client_ids))
            .group_by(Job.client_id))
    return dict(db.session.execute(stmt).all())


def all_clients(scope: Scope, limit: int = 500) -> list:
    return list(db.session.scalars(select(Client).where(scope.where(Client))
                                   .order_by(Client.hostname, Client.pk).limit(limit)))


def actions_page(scope: Scope, args: dict, limit: int, offset: int) -> Page:
    """The library: entries operators put there, not the copies of jobs' actions."""
    stmt = search_dsl.apply(select(Action).where(scope.where(Action), Action.in_library),
                            Action, _search({}, args.get("q")))
    return _page(_ordered(stmt, Action, args.get("sort") or "newest"), limit, offset)


def library(scope: Scope, limit: int = 500) -> list:
    return list(db.session.scalars(select(Action).where(scope.where(Action), Action.in_library)
                                   .order_by(Action.pk.desc()).limit(limit)))


def sessions_by_id(scope: Scope, session_ids) -> dict:
    session_ids = sorted(session_ids)[:500]
    if not session_ids:
        return {}
    rows = db.session.scalars(select(Session).where(scope.where(Session),
                                                    Session.session_id.in_(session_ids)))
    return {row.session_id: row for row in rows}


def sessions_page(scope: Scope, args: dict, limit: int, offset: int) -> Page:
    stmt = select(Session).where(scope.where(Session))
    if args.get("status"):
        stmt = stmt.where(Session.status == args["status"])
    return _page(_ordered(stmt, Session, args.get("sort")), limit, offset)


# --- overview -----------------------------------------------------------------------------

def _stale_clause(scope: Scope, hours: int):
    """Jobs meant to run (not stopped, removed or waiting on a stop) without a successful run
    that ended in the last `hours`: jobs.last_success_at, which runs.record_change keeps as
    each run closes (an index range on (project_id, last_success_at), instead of one probe
    on runs per job). A job younger than the window counts too: one that only ever failed,
    or never ran, has not succeeded, and the overview says every other job has."""
    from sqlalchemy import and_, or_

    since = clock.utcnow() - timedelta(hours=hours)
    meant_to_run = and_(or_(Job.status.is_(None), Job.status.not_in(("stop", "removed"))),
                        or_(Job.event.is_(None), Job.event.not_in(("stop", "remove"))))
    return and_(meant_to_run, or_(Job.last_success_at.is_(None), Job.last_success_at < since))


def stale_jobs(scope: Scope, hours: int, limit: int = 10):
    base = select(Job).where(scope.where(Job), _stale_clause(scope, hours))
    count = db.session.scalar(select(func.count()).select_from(base.subquery()))
    return count, list(db.session.scalars(base.order_by(Job.pk.desc()).limit(limit)))


def count_awaiting_poll(scope: Scope) -> int:
    """Interval jobs that first run when their agent next polls (forecast.DUE_NOW): the
    forecast lists no time for them (an index probe on (owner, next_run_at))."""
    from ..services.forecast import DUE_NOW
    return db.session.scalar(select(func.count()).select_from(Job).where(
        scope.where(Job), Job.next_run_at == DUE_NOW))


def running_jobs(scope: Scope, limit: int = 10):
    return list(db.session.scalars(select(Job).where(scope.where(Job),
                                                     Job.status == "running")
                                   .order_by(Job.pk.desc()).limit(limit)))


def silent_clients(scope: Scope, minutes: int, limit: int = 10):
    return list(db.session.scalars(select(Client).where(
        scope.where(Client), Client.last_seen < silent_since(minutes))
        .order_by(Client.last_seen.asc()).limit(limit)))
