from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import IdString, PrimaryKey


class ImportMark(db.Model):
    """What `freezer-manage import --from URL` last wrote to a document: the version the
    document had then and the digest of the source's content. A rerun compares both to tell
    a source change (update ours) from a change made here since (keep ours); see
    app/cli/source_import.py. A surrogate key, the natural one unique: the store file moves
    tables by a one-column key (app/cli/store_file.py)."""

    __tablename__ = "import_marks"

    pk: Mapped[int] = mapped_column(PrimaryKey(), primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)  # clients, jobs, ...
    project_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    doc_id: Mapped[str] = mapped_column(IdString(1024), nullable=False)
    # sha256 (hex) of doc_id: backup ids are too long for a unique index (as in backups)
    id_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    # sha256 (hex) of the source's document as stored here, canonical JSON (sorted keys)
    source_digest: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (
        Index("uq_import_marks_doc", "kind", "project_id", "id_hash", unique=True),
    )
