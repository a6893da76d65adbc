from datetime import datetime

from sqlalchemy import Index
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

    __table_args__ = (
        Index("uq_clients_user_client", "user_id", "client_id", unique=True),
        Index("ix_clients_user_last_seen", "user_id", "last_seen"),  # silent clients
    )

    SEARCH_COLUMNS = {"client_id": "client_id", "client.client_id": "client_id",
                      "hostname": "hostname", "client.hostname": "hostname"}

    def sync_columns(self):
        info = self.doc.get("client") or {}
        self.client_id = info["client_id"]
        hostname = info.get("hostname")
        self.hostname = hostname if isinstance(hostname, str) else None
