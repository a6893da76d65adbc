"""Sessions (freezer-v1.md §8, DECISIONS.md "Sessions"): groups of jobs whose agents start
them in the same round.

Atomicity: start and end (what agents send every round) read the session without a lock
and write it only if it is still at the version read (services/unlocked.py); every other
operation that reads and then writes a session takes the session's row lock before
reading it (`documents.get(..., for_update=True)`: SELECT ... FOR UPDATE on
MySQL; on SQLite the writing request already holds the write lock, see app/db.py). When a
job is involved too, locks are always taken sessions first (in primary-key order), then the
job, so two requests can never wait for each other in a cycle.

Membership (`jobs` of a session <-> `session_id` of a job) changes only through
add_job/remove_job/delete and job deletion, so a session never lists a job that no longer
exists and a job is listed by at most the one session it names.
"""
import copy
import re
import uuid

from sqlalchemy import Text, delete as sql_delete, select, type_coerce

from ..extensions import db
from ..models import Job, Session, SessionRound
from .. import audit, clock, driver_rows
from . import documents, ids, schedules, unlocked
from .errors import BadRequest, MethodNotAllowed, NotFound
from .merge import deep_merge
from .notify import outbox
from .schemas import JOB_RESULTS, SESSION, SESSION_PATCH
from .scope import Scope
from .validation import body_copy, discard, validate

ACTIONS = ("start", "end")
END_RESULTS = tuple(r for r in JOB_RESULTS if r)  # success, fail, aborted
DEFAULT_HOLD_OFF = 30           # on creation (DECISIONS.md)
HOLD_OFF_IF_ABSENT = 60         # what §8.9 assumes for a stored session without the key
_IGNORED_KEYS = ("session_id", "user_id", "_version")
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")

# What a session document always carries (the 18.0.0 server answers -1 for unset times).
_DEFAULTS = {"session_tag": 0, "status": "active", "result": "", "hold_off": DEFAULT_HOLD_OFF,
             "time_start": -1, "time_end": -1, "time_started": -1, "time_ended": -1}


# --- documents ---------------------------------------------------------------------------

def _object(body, what: str, required: bool) -> dict:
    return body_copy(body, what, required)


def _checked_entries(jobs, members: dict) -> dict:
    """`jobs` given in a replace or patch may edit the entries of member jobs, never add
    one: a session must not list a job that does not name it (or does not exist)."""
    if jobs is None:
        return {}
    strangers = [job_id for job_id in jobs if job_id not in members]
    if strangers:
        raise BadRequest(f"Job {strangers[0]} is not in this session; add jobs with "
                         "PUT /v1/sessions/{session_id}/jobs/{job_id}",
                         errors={f"jobs.{strangers[0]}": "not a job of this session"})
    for job_id, entry in jobs.items():
        if not isinstance(entry, dict):
            raise BadRequest(f"jobs.{job_id} must be an object",
                             errors={f"jobs.{job_id}": "must be an object"})
    return jobs


def create(scope: Scope, body) -> Session:
    """POST /v1/sessions (§8.2): the server chooses the id; `jobs` starts as an object."""
    doc = _object(body, "session", required=True)
    discard(SESSION, doc, _IGNORED_KEYS)
    doc["session_id"] = uuid.uuid4().hex
    doc["user_id"] = scope.user_id
    doc["session_tag"] = doc.get("session_tag") or 0
    for key in ("status", "result", "time_start", "time_end"):  # the server's to maintain
        doc[key] = _DEFAULTS[key]
    doc["jobs"] = {}
    for key, value in _DEFAULTS.items():
        doc.setdefault(key, value)
    if doc["hold_off"] is None:
        doc["hold_off"] = DEFAULT_HOLD_OFF
    validate(SESSION, doc)
    schedules.validate_schedule(doc.get("schedule"), field="schedule")
    row = documents.new(Session, scope, doc)
    audit.record("session.create", row.session_id, owner=scope.user_id, project=scope.project_id)
    return row


