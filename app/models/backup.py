import hashlib

from sqlalchemy import BigInteger, Double, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .document import DocumentMixin
from .types import IdString

SET_KEY_LENGTH = 200


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
    # The backup set (hostname, name, container) as one sortable key, so the dashboard pages
    # backups by set in one index (four 255-character columns exceed InnoDB's key length).
    set_key: Mapped[str | None] = mapped_column(IdString(SET_KEY_LENGTH))
    # MB, as agents report them in the metadata (None when not reported)
    size_compressed: Mapped[float | None] = mapped_column(Double)
    size_uncompressed: Mapped[float | None] = mapped_column(Double)
    # the run of its job that was open when it was posted (runs.pk; NULL: none was): the
    # run's backups are the ones naming it (app/services/runs.py), so joining one is this
    # column in the backup's own INSERT, and the run's row is not written
    run_pk: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        # ids are unique per project; v1 looks them up per user
        Index("uq_backups_project_id_hash", "project_id", "id_hash", unique=True),
        Index("ix_backups_user_id_hash", "user_id", "id_hash"),
        Index("ix_backups_user_container_host", "user_id", "container", "hostname"),
        Index("ix_backups_user_hostname", "user_id", "hostname"),
        Index("ix_backups_user_backup_name", "user_id", "backup_name"),
        Index("ix_backups_user_time_stamp", "user_id", "time_stamp"),
        Index("ix_backups_user_job", "user_id", "job_id"),
        # the dashboard's history (app/services/history.py): covering index ranges on time,
        # per project, per host and per set; also v2's ranges on (project, time_stamp) and
        # (project, hostname), their leading columns (0015: no narrower copies to write)
        Index("ix_backups_project_time_sizes", "project_id", "time_stamp", "size_compressed",
              "size_uncompressed"),
        Index("ix_backups_project_host_time", "project_id", "hostname", "time_stamp",
              "size_compressed", "size_uncompressed"),
        Index("ix_backups_project_set", "project_id", "set_key", "time_stamp", "level",
              "size_compressed", "size_uncompressed"),
        # a job's backups, newest first (the job page; v1 has (user_id, job_id))
        Index("ix_backups_project_job", "project_id", "job_id", "time_stamp"),
        # a run's backups, in posting order, with what its totals sum
        Index("ix_backups_run", "run_pk", "size_compressed", "size_uncompressed"),
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
        self.set_key = set_key(self.hostname, self.backup_name, self.container)
        self.size_compressed = _size(meta.get("backup_size_compressed"))
        self.size_uncompressed = _size(meta.get("backup_size_uncompressed"))



def set_key(hostname, backup_name, container) -> str:
    """Host, name and container joined by "|" (so sets sort by host, then name), "%" and "|"
    inside a part escaped so two sets never share a key, and nothing in it a control
    character (every stored string is free of them); a key too long for the column keeps a
    prefix and a digest of the whole."""
    key = "|".join((part or "").replace("%", "%25").replace("|", "%7C")
                   for part in (hostname, backup_name, container))
    if len(key) > SET_KEY_LENGTH:
        key = key[:SET_KEY_LENGTH - 17] + "#" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return key


def _size(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


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
