from datetime import datetime, timezone

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .document import DocumentMixin
from .document import owner_project
from .types import IdString, JSONText, PrimaryKey, Timestamp


class Session(DocumentMixin, db.Model):
    """A group of jobs that start together (freezer-v1.md §8)."""

    __tablename__ = "sessions"
    ID_FIELD = "session_id"

    session_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    status: Mapped[str | None] = mapped_column(String(16))
    result: Mapped[str | None] = mapped_column(String(16))
    # when the open round started (time_start while running), for the watcher's overdue rule
    round_started_at: Mapped[datetime | None] = mapped_column(Timestamp())

    __table_args__ = (
        # ids are unique per project; v1 looks them up per user
        Index("uq_sessions_project_session", "project_id", "session_id", unique=True),
        Index("ix_sessions_user_session", "user_id", "session_id"),
        Index("ix_sessions_project_status", "project_id", "status"),
        Index("ix_sessions_user_status", "user_id", "status"),
        Index("ix_sessions_project_round", "project_id", "round_started_at"),
    )

    SEARCH_COLUMNS = {"session_id": "session_id", "status": "status", "result": "result"}

    def sync_columns(self):
        self.session_id = self.doc["session_id"]
        status, result = self.doc.get("status"), self.doc.get("result")
        self.status = status if isinstance(status, str) else None
        self.result = result if isinstance(result, str) else None
        self.round_started_at = None
        started = self.doc.get("time_start")
        if self.status == "running" and type(started) is int and started > 0:
            try:
                self.round_started_at = datetime.fromtimestamp(started, timezone.utc) \
                    .replace(tzinfo=None)
            except (OverflowError, OSError, ValueError):
                pass  # a nonsense time: no overdue check for this round


class SessionRound(db.Model):
    """A past round of a session, kept when it ends (or when the next round opens over one
    that never ended): the session document holds only its current round."""

    __tablename__ = "session_rounds"

    pk: Mapped[int] = mapped_column(PrimaryKey(), primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    project_id: Mapped[str] = mapped_column(IdString(255), nullable=False,
                                            default=owner_project)
    session_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    session_tag: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # epoch seconds, as the session document keeps them; ended_at NULL: it never ended
    started_at: Mapped[int | None] = mapped_column(BigInteger)
    ended_at: Mapped[int | None] = mapped_column(BigInteger)
    # success | fail, or "" for a round the next one replaced before it ended
    result: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    # the session's job entries at the end: {job_id: {client_id, status, result, ...}}
    jobs: Mapped[dict] = mapped_column(JSONText(), nullable=False, default=dict)

    __table_args__ = (Index("ix_session_rounds_project_session", "project_id", "session_id",
                            "pk"),)