def replace(scope: Scope, session_id: str, body, if_match=None) -> Session:
    """POST /v1/sessions/{id} (§8.5): create or overwrite, keeping the membership."""
    doc = _object(body, "session", required=True)
    discard(SESSION, doc, _IGNORED_KEYS)
    doc["session_id"] = session_id
    doc["user_id"] = scope.user_id
    validate(SESSION, doc)
    schedules.validate_schedule(doc.get("schedule"), field="schedule")
    row = documents.find(Session, scope, session_id, for_update=True)
    documents.check_if_match(row, if_match, Session)
    members = (row.doc.get("jobs") or {}) if row is not None else {}
    if not isinstance(members, dict):
        members = {}
    given = _checked_entries(doc.get("jobs"), members)
    doc["jobs"] = {job_id: given.get(job_id, entry) for job_id, entry in members.items()}
    for key, value in _DEFAULTS.items():
        doc.setdefault(key, value)
    audit.record("session.replace", session_id, owner=scope.user_id, project=scope.project_id, created=row is None)
    if row is None:
        return documents.new(Session, scope, doc)
    return documents.write(row, doc)


def patch(scope: Scope, session_id: str, body, if_match=None) -> Session:
    """PATCH /v1/sessions/{id} (§8.4): recursive merge; `jobs` merges per job and field."""
    changes = _object(body, "session patch", required=False)
    discard(SESSION, changes, _IGNORED_KEYS)
    validate(SESSION_PATCH, changes)
    row = documents.get(Session, scope, session_id, for_update=True)
    documents.check_if_match(row, if_match)
    if "jobs" in changes:
        _checked_entries(changes["jobs"], row.doc.get("jobs") or {})
    merged = deep_merge(row.doc, changes)
    # like jobs: re-check only a schedule this write changes, so old stored ones stay writable
    if schedules.changed(row.doc.get("schedule"), merged.get("schedule")):
        schedules.validate_schedule(merged.get("schedule"), field="schedule")
    audit.record("session.patch", session_id, owner=scope.user_id, project=scope.project_id, fields=sorted(changes))
    return documents.write(row, merged)


def delete(scope: Scope, session_id: str, if_match=None) -> None:
    """DELETE /v1/sessions/{id}: its jobs are detached (their session_id emptied) rather
    than left naming a session that no longer exists; they keep running on their own."""
    row = documents.get(Session, scope, session_id, for_update=True)
    documents.check_if_match(row, if_match)
    members = db.session.scalars(
        documents.locked(select(Job).where(scope.where(Job), Job.session_id == session_id)
                         .order_by(Job.pk))).all()
    for job in members:
        documents.write(job, deep_merge(job.doc, {"session_id": "", "session_tag": 0}))
    db.session.execute(sql_delete(SessionRound).where(SessionRound.project_id == row.project_id,
                                                      SessionRound.session_id == session_id))
    db.session.delete(row)
    db.session.flush()


# --- membership ----------------------------------------------------------------------------

def _listing_sessions(scope: Scope, job_id: str) -> set[str]:
    """Ids of the caller's sessions that (may) list the job, read without locks: the
    candidates to lock. Over-approximates (text match); callers re-check after locking."""
    rows = db.session.execute(
        select(Session.session_id, Session.doc)
        .where(scope.where(Session), type_coerce(Session.doc, Text).contains(f'"{job_id}"', autoescape=True)))
    return {sid for sid, doc in rows if job_id in ((doc or {}).get("jobs") or {})}


def _job_session_id(scope: Scope, job_id: str) -> str | None:
    return db.session.scalar(select(Job.session_id).where(scope.where(Job),
                                                         Job.job_id == job_id))


def _lock_sessions(scope: Scope, session_ids) -> dict[str, Session]:
    """Row-lock the named sessions in primary-key order (the one lock order)."""
    if not session_ids:
        return {}
    rows = db.session.scalars(
        documents.locked(select(Session).where(scope.where(Session),
                                               Session.session_id.in_(sorted(session_ids)))
                         .order_by(Session.pk))).all()
    return {row.session_id: row for row in rows}


