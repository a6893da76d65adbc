from sqlalchemy import Boolean, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .document import DocumentMixin
from .types import IdString


class Action(DocumentMixin, db.Model):
    """A reusable action template (`freezer_action` plus retry settings)."""

    __tablename__ = "actions"
    ID_FIELD = "action_id"

    action_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    # A library entry: what an operator put in the library (POST /v1/actions, the
    # dashboard's library page), as opposed to the copy stored for an action embedded in a
    # job (freezer-v1.md §7.6), which the API lists too but the library page does not.
    in_library: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                             server_default=false())
    # the name an operator gave the entry in the dashboard (not part of the document)
    name: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        # ids are unique per project; v1 looks them up per user
        Index("uq_actions_project_action", "project_id", "action_id", unique=True),
        Index("ix_actions_user_action", "user_id", "action_id"),
        Index("ix_actions_project_library", "project_id", "in_library", "pk"),
    )

    SEARCH_COLUMNS = {"action_id": "action_id"}

    def sync_columns(self):
        self.action_id = self.doc["action_id"]
