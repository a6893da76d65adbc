from datetime import datetime

from sqlalchemy import Boolean, Index
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .document import DocumentMixin
from .types import IdString, Timestamp


class Client(DocumentMixin, db.Model):
    """A registered agent. The stored document is `{"client": {...}, "user_id": ...}`."""

    __tablename__ = "clients"
    ID_FIELD = "client_id"

    client_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    hostname: Mapped[str | None] = mapped_column(IdString(255))
    # When the agent last registered or polled; kept out of the document agents read back.
    last_seen: Mapped[datetime | None] = mapped_column(Timestamp())
    # A central scheduler's client (v2 `is_central`): privileged callers of every project see it.
    is_central: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    __table_args__ = (
        # ids are unique per project; v1 looks them up per user
        Index("uq_clients_project_client", "project_id", "client_id", unique=True),
        Index("ix_clients_user_client", "user_id", "client_id"),
        Index("ix_clients_central", "is_central"),
        Index("ix_clients_project_last_seen", "project_id", "last_seen"),
    )

    SEARCH_COLUMNS = {"client_id": "client_id", "client.client_id": "client_id",
                      "hostname": "hostname", "client.hostname": "hostname"}

    V2_VIEW_DECODES = True

    @classmethod
    def v2_view(cls, doc: dict, project_id: str) -> dict:
        doc = super().v2_view(doc, project_id)
        if isinstance(doc.get("client"), dict):
            doc["client"].setdefault("is_central", False)
        return doc

    def sync_columns(self):
        info = self.doc.get("client") or {}
        self.client_id = info["client_id"]
        hostname = info.get("hostname")
        self.hostname = hostname if isinstance(hostname, str) else None
        self.is_central = info.get("is_central") is True