def _lock_job(scope: Scope, job_id: str, sessions: dict[str, Session]):
    """Lock the job after the sessions; also lock the session it names if a concurrent
    add moved it there after we looked (out of order, rare: a deadlock is retried)."""
    job = documents.find(Job, scope, job_id, for_update=True)
    named = (job.doc.get("session_id") if job is not None else None) or ""
    if named and named not in sessions:
        sessions.update(_lock_sessions(scope, [named]))
    return job


def _drop_entry(session: Session, job_id: str) -> bool:
    jobs = session.doc.get("jobs")
    if not isinstance(jobs, dict) or job_id not in jobs:
        return False
    doc = copy.deepcopy(session.doc)
    del doc["jobs"][job_id]
    documents.write(session, doc)  # a full write: a merge could not delete the key
    return True


def _entry(job: Job) -> dict:
    """A job's entry in a session (§8.7): absent schedule values fall back to ""."""
    schedule = job.doc.get("job_schedule") or {}
    entry = {"client_id": job.doc.get("client_id", "")}
    for key in ("status", "result", "time_started", "time_ended"):
        entry[key] = schedule.get(key, "")
    return entry


def add_job(scope: Scope, session_id: str, job_id: str, if_match=None,
            replace_schedule: bool = False) -> Job:
    """PUT /v1/sessions/{sid}/jobs/{jid} (§8.7): the session lists the job; the job takes
    the session's id, tag and schedule. A job moved from another session leaves it.

    On the wire the session's schedule keys are merged into the job's (§8.7), so a job's
    own other keys stay (its interval wins over the session's cron). The dashboard passes
    `replace_schedule`: the job's schedule becomes exactly the session's."""
    others = _listing_sessions(scope, job_id) | {_job_session_id(scope, job_id) or ""}
    others.discard("")
    others.discard(session_id)
    sessions = _lock_sessions(scope, others | {session_id})
    session = sessions.get(session_id)
    if session is None:
        raise NotFound(f"No session found with ID {session_id}")
    job = _lock_job(scope, job_id, sessions)
    if job is None:
        raise NotFound(f"No job found with ID {job_id}")
    documents.check_if_match(session, if_match)  # the session's version, the route's first id
    for other_id, other in sessions.items():
        if other_id != session_id:
            _drop_entry(other, job_id)
    doc = copy.deepcopy(session.doc)
    if not isinstance(doc.get("jobs"), dict):
        doc["jobs"] = {}
    doc["jobs"][job_id] = _entry(job)
    documents.write(session, doc)
    schedule = doc.get("schedule") if isinstance(doc.get("schedule"), dict) else {}
    joined = deep_merge(job.doc, {"session_id": session_id,
                                  "session_tag": _int(doc.get("session_tag"), 0),
                                  "job_schedule": schedule})
    if replace_schedule:
        joined["job_schedule"] = schedules.replaced(job.doc.get("job_schedule"), schedule)
    documents.write(job, joined)
    audit.record("session.add-job", session_id, owner=scope.user_id, project=scope.project_id, job=job_id)
    return job


def edit(scope: Scope, session_id: str, changes: dict, if_match=None) -> Session:
    """The dashboard's session editor: description, hold-off and schedule replaced (not
    merged: a new cron must not keep an old interval), under If-Match; every member job's
    schedule becomes the new one, so the session's schedule stays what its jobs follow.
    Locks: the session, then its jobs in primary-key order."""
    row = documents.get(Session, scope, session_id, for_update=True)
    documents.check_if_match(row, if_match)
    doc = copy.deepcopy(row.doc)
    doc.update(changes)
    replace(scope, session_id, doc)  # validates; keeps the membership
    schedule = row.doc.get("schedule") if isinstance(row.doc.get("schedule"), dict) else {}
    members = db.session.scalars(
        documents.locked(select(Job).where(scope.where(Job), Job.session_id == session_id)
                         .order_by(Job.pk))).all()
    for job in members:
        if (job.doc.get("job_schedule") or {}) != schedules.replaced(
                job.doc.get("job_schedule"), schedule):
            documents.write(job, {**job.doc, "job_schedule": schedules.replaced(
                job.doc.get("job_schedule"), schedule)})
    return row


