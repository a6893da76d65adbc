"""Registered agents (freezer-v1.md §5) and what they declare they can run (§7.7)."""
import copy
import uuid

from ..models import Client
from .. import clock
from . import documents
from .errors import BadRequest, Conflict, Unprocessable
from .merge import deep_merge
from .schemas import CLIENT_INFO, CLIENT_PATCH
from .scope import Scope
from .validation import require_object, validate

CAPABILITIES = (("action", "supported_actions"), ("mode", "supported_modes"),
                ("storage", "supported_storages"), ("engine", "supported_engines"))


def register(scope: Scope, body) -> Client:
    info = copy.deepcopy(require_object(body, "client"))
    validate(CLIENT_INFO, info)
    if documents.find(Client, scope, info["client_id"]) is not None:
        raise Conflict(f"Client already registered with ID {info['client_id']}")
    info.setdefault("uuid", uuid.uuid4().hex)
    return documents.new(Client, scope, {"client": info, "user_id": scope.user_id},
                         last_seen=clock.utcnow())


def update(scope: Scope, client_id: str, body, if_match=None) -> Client:
    patch = copy.deepcopy(require_object(body, "client update"))
    if patch.get("client_id", client_id) != client_id:
        raise BadRequest("client_id cannot be changed", errors={"client_id": "cannot be changed"})
    patch.pop("client_id", None)
    validate(CLIENT_PATCH, patch)
    row = documents.get(Client, scope, client_id, for_update=True)
    documents.check_if_match(row, if_match)
    doc = copy.deepcopy(row.doc)
    doc["client"] = deep_merge(doc.get("client") or {}, patch)
    return documents.write(row, doc)


def check_capabilities(scope: Scope, client_id: str | None, job_actions: list) -> None:
    """A registered client that declares capabilities cannot be given a job it cannot
    run (422). Unregistered clients and missing lists accept anything."""
    if not client_id:
        return
    client = documents.find(Client, scope, client_id)
    if client is None:
        return
    info = client.doc.get("client") or {}
    for position, element in enumerate(job_actions or []):
        action = element.get("freezer_action") if isinstance(element, dict) else None
        if not isinstance(action, dict):
            raise BadRequest("job_actions: missing 'freezer_action' in job_actions list item",
                             errors={f"job_actions.{position}.freezer_action": "is required"})
        for key, listing in CAPABILITIES:
            value = action.get(key) or (action.get("engine_name") if key == "engine" else None)
            supported = info.get(listing)
            if value and isinstance(supported, list) and value not in supported:
                raise Unprocessable(f"Client {client_id} does not support {key}: {value}",
                                    errors={f"job_actions.{position}.freezer_action.{key}":
                                            f"not supported by client {client_id}"})
