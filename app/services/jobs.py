"""Jobs (freezer-v1.md §7): create, replace, patch, events, delete."""
import copy
import json
import uuid

from ..models import Job
from .. import audit, clock
from . import actions, clients, documents, limits, runs, schedules, sessions, unlocked
from .errors import BadRequest
from .merge import deep_merge
from .schemas import JOB, JOB_PATCH
from .scope import Scope
from .validation import body_copy, discard, validate

JOB_EVENTS = ("start", "stop", "abort")
# Keys agents echo back from a GET that are never written from a body. A job's session
# changes only through PUT/DELETE /v1/sessions/{sid}/jobs/{jid}, which keep both documents
# in step: the scheduler echoes the session_id it fetched, which may be stale by then.
_IGNORED_KEYS = ("job_id", "user_id", "_version", "session_id")
_SCHEDULE_DEFAULTS = {"event": "", "status": "", "result": ""}


def _object(body, what="job") -> dict:
    doc = body_copy(body, what)
    limits.check_job_actions(doc.get("job_actions"))
    return doc


def expand_action_defaults(body: dict, stored_actions=None) -> None:
    """Copy `action_defaults` into every action's `freezer_action` where the action has
    no value (missing or null), then drop them: they are never stored (§7.5)."""
    if "action_defaults" not in body:
        return
    defaults = body.pop("action_defaults")
    if not isinstance(defaults, dict):
        raise BadRequest("action_defaults should be a dictionary",
                         errors={"action_defaults": "must be an object"})
    if "job_actions" not in body:
        if stored_actions is None:
            return
        body["job_actions"] = copy.deepcopy(stored_actions)
    if not isinstance(body["job_actions"], list):
        return  # validation reports it
    limits.check_job_actions(body["job_actions"])  # the stored ones, on a PATCH
    limits.check_expansion(defaults, body["job_actions"])
    for element in body["job_actions"]:
        if not isinstance(element, dict) or not isinstance(element.get("freezer_action"), dict):
            continue  # materialisation reports it
        action = element["freezer_action"]
        for key, value in defaults.items():
            if action.get(key) is None:
                action[key] = copy.deepcopy(value)


def _normalise(doc: dict) -> dict:
    """What a job GET always carries: the scheduler reads `job_schedule.event`, `status`
    and `result` with hard key lookups and drops a job whose keys are missing."""
    schedule = doc.setdefault("job_schedule", {})
    if isinstance(schedule, dict):
        for key, value in _SCHEDULE_DEFAULTS.items():
            schedule.setdefault(key, value)
    doc.setdefault("session_id", "")
    doc.setdefault("session_tag", 0)
    return doc


def _prepare_full(scope: Scope, job_id: str, body: dict) -> dict:
    expand_action_defaults(body)
    body["job_id"] = job_id
    body["user_id"] = scope.user_id
    body.setdefault("job_schedule", {})
    validate(JOB, body)
    schedules.validate_schedule(body["job_schedule"])
    _normalise(body)
    clients.check_capabilities(scope, body.get("client_id"), body["job_actions"])
    actions.materialise(scope, body["job_actions"])
    return body


def create(scope: Scope, body) -> Job:
    doc = _object(body)
    discard(JOB, doc, _IGNORED_KEYS)
    doc["session_id"] = ""  # joins a session only through the session's routes
    schedule = doc.setdefault("job_schedule", {})
    if isinstance(schedule, dict):
        schedule.update(time_created=clock.epoch(), time_started=-1, time_ended=-1)
    doc = _prepare_full(scope, uuid.uuid4().hex, doc)
    return documents.new(Job, scope, doc)


def replace(scope: Scope, job_id: str, body, if_match=None) -> Job:
    """POST /v1/jobs/{id}: create or overwrite with a chosen id (§7.8)."""
    doc = _object(body)
    if not doc:
        raise BadRequest("Missing request body")
    discard(JOB, doc, _IGNORED_KEYS)
    row = documents.find(Job, scope, job_id, for_update=True)
    documents.check_if_match(row, if_match, Job)
    # membership is the session routes' to change: keep the stored one (none when new)
    doc["session_id"] = (row.doc.get("session_id") or "") if row is not None else ""
    if row is None:
        documents.check_free(Job, scope, job_id)  # before its actions are stored
    doc = _prepare_full(scope, job_id, doc)
    if row is None:
        return documents.new(Job, scope, doc, checked=True)
    return _write(row, doc)


def _write(row: Job, doc: dict) -> Job:
    """Store a new version and record a run starting or ending (old vs new status/result).
    The run history first: its rows and the job's run facts are then sent with the job's
    own write (one UPDATE of the job, not two)."""
    runs.record_change(row, row.doc, doc)
    documents.write(row, doc)
    return row