def remove_job(scope: Scope, session_id: str, job_id: str, if_match=None) -> None:
    """DELETE /v1/sessions/{sid}/jobs/{jid} (§8.8): the session forgets the job and the job
    is stopped and detached. Idempotent (python-freezerclient retries it until 204)."""
    sessions = _lock_sessions(scope, [session_id])
    session = sessions.get(session_id)
    if session is None:
        raise NotFound(f"No session found with ID {session_id}")
    job = documents.find(Job, scope, job_id, for_update=True)
    entries = session.doc.get("jobs")
    if job is None and not (isinstance(entries, dict) and job_id in entries):
        raise NotFound(f"No job found with ID {job_id}")
    documents.check_if_match(session, if_match)  # the session's version
    listed = _drop_entry(session, job_id)
    audit.record("session.remove-job", session_id, owner=scope.user_id, project=scope.project_id, job=job_id)
    if job is None:
        return  # a stale entry of a job deleted long ago: cleaned up
    if listed or job.doc.get("session_id") == session_id:
        documents.write(job, deep_merge(job.doc, {"session_id": "", "session_tag": 0,
                                                  "job_schedule": {"event": "stop"}}))


def forget_job(scope: Scope, job_id: str) -> None:
    """Before a job is deleted: every session that lists it forgets it. Locks the
    sessions, then the job (the caller deletes it under that lock)."""
    candidates = _listing_sessions(scope, job_id) | {_job_session_id(scope, job_id) or ""}
    candidates.discard("")
    sessions = _lock_sessions(scope, candidates)
    _lock_job(scope, job_id, sessions)
    for session in sessions.values():
        _drop_entry(session, job_id)


# --- start / end (§8.9) ------------------------------------------------------------------

def _int(value, default):
    """Stored numbers (tags, hold-off, times); tolerant of numeric strings."""
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _tag(params: dict, required: bool) -> int | None:
    if "current_tag" not in params:
        if required:
            raise BadRequest("Missing parameter current_tag: send the session_tag the job "
                             "last ran with", errors={"current_tag": "is required"})
        return None
    value = params["current_tag"]
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INTEGER.match(value):
        return int(value)
    raise BadRequest(f"current_tag must be an integer (or a numeric string), not {value!r}",
                     errors={"current_tag": "must be an integer"})


def _job_id(params: dict) -> str:
    job_id = params.get("job_id")
    if not isinstance(job_id, str) or not job_id:
        raise BadRequest("Missing parameter job_id: name the job taking part in the session",
                         errors={"job_id": "is required (a string)"})
    ids.check(job_id, "job_id")
    return job_id


def _parse(body) -> tuple[str, dict]:
    if not isinstance(body, dict) or not body:
        raise BadRequest("Bad action request format: send {\"start\": {...}} or "
                         "{\"end\": {...}}")
    action, params = next(iter(body.items()))
    return action, params


def _params(action: str, params) -> dict:
    if action not in ACTIONS:
        raise MethodNotAllowed(f"Bad Action Method: {action!r}; use start or end",
                               errors={"action": "must be start or end"})
    if not isinstance(params, dict):
        raise BadRequest(f"The parameters of {action} must be an object such as "
                         '{"job_id": "...", "current_tag": 0}',
                         errors={action: "must be an object"})
    checked = {"job_id": _job_id(params), "current_tag": _tag(params, action == "start")}
    if action == "end":
        result = params.get("result")
        if result not in END_RESULTS:
            raise BadRequest(f"result must be one of {', '.join(END_RESULTS)}, not {result!r}",
                             errors={"result": f"must be one of {', '.join(END_RESULTS)}"})
        checked["result"] = result
    return checked


def _mark(doc: dict, job_id: str, **fields) -> None:
    jobs = doc.get("jobs")
    if not isinstance(jobs, dict) or not isinstance(jobs.get(job_id), dict):
        raise BadRequest("job_id not found in session",
                         errors={"job_id": f"{job_id} is not a job of this session"})
    jobs[job_id].update(fields)


