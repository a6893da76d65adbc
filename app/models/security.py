"""What security bookkeeping stores: failed credential checks (the throttle's counts) and
the audit trail."""
from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..clock import utcnow
from .types import PrimaryKey, Timestamp


class AuthFailure(db.Model):
    """One failed sign-in or /v1 token check, counted per (scope, key) over a moving window
    (app/auth/throttle.py). Every worker and host sharing the database counts the same rows.
    `key_hash` is the sha256 of the key (address, or address and username)."""

    __tablename__ = "auth_failures"

    id: Mapped[int] = mapped_column(PrimaryKey(), primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(32), nullable=False)
    key_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False, default=utcnow)

    __table_args__ = (Index("ix_auth_failures_key_at", "scope", "key_hash", "at"),
                      Index("ix_auth_failures_at", "at"))


class AuditEvent(db.Model):
    """An append-only record of a security-relevant event (app/audit.py): who did what,
    when, from where, through what, in which request. Rows are only ever added, and
    removed by the retention purge (`flask audit purge`)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(PrimaryKey(), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False, default=utcnow)
    #: the operator's username (kept when the operator is deleted), or "-" when unknown
    actor: Mapped[str] = mapped_column(String(150), nullable=False, default="-")
    #: dashboard, api or cli
    via: Mapped[str] = mapped_column(String(16), nullable=False)
    address: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    request_id: Mapped[str] = mapped_column(String(140), nullable=False, default="")
    #: e.g. sign-in, sign-in.failed, token.create, job.delete (app/audit.py lists them)
    event: Mapped[str] = mapped_column(String(40), nullable=False)
    #: what it was done to (a document id, a username, a token id)
    target: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    detail: Mapped[str] = mapped_column(Text, nullable=False, default="")

    __table_args__ = (Index("ix_audit_events_at", "at"),
                      Index("ix_audit_events_actor_at", "actor", "at"))
