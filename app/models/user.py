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
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False, default=utcnow)

    tokens: Mapped[list["ApiToken"]] = relationship(back_populates="owner",
                                                    cascade="all, delete-orphan",
                                                    passive_deletes=True)

    __table_args__ = (
        Index("uq_users_username", "username", unique=True),
        Index("uq_users_user_id", "user_id", unique=True),
    )

    def get_id(self) -> str:
        """flask-login's session id: the owner id plus a fingerprint of the password hash,
        so changing a password signs out every other session of that operator."""
        from ..auth.passwords import fingerprint
        return f"{self.user_id}.{fingerprint(self.password_hash)}"


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