def _start(doc: dict, job_id: str, current: int, now: int) -> str:
    tag = _int(doc.get("session_tag"), 0)
    if current > tag:
        raise BadRequest(f"requested tag value too high. Session Tag: {tag} Job Tag: {current}",
                         errors={"current_tag": f"greater than the session's tag {tag}"})
    in_window = now - _int(doc.get("time_start"), 0) <= _int(doc.get("hold_off"),
                                                              HOLD_OFF_IF_ABSENT)
    if in_window and current == tag:
        return "hold-off"       # a peer opened this round moments ago; not a new one yet
    if not in_window and current < tag:
        return "out-of-sync"    # the caller missed a round
    if not in_window:           # current == tag: this caller opens the next round
        doc.update(session_tag=tag + 1, time_start=now, status="running", result="")
    _mark(doc, job_id, status="running", result="", time_started=now)
    return "success"


def overall_result(jobs: dict) -> str:
    """running while any entry is not completed, else fail unless every result is
    success; entries are walked in stored order, as the original did."""
    for entry in jobs.values():
        if not isinstance(entry, dict) or entry.get("status") != "completed":
            return "running"
    for entry in jobs.values():
        if entry.get("result") != "success":
            return "fail"
    return "success"


def _end(doc: dict, job_id: str, result: str, now: int) -> str:
    _mark(doc, job_id, status="completed", result=result, time_ended=now)
    overall = overall_result(doc["jobs"])
    if doc.get("status") != "completed" and overall in ("fail", "success"):
        doc.update(time_end=now, result=overall, status="completed")
    return "success"


def act(scope: Scope, session_id: str, body, if_match=None) -> dict:
    """POST /v1/sessions/{id}/action: start or end, without a row lock (services/unlocked.py):
    the session read, the action decided, then one UPDATE conditional on the version read,
    so racing agents never both open a round nor lose each other's result (the loser runs
    again on what the winner stored). A round kept or its end noticed goes in the same
    transaction, after the session's UPDATE."""
    action, params = _parse(body)
    row = unlocked.read(Session, scope, session_id)
    documents.check_if_match(row, if_match)
    checked = _params(action, params)
    before = row.doc
    doc = copy.deepcopy(before)
    now = clock.epoch()
    if action == "start":
        result = _start(doc, checked["job_id"], checked["current_tag"], now)
    else:
        result = _end(doc, checked["job_id"], checked["result"], now)
    ended = before.get("status") != "completed" and doc.get("status") == "completed"
    replaced = not ended and before.get("status") == "running" \
        and _int(doc.get("session_tag"), 0) > _int(before.get("session_tag"), 0)
    if action == "end" or doc != before:  # end always writes (§8.9); start only if it changed
        unlocked.write(row, doc, shared=ended or replaced)
    if ended:  # the round's outcome, noticed in this transaction (app/services/notify)
        outbox.emit(row, outbox.SESSION_ENDED, doc.get("result") or "",
                    session_tag=_int(doc.get("session_tag"), 0))
        _keep_round(row, doc, ended=True)
    elif replaced:
        _keep_round(row, before, ended=False)  # replaced by a new round before it ended
    return {"result": result, "session_tag": _int(doc.get("session_tag"), 0)}


def _keep_round(row, doc: dict, ended: bool) -> None:
    """A round into the session's history (the document keeps only the current one)."""
    started, finished = _int(doc.get("time_start"), -1), _int(doc.get("time_end"), -1)
    jobs = doc.get("jobs") if isinstance(doc.get("jobs"), dict) else {}
    db.session.add(SessionRound(
        user_id=row.user_id, project_id=row.project_id, session_id=row.session_id,
        session_tag=_int(doc.get("session_tag"), 0), started_at=started if started > 0 else None,
        ended_at=finished if ended and finished > 0 else None,
        result=(doc.get("result") or "") if ended else "", jobs=copy.deepcopy(jobs)))
    driver_rows.flush()


def past_rounds(scope: Scope, session_id: str, limit: int = 20) -> list[SessionRound]:
    """The session's kept rounds, newest first."""
    return list(db.session.scalars(
        select(SessionRound).where(scope.where(SessionRound),
                                   SessionRound.session_id == session_id)
        .order_by(SessionRound.pk.desc()).limit(limit)))
