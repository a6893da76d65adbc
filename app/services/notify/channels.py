"""Channels: a generic webhook (signed, versioned JSON), an Apprise URL (Slack, Teams,
Discord, ntfy, Gotify, PagerDuty, ... ) or SMTP email. A setting that cannot work is refused
with the reason, beside its field."""
import ipaddress
import re
import secrets
import socket
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from ...extensions import db
from ...models import Channel
from .. import documents
from ..errors import BadRequest, NotFound
from ..scope import Scope
from .fields import number

KINDS = {"webhook": "Webhook (signed JSON)", "apprise": "Apprise URL (Slack, Teams, ntfy, ...)",
         "email": "Email (SMTP)"}
SECURITY = ("starttls", "ssl", "none")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_HOST = re.compile(r"^[A-Za-z0-9.-]{1,253}$")


class TargetRefused(ValueError):
    """A webhook address the allow-list refuses (the reason is the message)."""


def _allowed_networks():
    value = current_app.config.get("NOTIFY_WEBHOOK_ALLOW") or ""
    items = value.split(",") if isinstance(value, str) else value
    return [ipaddress.ip_network(i.strip(), strict=False) for i in items if i.strip()]


def check_target(url: str) -> None:
    """Refuse a webhook whose host resolves to a private, loopback, link-local or reserved
    address, unless NOTIFY_ALLOW_PRIVATE is on or NOTIFY_WEBHOOK_ALLOW lists it: a channel
    must not turn the server into a probe of its own network. Checked when saving and again
    before every delivery (a name may resolve elsewhere later)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetRefused("an http:// or https:// URL with a host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError) as exc:
        raise TargetRefused(f"the host {parts.hostname} does not resolve ({exc})") from None
    if current_app.config.get("NOTIFY_ALLOW_PRIVATE"):
        return
    allowed = _allowed_networks()
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        if any(address in network for network in allowed):
            continue
        if not address.is_global:
            raise TargetRefused(f"{parts.hostname} is {address}, a private or local address; "
                                "allow it with NOTIFY_WEBHOOK_ALLOW")


def _webhook(config: dict, errors: dict, stored: dict) -> dict:
    url = str(config.get("url") or "").strip()
    try:
        check_target(url)
    except TargetRefused as exc:
        errors["url"] = str(exc)
    secret = str(config.get("secret") or "").strip() or stored.get("secret") \
        or secrets.token_hex(32)
    if len(secret) < 16:
        errors["secret"] = "at least 16 characters (blank: one is generated)"
    return {"url": url, "secret": secret}


def _apprise(config: dict, errors: dict, stored: dict) -> dict:
    import apprise
    url = str(config.get("url") or "").strip()
    if not url:
        errors["url"] = "an Apprise URL, e.g. ntfy://ntfy.sh/mytopic or slack://T/B/C"
    elif apprise.Apprise.instantiate(url) is None:
        errors["url"] = ("Apprise does not understand this URL: an unknown service, or a "
                         "token or part of it missing (see the Apprise wiki for its form)")
    return {"url": url}


def _addresses(value) -> list[str]:
    items = value if isinstance(value, list) else re.split(r"[,;\s]+", str(value or ""))
    return [i.strip() for i in items if i and i.strip()]


def _email(config: dict, errors: dict, stored: dict) -> dict:
    host = str(config.get("host") or "").strip()
    if not _HOST.match(host):
        errors["host"] = "the SMTP server's host name or address"
    port = number(config, "port", 1, 65535, errors,
                  reason="a port from 1 to 65535 (587 STARTTLS, 465 SSL, 25 none)")
    security = config.get("security") or "starttls"
    if security not in SECURITY:
        errors["security"] = f"one of {', '.join(SECURITY)}"
    username = str(config.get("username") or "").strip()
    password = str(config.get("password") or "") or (stored.get("password") if username else "")
    if username and not password:
        errors["password"] = "the password of this SMTP user"
    if password and not username:
        errors["username"] = "the SMTP user this password belongs to"
    if username and security == "none" and not current_app.config.get("NOTIFY_SMTP_ALLOW_PLAIN_AUTH"):
        errors["security"] = "signing in without TLS would send the password in clear"
    sender = str(config.get("sender") or "").strip()
    if not _EMAIL.match(sender):
        errors["sender"] = "the From address, e.g. backups@example.org"
    recipients = _addresses(config.get("recipients"))
    bad = [r for r in recipients if not _EMAIL.match(r)]
    if not recipients or bad:
        errors["recipients"] = f"not an email address: {bad[0]}" if bad else \
            "at least one address (comma-separated)"
    return {"host": host, "port": port, "security": security, "username": username,
            "password": password, "sender": sender, "recipients": recipients}


_CHECKS = {"webhook": _webhook, "apprise": _apprise, "email": _email}


def check(data: dict, stored: dict | None = None) -> tuple[str, str, dict]:
    errors = {}
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 100:
        errors["name"] = "a name of 1 to 100 characters"
    kind = data.get("kind")
    config = {}
    if kind not in KINDS:
        errors["kind"] = f"one of {', '.join(KINDS)}"
    else:
        config = _CHECKS[kind](data.get("config") or {}, errors, stored or {})
    if errors:
        raise BadRequest("The channel cannot be saved: " +
                         "; ".join(f"{k}: {v}" for k, v in errors.items()), errors=errors)
    return name, kind, config


def target(kind: str, config: dict) -> str:
    """To whom, for the delivery log: without secrets."""
    if kind == "webhook":
        parts = urlsplit(config.get("url", ""))
        return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}{parts.path}"
    if kind == "apprise":
        import apprise
        plugin = apprise.Apprise.instantiate(config.get("url", ""))
        return plugin.url(privacy=True) if plugin is not None else "?"
    return ", ".join(config.get("recipients") or [])


def listing(scope: Scope) -> list[Channel]:
    return list(db.session.scalars(select(Channel).where(scope.where(Channel))
                                   .order_by(Channel.pk)))


def get(scope: Scope, channel_id: int, for_update: bool = False) -> Channel:
    stmt = select(Channel).where(scope.where(Channel), Channel.pk == channel_id)
    row = db.session.scalars(stmt.with_for_update() if for_update else stmt).first()
    if row is None:
        raise NotFound(f"No channel found with ID {channel_id}")
    return row


def create(scope: Scope, data: dict) -> Channel:
    name, kind, config = check(data)
    row = scope.stamp(Channel, name=name, kind=kind, config=config)
    db.session.add(row)
    db.session.flush()
    return row


def update(scope: Scope, channel_id: int, data: dict, if_match: str | None = None) -> Channel:
    """An operator's save; with `if_match` only if the channel is still at that version."""
    row = get(scope, channel_id, for_update=True)
    documents.check_if_match(row, if_match)
    stored = row.config if data.get("kind") == row.kind else {}
    row.name, row.kind, row.config = check(data, stored)  # blank secrets keep the stored ones
    row.version = (row.version or 0) + 1
    db.session.flush()
    return row


def delete(scope: Scope, channel_id: int) -> None:
    from . import rules
    row = get(scope, channel_id)
    rules.forget_channel(scope, channel_id)
    db.session.delete(row)
    db.session.flush()
