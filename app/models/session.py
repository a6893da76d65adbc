from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .document import DocumentMixin
from .types import IdString


class Session(DocumentMixin, db.Model):
    """A group of jobs that start together (freezer-v1.md §8)."""

    __tablename__ = "sessions"
    ID_FIELD = "session_id"

    session_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    status: Mapped[str | None] = mapped_column(String(16))
    result: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        Index("uq_sessions_user_session", "user_id", "session_id", unique=True),
        Index("ix_sessions_user_status", "user_id", "status"),
    )

    SEARCH_COLUMNS = {"session_id": "session_id", "status": "status", "result": "result"}

    def sync_columns(self):
        self.session_id = self.doc["session_id"]
        status, result = self.doc.get("status"), self.doc.get("result")
        self.status = status if isinstance(status, str) else None
        self.result = result if isinstance(result, str) else None
