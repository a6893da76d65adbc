"""Notifications: where notices go (channels), what is noticed (rules), what is wrong now
(incidents), what happened (the outbox, written in the transaction of the change) and what
was sent (notices, which are also the delivery log).

Rules, channels, incidents and notices belong to a project (the dashboard's scope, shared by
its operators); `user_id` is who wrote the row."""
from datetime import datetime

from sqlalchemy import Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..clock import utcnow
from .types import IdString, JSONText, PrimaryKey, Timestamp


class Channel(db.Model):
    """A destination: a generic webhook, an Apprise URL or an SMTP mailbox."""

    __tablename__ = "notify_channels"

    pk: Mapped[int] = mapped_column(PrimaryKey(), primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    project_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # webhook | apprise | email
    # webhook: url, secret; apprise: url; email: host, port, security, username, password,
    # sender, recipients. Secrets must be usable to sign and log in, so they are kept.
    config: Mapped[dict] = mapped_column(JSONText(), nullable=False, default=dict)
    # bumped by each operator's save: the edit form's stale-save check (app/ui/versions.py)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False, default=utcnow)

    __table_args__ = (Index("ix_notify_channels_project", "project_id", "pk"),)


class Rule(db.Model):
    """What is noticed for one owner, with its thresholds, and which channels hear of it."""

    __tablename__ = "notify_rules"

    pk: Mapped[int] = mapped_column(PrimaryKey(), primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    project_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    # seconds: grace (missed schedule), maximum run (stuck), silence (client), overdue (session)
    threshold: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # stuck runs: running longer than factor x the job's typical run is stuck too
    factor: Mapped[float] = mapped_column(Float, nullable=False, default=3.0)
    remind_after: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # 0: never
    group_seconds: Mapped[int] = mapped_column(Integer, nullable=False, default=60)
    channel_ids: Mapped[list] = mapped_column(JSONText(), nullable=False, default=list)
    # when this rule last emitted notices (the grouping interval runs from here)
    last_notice_at: Mapped[datetime | None] = mapped_column(Timestamp())
    # bumped by each operator's save only (not by the watcher's last_notice_at): the edit
    # form's stale-save check (app/ui/versions.py)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False, default=utcnow)

    __table_args__ = (Index("ix_notify_rules_project", "project_id", "kind"),)


class Incident(db.Model):
    """One thing wrong (a job failing, a client silent), from the moment a rule sees it to
    the moment it clears. `open_key` is the subject while open and NULL after: a unique
    index allows one open incident per rule and subject, and any number of closed ones."""

    __tablename__ = "notify_incidents"

    pk: Mapped[int] = mapped_column(PrimaryKey(), primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    project_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    rule_id: Mapped[int] = mapped_column(PrimaryKey(), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    subject: Mapped[str] = mapped_column(IdString(255), nullable=False)  # a job/client/session id
    open_key: Mapped[str | None] = mapped_column(IdString(255))
    summary: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    opened_at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False)
    cleared_at: Mapped[datetime | None] = mapped_column(Timestamp())
    notified_at: Mapped[datetime | None] = mapped_column(Timestamp())  # opened or reminded
    recovery_sent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    __table_args__ = (
        Index("uq_notify_incidents_open", "rule_id", "open_key", unique=True),
        # a tick's live incidents: open, or cleared and not yet announced
        Index("ix_notify_incidents_live", "rule_id", "recovery_sent"),
        Index("ix_notify_incidents_project_open", "project_id", "cleared_at"),
    )


class OutboxEvent(db.Model):
    """Something that happened (a run ended, a session round ended), written in the same
    transaction as the change; the watcher turns it into incidents and deletes it."""

    __tablename__ = "notify_outbox"

    pk: Mapped[int] = mapped_column(PrimaryKey(), primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    project_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)   # run.ended | session.ended
    subject: Mapped[str] = mapped_column(IdString(255), nullable=False)
    result: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    detail: Mapped[dict] = mapped_column(JSONText(), nullable=False, default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False, default=utcnow)


class Notice(db.Model):
    """One message to one channel, and its delivery: the delivery log. The payload is built
    once, so every retry sends the same bytes under the same idempotency key."""

    __tablename__ = "notify_notices"

    pk: Mapped[int] = mapped_column(PrimaryKey(), primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), nullable=False)  # the idempotency key
    user_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    project_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    channel_id: Mapped[int | None] = mapped_column(PrimaryKey())
    rule_id: Mapped[int | None] = mapped_column(PrimaryKey())
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # opened|reminder|recovered|test
    target: Mapped[str] = mapped_column(String(500), nullable=False, default="")  # to whom
    title: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    payload: Mapped[dict] = mapped_column(JSONText(), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False)
    claimed_until: Mapped[datetime | None] = mapped_column(Timestamp())
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp())

    __table_args__ = (
        Index("uq_notify_notices_key", "key", unique=True),
        Index("ix_notify_notices_due", "status", "next_attempt_at"),
        Index("ix_notify_notices_project", "project_id", "pk"),
    )
