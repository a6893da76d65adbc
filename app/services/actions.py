"""Reusable action templates (freezer-v1.md §6) and the actions embedded in jobs (§7.6)."""
import copy
import uuid

from ..models import Action
from . import documents
from .errors import BadRequest, Conflict
from .merge import deep_merge
from .scope import Scope
from .schemas import ACTION, ACTION_PATCH
from .validation import discard, require_object, validate

_IGNORED_IN_COMPARISON = ("_version", "user_id")
_IGNORED_KEYS = ("action_id", "user_id", "_version")  # set by the server


def create(scope: Scope, body) -> Action:
    doc = copy.deepcopy(require_object(body, "action"))
    discard(ACTION, doc, ("user_id", "_version"))
    if doc.get("action_id") is None:  # absent: the server chooses; "" is refused below
        doc["action_id"] = uuid.uuid4().hex
    doc["user_id"] = scope.user_id
    validate(ACTION, doc)
    if documents.find(Action, scope, doc["action_id"]) is not None:
        raise Conflict(f"Action already existing with ID {doc['action_id']}")
    return documents.new(Action, scope, doc)


def replace(scope: Scope, action_id: str, body, if_match=None) -> Action:
    doc = copy.deepcopy(require_object(body, "action"))
    discard(ACTION, doc, _IGNORED_KEYS)
    doc.update(action_id=action_id, user_id=scope.user_id)
    validate(ACTION, doc)
    row = documents.find(Action, scope, action_id, for_update=True)
    documents.check_if_match(row, if_match, Action)
    if row is None:
        return documents.new(Action, scope, doc)
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
        documents.new(Action, scope, doc)
