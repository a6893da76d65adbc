"""Operator accounts and the API tokens issued to them."""
import uuid
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..clock import utcnow
from .types import IdString, PrimaryKey, Timestamp


def new_owner_id() -> str:
    return uuid.uuid4().hex


class User(UserMixin, db.Model):
    """An operator. `user_id` is the owner id stored in documents' user_id: an agent using one
    of this operator's tokens, and the operator on the dashboard, see the same documents."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(PrimaryKey(), primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(IdString(255), nullable=False, default=new_owner_id)
    username: Mapped[str] = mapped_column(IdString(150), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    # The project its documents, its agents' and its dashboard belong to; by default one of
    # the account's own (its user_id). Several accounts may share one.
    project_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False, default=utcnow)
    #: set while the operator is disabled: no sign-in, no session, no token works
    disabled_at: Mapped[datetime | None] = mapped_column(Timestamp())
    #: an IANA zone the dashboard shows times in (NULL: not chosen yet, UTC)
    time_zone: Mapped[str | None] = mapped_column(String(64))

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="owner",
                                                    cascade="all, delete-orphan",
                                                    passive_deletes=True)
    sessions: Mapped[list["OperatorSession"]] = relationship(back_populates="owner",
                                                             cascade="all, delete-orphan",
                                                             passive_deletes=True)

    __table_args__ = (
        Index("uq_users_username", "username", unique=True),
        Index("uq_users_user_id", "user_id", unique=True),
        Index("ix_users_project", "project_id"),
    )

    @property
    def is_active(self) -> bool:  # flask-login refuses to sign in an inactive user
        return self.disabled_at is None

    #: set by app/auth/sessions.py on the operator of the request's dashboard session
    session_key = None
    session_row_id = None

    def get_id(self) -> str:
        """What the cookie holds: the key of a server-side session (OperatorSession, see
        app/auth/sessions.py), never anything of the account itself."""
        if not self.session_key:
            raise RuntimeError("sign in through app.auth.sessions.start")
        return self.session_key


class ApiToken(db.Model):
    """A bearer token for /v1. Only its sha256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(PrimaryKey(), primary_key=True, autoincrement=True)
    owner_id: Mapped[int] = mapped_column(
        PrimaryKey(), ForeignKey("users.id", ondelete="CASCADE", name="fk_api_tokens_owner"),
        nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    label: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(Timestamp())
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp())

    owner: Mapped[User] = relationship(back_populates="tokens")

    __table_args__ = (
        Index("uq_api_tokens_hash", "token_hash", unique=True),
        Index("ix_api_tokens_owner", "owner_id"),
    )

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class OperatorSession(db.Model):
    """A dashboard sign-in. The cookie carries a random id whose sha256 is `id_hash`; the
    session ends when revoked (sign-out, password change, operator disabled) or after the
    idle timeout or absolute lifetime (SESSION_IDLE_MINUTES, SESSION_MAX_HOURS)."""

    __tablename__ = "operator_sessions"

    id: Mapped[int] = mapped_column(PrimaryKey(), primary_key=True, autoincrement=True)
    owner_id: Mapped[int] = mapped_column(
        PrimaryKey(), ForeignKey("users.id", ondelete="CASCADE", name="fk_operator_sessions_owner"),
        nullable=False)
    id_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    address: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(Timestamp())

    owner: Mapped[User] = relationship(back_populates="sessions")

    __table_args__ = (
        Index("uq_operator_sessions_hash", "id_hash", unique=True),
        Index("ix_operator_sessions_owner", "owner_id"),
    )