def patch(scope: Scope, job_id: str, body, if_match=None):
    """Merge `body` into the job (§7.9), without a row lock (services/unlocked.py): the
    job read, the merge checked, a run opened or closed when its status or result changes
    (in the request's transaction), then one UPDATE conditional on the version read."""
    changes = _object(body, "job patch")
    discard(JOB_PATCH, changes, _IGNORED_KEYS)
    draft = unlocked.read(Job, scope, job_id)
    doc = _patched(scope, draft, changes, if_match)
    runs.record_change(draft, draft.doc, doc)
    return unlocked.write(draft, doc)


def _actions_change(changes: dict, stored: dict) -> bool:
    """Whether a PATCH gives the job other actions than it has. Agents echo the stored
    ones back with every report: those are not stored again, nor checked again against
    the same client."""
    return "job_actions" in changes and changes["job_actions"] != stored.get("job_actions")


def _patched(scope: Scope, row, changes: dict, if_match) -> dict:
    """The job document `row` (an unlocked Draft) with `changes`
    merged in, checked as a PATCH is (If-Match, schema, a changed schedule, changed
    actions and their client's capabilities; new actions stored)."""
    documents.check_if_match(row, if_match, Job)
    expand_action_defaults(changes, row.doc.get("job_actions"))
    validate(JOB_PATCH, changes)
    if isinstance(changes.get("job_schedule"), dict):
        stored = row.doc.get("job_schedule") or {}
        merged = deep_merge(stored, changes["job_schedule"])
        # only a changed schedule is re-checked: agents PATCH stored documents back whole
        if schedules.changed(stored, merged):
            schedules.validate_schedule(merged)
    if "job_actions" in changes:
        client_id = changes.get("client_id", row.doc.get("client_id"))
        changed = _actions_change(changes, row.doc)
        if changed or client_id != row.doc.get("client_id"):
            clients.check_capabilities(scope, client_id, changes["job_actions"])
        if changed:
            actions.materialise(scope, changes["job_actions"])
    return _normalise(deep_merge(row.doc, changes))


def send_event(scope: Scope, job_id: str, body, if_match=None) -> str:
    """POST /v1/jobs/{id}/event: `{"start"|"stop"|"abort": ...}` (§7.10). Returns the
    result text; only the current `event` decides, never the status."""
    if not isinstance(body, dict) or not body:
        raise BadRequest("Bad event request format")
    row = documents.get(Job, scope, job_id, for_update=True)
    documents.check_if_match(row, if_match)
    event = next(iter(body))
    if event not in JOB_EVENTS:
        raise BadRequest("Bad Action Method", errors={"event": f"unknown event {event!r}; "
                                                      "use start, stop or abort"})
    doc = copy.deepcopy(row.doc)
    schedule = doc.setdefault("job_schedule", {})
    if schedule.get("event") == event:
        return f"{event} already requested"
    schedule["event"] = event
    if event == "start":
        # last-v1: a finished job can be re-run only if its status leaves "completed".
        schedule["status"] = ""
        schedule["result"] = ""
    _write(row, doc)
    audit.record("job.event", job_id, requested=event, owner=scope.user_id, project=scope.project_id)
    return "success"


def delete(scope: Scope, job_id: str, if_match=None) -> None:
    # no session may list a job that no longer exists (locks sessions, then the job); a
    # failed If-Match raises after forget_job, and the request rolls its change back
    sessions.forget_job(scope, job_id)
    documents.delete(Job, scope, job_id, if_match)


def hide_foreign_pids(scope: Scope, rows: list) -> list:
    """No foreign `current_pid` is ever shown (DECISIONS.md): a job of this project whose
    client is another project's central scheduler keeps that scheduler's process id to
    itself, in v1 as in v2, unless the caller is privileged. Stored rows (documents.read/list_texts) in,
    the same out; one query, and only when a returned job carries a current_pid."""
    if scope.privileged:
        return rows
    marked = [i for i, row in enumerate(rows) if '"current_pid"' in row.text]
    if not marked:
        return rows
    docs = {i: json.loads(rows[i].text) for i in marked}
    client_ids = {d.get("client_id") for d in docs.values() if isinstance(d.get("client_id"), str)}
    foreign = clients.foreign_central(scope, client_ids)
    out = list(rows)
    for i, doc in docs.items():
        schedule = doc.get("job_schedule")
        if doc.get("client_id") in foreign and isinstance(schedule, dict):
            schedule.pop("current_pid", None)
            out[i] = rows[i]._replace(text=json.dumps(doc, ensure_ascii=False,
                                                      separators=(",", ":")))
    return out
