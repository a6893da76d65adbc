"""Registered agents (freezer-v1.md §5) and what they declare they can run (§7.7)."""
import copy
import uuid

from sqlalchemy import or_, select

from ..models import Client
from .. import clock
from ..extensions import db
from . import documents
from .errors import BadRequest, Conflict, Forbidden, NotFound, Unprocessable
from .merge import deep_merge
from .schemas import CLIENT_INFO, CLIENT_PATCH
from .scope import Scope
from .validation import require_object, validate

# what registering again changes (freezer-v2.md §5.1): never the hostname, uuid or is_central
_UPDATED_AGAIN = ("description", "supported_actions", "supported_modes", "supported_storages",
                  "supported_engines")
CAPABILITIES = (("action", "supported_actions"), ("mode", "supported_modes"),
                ("storage", "supported_storages"), ("engine", "supported_engines"))


def visible(scope: Scope):
    """The clients a caller reads: its scope's, and for a privileged v2 caller also every
    project's central clients (DECISIONS.md: only they see other projects' central ones)."""
    clause = scope.where(Client)
    if scope.per_project and scope.privileged:
        clause = or_(clause, Client.is_central.is_(True))
    return clause


def foreign_central(scope: Scope, client_ids) -> set[str]:
    """Which of these client ids are central clients of another project than the scope's
    and not also clients of its own (index ix_clients_central)."""
    if not client_ids:
        return set()
    central = set(db.session.scalars(select(Client.client_id).where(
        Client.is_central.is_(True), Client.project_id != scope.project_id,
        Client.client_id.in_(sorted(client_ids)))))
    if not central:
        return set()
    own = set(db.session.scalars(select(Client.client_id).where(
        Client.project_id == scope.project_id, Client.client_id.in_(sorted(central)))))
    return central - own


def find(scope: Scope, client_id: str, for_update: bool = False) -> Client | None:
    """The scope's own client first, then (privileged) a central one of another project."""
    return documents.find(Client, scope, client_id, for_update) or \
        documents.find(Client, scope, client_id, for_update, where=visible(scope))


def get(scope: Scope, client_id: str) -> Client:
    row = find(scope, client_id)
    if row is None:
        raise NotFound(f"No client found with ID {client_id}")
    return row


def register(scope: Scope, body, again: bool = False) -> Client:
    """A new client; an agent registering again is 409, or with `again` (v2, as 19.0.0)
    201 with its description and capabilities updated."""
    info = copy.deepcopy(require_object(body, "client"))
    validate(CLIENT_INFO, info)
    if info.get("is_central") is True and not scope.privileged:
        raise Forbidden("Only admin or service callers may register a central client "
                        "(is_central: true)")
    row = documents.find(Client, scope, info["client_id"], for_update=True)
    if row is not None:
        if not again:
            raise Conflict(f"Client already registered with ID {info['client_id']}")
        doc = copy.deepcopy(row.doc)
        doc["client"].update({key: value for key, value in info.items()
                              if key in _UPDATED_AGAIN})
        if doc != row.doc:
            documents.write(row, doc)
        return row
    info.setdefault("uuid", uuid.uuid4().hex)
    return documents.new(Client, scope, {"client": info, "user_id": scope.user_id},
                         last_seen=clock.utcnow())


def delete(scope: Scope, client_id: str, if_match=None) -> None:
    row = find(scope, client_id, for_update=True)
    if row is None:
        raise NotFound(f"No client found with ID {client_id}")
    if row.project_id != scope.project_id:
        raise Forbidden(f"Client {client_id} is a central client of another project: only "
                        "that project may delete it")
    documents.delete(Client, scope, client_id, if_match)


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
    client = find(scope, client_id)
    if client is None:
        return
    check_client_runs(client, job_actions)


def check_client_runs(client: Client, job_actions: list) -> None:
    """check_capabilities for a client row already read (no query)."""
    client_id = client.client_id
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
