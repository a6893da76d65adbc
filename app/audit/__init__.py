"""The audit trail: an append-only record (audit_events) of what matters for security.
Who (the operator's username), when, from where (address), through what (dashboard, api,
cli), what (`event`, `target`, `detail`) and in which request (its request id).

Recorded: sign-in, failed sign-in, sign-out; API token create and revoke; account changes
(create, password, disable, enable, delete, tokens revoked); every delete of a document
(through any route: an ORM hook sees the row go); job events; session changes (create,
replace, patch, delete, a job added or removed). Not recorded: agents' routine traffic
(polls, status PATCHes, session start/end, backups posted): it is most of the traffic and
says nothing new about who may do what.

An event joins the request's transaction, so it is stored exactly when the change it
records is; `record_after` writes events of requests that answer 4xx (a failed sign-in)."""
import getpass
import json

import click

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event as sa_event
from sqlalchemy import insert

from .. import clock
from ..deferred import defer
from ..extensions import db
from ..models import Action, AuditEvent, Backup, Client, Job, Session
from ..models.notify import Channel, Rule
from ..ops.request_id import current_request_id

#: the models whose every delete is recorded, as "<kind>.delete"
DELETES = {Action: "action", Backup: "backup", Client: "client", Job: "job",
           Session: "session", Channel: "notify-channel", Rule: "notify-rule"}
MAX_DETAIL = 2000


def _who() -> tuple[str, str, str]:
    """(actor, via, address) of the current request, or of the command line."""
    # a command (click's context) first: pytest-flask keeps a request context around it
    if click.get_current_context(silent=True) is not None or not has_request_context():
        try:
            return f"cli:{getpass.getuser()}", "cli", ""
        except Exception:  # no user name (a container without passwd entry)
            return "cli", "cli", ""
    address = (request.remote_addr or "")[:64]
    identity = request.environ.get("freezer.identity")
    if identity is not None:  # /v1: an API token's operator, or a Keystone user
        return (identity.user_name or identity.user_id)[:150], "api", address
    user = current_user if current_user and current_user.is_authenticated else None
    return (user.username if user else "-"), "dashboard", address


def _row(event: str, target: str, detail: dict, actor: str | None) -> dict:
    who, via, address = _who()
    text = json.dumps(detail, sort_keys=True, default=str) if detail else ""
    return {"actor": (actor or who)[:150], "via": via, "address": address,
            "request_id": (current_request_id() or "")[:140], "event": event[:40],
            "target": str(target or "")[:255], "detail": text[:MAX_DETAIL]}


def record(event: str, target: str = "", actor: str | None = None, **detail) -> None:
    """Add an event to the current transaction (it commits with the change)."""
    db.session.add(AuditEvent(**_row(event, target, detail, actor)))


def record_after(event: str, target: str = "", actor: str | None = None, **detail) -> None:
    """Write an event after the request, whatever its answer (it is rolled back on 4xx)."""
    values = _row(event, target, detail, actor)
    values["at"] = clock.utcnow()
    table = AuditEvent.__table__
    defer(lambda connection: connection.execute(insert(table).values(**values)))


def _record_deletes(session, _flush_context, _instances):
    for row in list(session.deleted):
        kind = DELETES.get(type(row))
        if kind is not None:
            detail = {"owner": row.user_id}
            if getattr(row, "project_id", None):
                detail["project"] = row.project_id
            target = getattr(row, "doc_id", None) or str(row.pk)
            session.add(AuditEvent(**_row(f"{kind}.delete", target, detail, None)))


def _append_only(_mapper, _connection, _target):
    raise RuntimeError("audit events are append-only (only `flask audit purge` removes them)")


def init_app(app):
    from sqlalchemy.orm import Session as OrmSession
    if not getattr(init_app, "_done", False):  # process-wide hooks, once
        sa_event.listen(OrmSession, "before_flush", _record_deletes)
        sa_event.listen(AuditEvent, "before_update", _append_only)
        sa_event.listen(AuditEvent, "before_delete", _append_only)
        init_app._done = True
