"""What every stored document shares: an owner and its project, a version counter, the JSON document
and the columns derived from it for indexed filtering."""
import json
from datetime import datetime

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from ..clock import utcnow
from .types import IdString, JSONText, PrimaryKey, Timestamp, dumps


def owner_project(context) -> str:
    return context.get_current_parameters()["user_id"]


class DocumentMixin:
    #: key of the document's id inside the JSON document, e.g. "job_id"
    ID_FIELD: str = ""
    #: bare search keys answered by an indexed column instead of the JSON document
    SEARCH_COLUMNS: dict = {}

    # pk gives the stable creation order that offset paging relies on
    pk: Mapped[int] = mapped_column(PrimaryKey(), primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    # The project the document belongs to (DECISIONS.md "Projects and v2"): v2 reads by it,
    # v1 by user_id. Services always stamp it; a row inserted without one (old scripts,
    # benches) gets its owner's own project, the user id.
    project_id: Mapped[str] = mapped_column(IdString(255), nullable=False,
                                            default=owner_project)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    doc: Mapped[dict] = mapped_column(JSONText(), nullable=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False, default=utcnow,
                                                 onupdate=utcnow)

    @property
    def doc_id(self) -> str:
        return getattr(self, self.ID_FIELD)

    def set_doc(self, doc: dict) -> None:
        """Store a new document and keep the indexed columns in step with it."""
        self.doc = json.loads(dumps(doc))  # a private copy, 3x faster than copy.deepcopy
        self.sync_columns()

    def bump(self) -> None:
        self.version = (self.version or 0) + 1

    def sync_columns(self) -> None:  # pragma: no cover - every model overrides
        raise NotImplementedError

    #: v2 shows this kind decoded (v2_view changes more than a spliced `project_id`)
    V2_VIEW_DECODES = False

    @classmethod
    def v2_view(cls, doc: dict, project_id: str) -> dict:
        """The document as v2 answers it: with the project it belongs to."""
        doc["project_id"] = project_id
        return doc
