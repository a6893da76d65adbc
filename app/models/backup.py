import hashlib

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .document import DocumentMixin
from .types import IdString


def backup_id_hash(backup_id: str) -> str:
    # Backup ids embed container paths and can be long: the unique index is on a digest.
    return hashlib.sha256(backup_id.encode("utf-8")).hexdigest()


class Backup(DocumentMixin, db.Model):
    __tablename__ = "backups"
    ID_FIELD = "backup_id"

    backup_id: Mapped[str] = mapped_column(String(1024), nullable=False)
    id_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    container: Mapped[str | None] = mapped_column(IdString(255))
    hostname: Mapped[str | None] = mapped_column(IdString(255))
    backup_name: Mapped[str | None] = mapped_column(IdString(255))
    time_stamp: Mapped[int | None] = mapped_column(BigInteger)
    level: Mapped[int | None] = mapped_column(Integer)
    job_id: Mapped[str | None] = mapped_column(IdString(255))

    __table_args__ = (
        # ids are unique per project; v1 looks them up per user
        Index("uq_backups_project_id_hash", "project_id", "id_hash", unique=True),
        Index("ix_backups_user_id_hash", "user_id", "id_hash"),
        Index("ix_backups_project_time_stamp", "project_id", "time_stamp"),
        Index("ix_backups_project_hostname", "project_id", "hostname"),
        Index("ix_backups_user_container_host", "user_id", "container", "hostname"),
        Index("ix_backups_user_hostname", "user_id", "hostname"),
        Index("ix_backups_user_backup_name", "user_id", "backup_name"),
        Index("ix_backups_user_time_stamp", "user_id", "time_stamp"),
        Index("ix_backups_user_job", "user_id", "job_id"),
    )

    SEARCH_COLUMNS = {
        "backup_id": "backup_id",
        "container": "container",
        "backup_metadata.container": "container",
        "hostname": "hostname",
        "backup_metadata.hostname": "hostname",
        "backup_name": "backup_name",
        "backup_metadata.backup_name": "backup_name",
        "job_id": "job_id",
        "backup_metadata.job_id": "job_id",
    }

    V2_VIEW_DECODES = True

    @classmethod
    def v2_view(cls, doc: dict, project_id: str) -> dict:
        """v2 shows every backup with a `status` (v1 ones are `available`) and `backup_uuid`,
        the id the 6.5.0 CLI prints (DECISIONS.md)."""
        doc = super().v2_view(doc, project_id)
        doc.setdefault("status", "available")
        doc["backup_uuid"] = doc.get("backup_id")
        return doc

    def sync_columns(self):
        meta = self.doc.get("backup_metadata") or {}
        self.backup_id = self.doc["backup_id"]
        self.id_hash = backup_id_hash(self.backup_id)
        self.container = _str(meta.get("container"))
        self.hostname = _str(meta.get("hostname", meta.get("host_name")))
        self.backup_name = _str(meta.get("backup_name"))
        self.time_stamp = _int(meta.get("time_stamp", meta.get("timestamp")))
        self.level = _int(meta.get("curr_backup_level", meta.get("level")))
        self.job_id = _str(meta.get("job_id"))


def _str(value):
    return value if isinstance(value, str) else None


def _int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None
