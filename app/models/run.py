from datetime import datetime

from sqlalchemy import Double, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .document import owner_project
from .types import IdString, JSONText, PrimaryKey, Timestamp


class Run(db.Model):
    """One execution of a job, as its agent reported it: opened when the job moves to
    `running`, closed by its next result or move out of running. Kept apart from the job
    document, which agents PATCH back whole (DECISIONS.md, Jobs)."""

    __tablename__ = "runs"
    BACKUPS_LISTED = 100

    pk: Mapped[int] = mapped_column(PrimaryKey(), primary_key=True, autoincrement=True)
    # the job's project and owner: a run belongs to the job (project_id, job_id)
    user_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    project_id: Mapped[str] = mapped_column(IdString(255), nullable=False,
                                            default=owner_project)
    job_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    client_id: Mapped[str | None] = mapped_column(IdString(255))
    started_at: Mapped[datetime] = mapped_column(Timestamp(), nullable=False)
    # NULL while the run is open
    ended_at: Mapped[datetime | None] = mapped_column(Timestamp())
    # success | fail | aborted | "" (left running without a result); NULL while open
    result: Mapped[str | None] = mapped_column(String(16))
    # Its backups are those posted with the job's id while it was open, which name it
    # (backups.run_pk); while it is open they are counted from there on every read, and
    # these columns keep what they were when it closed (app/services/runs.py
    # `backup_facts`): how many, the first BACKUPS_LISTED [{"backup_id",
    # "backup_size_compressed", "backup_size_uncompressed"}], and the sizes summed (MB;
    # NULL while none reported one)
    backup_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    backups: Mapped[list] = mapped_column(JSONText(), nullable=False, default=list)
    backup_size_compressed: Mapped[float | None] = mapped_column(Double)
    backup_size_uncompressed: Mapped[float | None] = mapped_column(Double)

    __table_args__ = (
        # a job's runs newest first (pk order), its open run, its last success
        Index("ix_runs_project_job", "project_id", "job_id", "pk"),
        Index("ix_runs_project_job_result", "project_id", "job_id", "result"),
        # a project's runs in a time range (the fleet activity timeline)
        Index("ix_runs_project_started", "project_id", "started_at"),
        # runs by start time (failed in the last day; the dashboard's 24 h / 7 d totals,
        # covered); replaces (started_at), its prefix
        Index("ix_runs_started_project", "started_at", "project_id", "result"),
    )

    @property
    def open(self) -> bool:
        return self.ended_at is None
