from sqlalchemy import Index
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .document import DocumentMixin
from .types import IdString


class Action(DocumentMixin, db.Model):
    """A reusable action template (`freezer_action` plus retry settings)."""

    __tablename__ = "actions"
    ID_FIELD = "action_id"

    action_id: Mapped[str] = mapped_column(IdString(255), nullable=False)

    __table_args__ = (
        # ids are unique per project; v1 looks them up per user
        Index("uq_actions_project_action", "project_id", "action_id", unique=True),
        Index("ix_actions_user_action", "user_id", "action_id"),
    )

    SEARCH_COLUMNS = {"action_id": "action_id"}

    def sync_columns(self):
        self.action_id = self.doc["action_id"]
