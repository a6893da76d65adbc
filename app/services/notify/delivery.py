"""Delivering notices: at least once, retried with backoff, under the notice's idempotency
key. A watcher claims a few due notices for a lease (SELECT ... FOR UPDATE SKIP LOCKED on
MariaDB, the write lock on SQLite) and commits the claim before sending, so other watchers
skip them and no lock is held while a receiver is slow; a watcher killed mid-send leaves the
claim to expire and the next one sends the same notice, same key, again."""
import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import time
import uuid
from datetime import timedelta
from types import SimpleNamespace
from email.message import EmailMessage
from email.utils import make_msgid

import requests
from flask import current_app
from sqlalchemy import or_, select, update

from ...extensions import db
from ...models import Channel, Notice
from ... import clock
from . import channels, notices

log = logging.getLogger(__name__)
CLAIM_BATCH = 20
SIGNATURE_HEADER = "X-Freezer-Signature"
TIMESTAMP_HEADER = "X-Freezer-Timestamp"
KEY_HEADER = "Idempotency-Key"


class DeliveryFailed(Exception):
    pass


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex, as `sha256=<hex>` (docs/notifications.md)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _timeout() -> float:
    return float(current_app.config.get("NOTIFY_SEND_TIMEOUT", 10))


def _webhook(config: dict, notice_key: str, kind: str, body: dict, _title: str) -> None:
    try:
        channels.check_target(config["url"])
    except channels.TargetRefused as exc:
        raise DeliveryFailed(f"target refused: {exc}") from None
    data = json.dumps(body, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(clock.now()))
    headers = {"Content-Type": "application/json", "User-Agent": "freezer-notify/1",
               KEY_HEADER: notice_key, "X-Freezer-Event": kind, TIMESTAMP_HEADER: timestamp,
               SIGNATURE_HEADER: signature(config["secret"], timestamp, data)}
    try:
        response = requests.post(config["url"], data=data, headers=headers,
                                 timeout=_timeout(), allow_redirects=False)
    except requests.RequestException as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}")


def _apprise(config: dict, notice_key: str, kind: str, body: dict, subject: str) -> None:
    import apprise
    sender = apprise.Apprise()
    if not sender.add(config["url"]):
        raise DeliveryFailed("Apprise does not understand the channel's URL")
    if not sender.notify(title=subject, body=notices.text(body) + f"\n\n[{notice_key}]"):
        raise DeliveryFailed("Apprise reported a failed delivery (see the watcher's log)")


def _email(config: dict, notice_key: str, kind: str, body: dict, subject: str) -> None:
    message = EmailMessage()
    message["Subject"], message["From"] = subject, config["sender"]
    message["To"] = ", ".join(config["recipients"])
    # the same Message-ID on every try: mail systems drop the duplicate of a retry
    message["Message-ID"] = make_msgid(idstring=notice_key, domain="freezer.notify")
    message["X-Freezer-Idempotency-Key"] = notice_key
    message.set_content(notices.text(body))
    context = ssl.create_default_context(cafile=current_app.config.get("NOTIFY_SMTP_CAFILE"))
    try:
        if config["security"] == "ssl":
            server = smtplib.SMTP_SSL(config["host"], config["port"], timeout=_timeout(),
                                      context=context)
        else:
            server = smtplib.SMTP(config["host"], config["port"], timeout=_timeout())
        with server:
            if config["security"] == "starttls":
                server.starttls(context=context)
            if config.get("username"):
                server.login(config["username"], config["password"])
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None


SENDERS = {"webhook": _webhook, "apprise": _apprise, "email": _email}


def send(channel_kind: str, config: dict, notice: Notice) -> str | None:
    """Send one notice; None when it went through, else the reason."""
    try:
        SENDERS[channel_kind](config, notice.key, notice.kind, notice.payload, notice.title)
    except DeliveryFailed as exc:
        return str(exc)[:2000]
    except Exception as exc:  # noqa: BLE001 - a channel library's surprise is a failed try
        log.exception("notice %s: unexpected error", notice.key)
        return f"{type(exc).__name__}: {exc}"[:2000]
    return None


def backoff(attempts: int) -> timedelta:
    base = float(current_app.config.get("NOTIFY_RETRY_BASE_SECONDS", 30))
    ceiling = float(current_app.config.get("NOTIFY_RETRY_MAX_SECONDS", 3600))
    return timedelta(seconds=min(ceiling, base * 2 ** max(0, attempts - 1)))


def record(notice: Notice, error: str | None, claim: str | None = None) -> None:
    """The outcome of one try: sent, or due again after a backoff, or given up."""
    now = clock.utcnow()
    values = {"claimed_until": None, "claimed_by": None, "last_error": error}
    if error is None:
        values.update(status="sent", sent_at=now)
    elif notice.attempts >= int(current_app.config.get("NOTIFY_MAX_ATTEMPTS", 10)):
        values.update(status="failed")
    else:
        values.update(next_attempt_at=now + backoff(notice.attempts))
    stmt = update(Notice).where(Notice.pk == notice.pk)
    if claim is not None:  # a claim that expired and was taken over is no longer ours
        stmt = stmt.where(Notice.claimed_by == claim)
    db.session.execute(stmt.values(**values).execution_options(synchronize_session=False))
    if error is not None:
        log.warning("notice %s to %s: try %d failed: %s", notice.key, notice.target,
                    notice.attempts, error)


def claim(limit: int = CLAIM_BATCH) -> tuple[str, list]:
    """Claim due notices for the lease and commit. Returns the claim id and, per notice,
    its channel's kind and config (read now: sending happens outside any transaction)."""
    now = clock.utcnow()
    lease = timedelta(seconds=float(current_app.config.get("NOTIFY_LEASE_SECONDS", 60)))
    token = uuid.uuid4().hex
    due = list(db.session.scalars(
        select(Notice).where(Notice.status == "pending", Notice.next_attempt_at <= now,
                             or_(Notice.claimed_until.is_(None), Notice.claimed_until < now))
        .order_by(Notice.next_attempt_at, Notice.pk).limit(limit)
        .with_for_update(skip_locked=True)))
    found = []
    if due:
        configs = {c.pk: c for c in db.session.scalars(
            select(Channel).where(Channel.pk.in_({n.channel_id for n in due})))}
        for notice in due:
            notice.claimed_until, notice.claimed_by = now + lease, token
            notice.attempts += 1
            channel = configs.get(notice.channel_id)
            if channel is None:  # deleted since: nothing to deliver to
                notice.status, notice.last_error = "failed", "the channel was deleted"
                continue
            # plain values: the commit expires the row, and sending must not read it again
            found.append((SimpleNamespace(
                pk=notice.pk, key=notice.key, kind=notice.kind, payload=notice.payload,
                title=notice.title, attempts=notice.attempts, target=notice.target),
                channel.kind, dict(channel.config)))
    db.session.commit()
    return token, found


def deliver_due(limit: int = CLAIM_BATCH) -> int:
    """One round: claim, send each, record each in its own short transaction."""
    token, claimed = claim(limit)
    for notice, kind, config in claimed:
        error = send(kind, config, notice)
        record(notice, error, token)
        db.session.commit()
    return len(claimed)


def send_now(notice: Notice, channel: Channel) -> str | None:
    """A notice made in this request (the dashboard's "send test"): one try right away,
    recorded in the request's transaction; if it failed, the watcher retries it."""
    notice.attempts += 1
    db.session.flush()
    started = time.monotonic()
    error = send(channel.kind, dict(channel.config), notice)
    record(notice, error)
    log.info("test notice %s: %s in %.2f s", notice.key, error or "sent",
             time.monotonic() - started)
    return error
