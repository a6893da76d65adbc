"""Reusable action templates (freezer-v1.md §6) and the actions embedded in jobs (§7.6).

Both are stored as action documents and both are listed by GET /v1/actions, as the original
does. Only the first are library entries (`Action.in_library`): an action created as such
(POST /v1/actions, POST /v1/actions/{id} creating one, the dashboard's library page). The
copy stored for an action embedded in a job is not, so jobs created through the API and
restores no longer fill the dashboard's library (docs/dashboard.md)."""
import copy
import uuid

from ..models import Action
from . import documents, ids
from .errors import BadRequest
from .merge import deep_merge
from .scope import Scope
from .schemas import ACTION, ACTION_PATCH
from .validation import discard, require_object, validate

_IGNORED_IN_COMPARISON = ("_version", "user_id")
_IGNORED_KEYS = ("action_id", "user_id", "_version")  # set by the server


def create(scope: Scope, body, name: str | None = None) -> Action:
    doc = copy.deepcopy(require_object(body, "action"))
    discard(ACTION, doc, ("user_id", "_version"))
    if doc.get("action_id") is None:  # absent: the server chooses; "" is refused below
        doc["action_id"] = uuid.uuid4().hex
    doc["user_id"] = scope.user_id
    validate(ACTION, doc)
    documents.check_new(Action, scope, doc["action_id"],
                        held=f"Action already existing with ID {doc['action_id']}")
    return documents.new(Action, scope, doc, checked=True, in_library=True, name=_name(name))


def _name(name: str | None) -> str | None:
    name = (name or "").strip()
    if len(name) > 100:
        raise BadRequest("name: at most 100 characters", errors={"name": "at most 100 characters"})
    if ids.has_control(name):  # like every stored string: no line breaks or bidi overrides
        raise BadRequest("name: no control characters", errors={"name": "no control characters"})
    return name or None


def replace(scope: Scope, action_id: str, body, if_match=None, name: str | None = None) -> Action:
    """Create or overwrite; one created here is a library entry, an overwritten one stays
    what it was. `name` (the dashboard's) replaces the entry's name when given."""
    doc = copy.deepcopy(require_object(body, "action"))
    discard(ACTION, doc, _IGNORED_KEYS)
    doc.update(action_id=action_id, user_id=scope.user_id)
    validate(ACTION, doc)
    row = documents.find(Action, scope, action_id, for_update=True)
    documents.check_if_match(row, if_match, Action)
    if row is None:
        return documents.new(Action, scope, doc, in_library=True, name=_name(name))
    if name is not None:
        row.name = _name(name)
    return documents.write(row, doc)


def patch(scope: Scope, action_id: str, body, if_match=None) -> Action:
    changes = copy.deepcopy(require_object(body, "action patch"))
    discard(ACTION, changes, _IGNORED_KEYS)
    validate(ACTION_PATCH, changes)
    row = documents.get(Action, scope, action_id, for_update=True)
    documents.check_if_match(row, if_match)
    return documents.write(row, deep_merge(row.doc, changes))


def _comparable(freezer_action) -> dict:
    if not isinstance(freezer_action, dict):
        return freezer_action
    return {k: v for k, v in freezer_action.items() if k not in _IGNORED_IN_COMPARISON}


def materialise(scope: Scope, job_actions: list) -> None:
    """Give every action embedded in a job a stored action document, and write its
    `action_id`/`user_id` into the job (in place). An element whose `freezer_action` no
    longer equals the stored action's gets a fresh id (the original answered 400)."""
    for position, element in enumerate(job_actions):
        if not isinstance(element, dict) or not isinstance(element.get("freezer_action"), dict):
            raise BadRequest("job_actions: missing 'freezer_action' in job_actions list item",
                             errors={f"job_actions.{position}.freezer_action": "is required"})
        action_id = element.get("action_id")
        stored = documents.find(Action, scope, action_id) if action_id else None
        if stored is not None and _comparable(stored.doc.get("freezer_action")) == \
                _comparable(element["freezer_action"]):
            element["user_id"] = scope.user_id
            continue
        if not action_id or stored is not None or documents.taken(Action, scope, action_id):
            action_id = uuid.uuid4().hex
        element["action_id"] = action_id
        element["user_id"] = scope.user_id
        doc = copy.deepcopy(element)
        validate(ACTION, doc, f"job_actions.{position}")
        documents.new(Action, scope, doc, in_library=False)  # a job's copy, not an entry


def label(row: Action) -> str:
    """How a library entry is offered in a picker: its name, then what tells entries apart
    (action, mode, path, backup name, storage, container)."""
    a = row.doc.get("freezer_action") if isinstance(row.doc.get("freezer_action"), dict) else {}
    what = a.get("path_to_backup") or a.get("restore_abs_path") or a.get("command") or ""
    parts = [" ".join(str(p) for p in (a.get("action"), a.get("mode"), what) if p)]
    if a.get("backup_name"):
        parts.append(f"backup {a['backup_name']}")
    parts.append(f"storage {a.get('storage') or 'agent default'}")
    if a.get("container"):
        parts.append(f"container {a['container']}")
    text = " · ".join(parts)
    return f"{row.name}: {text}" if row.name else text


def mark_imported(scope_project_ids: dict) -> None:
    """Actions brought in by an import (freezer-manage import --from): the source's server
    made a copy for every job action too, so an imported action that an imported job names
    is a job's copy; the others are library entries. {project_id: {action_id, ...}} of
    the actions imported."""
    from sqlalchemy import select
    from ..extensions import db
    from ..models import Job
    for project_id, action_ids in scope_project_ids.items():
        named = set()
        for doc in db.session.scalars(select(Job.doc).where(Job.project_id == project_id)):
            for element in (doc or {}).get("job_actions") or []:
                if isinstance(element, dict) and element.get("action_id"):
                    named.add(element["action_id"])
        for row in db.session.scalars(select(Action).where(
                Action.project_id == project_id, Action.action_id.in_(sorted(action_ids)))):
            row.in_library = row.action_id not in named
    db.session.flush()
