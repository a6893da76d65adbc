from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .document import DocumentMixin
from .types import IdString, Timestamp


# The rule for jobs.next_run_at is a service's (app/services/forecast.py registers it with
# use_next_run_rule): the models sit below the services and import none of them.
_next_run_rule: Callable[[dict], datetime | None] | None = None


def use_next_run_rule(rule: Callable[[dict], datetime | None]) -> None:
    global _next_run_rule
    _next_run_rule = rule


class Job(DocumentMixin, db.Model):
    __tablename__ = "jobs"
    ID_FIELD = "job_id"

    job_id: Mapped[str] = mapped_column(IdString(255), nullable=False)
    client_id: Mapped[str | None] = mapped_column(IdString(255))
    session_id: Mapped[str | None] = mapped_column(IdString(255))
    status: Mapped[str | None] = mapped_column(String(16))
    event: Mapped[str | None] = mapped_column(String(16))
    result: Mapped[str | None] = mapped_column(String(16))
    # The first fire time (naive UTC) at or after the job's last write; NULL when it will not
    # fire (stopped, completed, no schedule, ended). A computed fact, so a column and never
    # in the document (DECISIONS.md); services/forecast.py reads it as a lower bound.
    next_run_at: Mapped[datetime | None] = mapped_column(Timestamp())
    # Facts the watcher's rules read through indexes instead of scanning run history
    # (app/services/notify): the fire time the job owes as of its last write (next_run_at
    # as written; the forecast's refresh moves next_run_at, never this), the open run's
    # start, the typical run length (seconds, a moving average) and the last outcomes.
    due_at: Mapped[datetime | None] = mapped_column(Timestamp())
    run_started_at: Mapped[datetime | None] = mapped_column(Timestamp())
    avg_duration: Mapped[float | None] = mapped_column(Float)
    last_success_at: Mapped[datetime | None] = mapped_column(Timestamp())
    last_failure_at: Mapped[datetime | None] = mapped_column(Timestamp())

    __table_args__ = (
        # ids are unique per project; v1 looks them up per user
        Index("uq_jobs_project_job", "project_id", "job_id", unique=True),
        Index("ix_jobs_user_job", "user_id", "job_id"),
        # The agent's poll: user (v1) or project (v2) + client_id, status filtered, ordered
        # by pk (the secondary index carries the primary key, so the order comes from it).
        Index("ix_jobs_user_client", "user_id", "client_id"),
        Index("ix_jobs_project_client", "project_id", "client_id"),
        Index("ix_jobs_project_status", "project_id", "status"),
        Index("ix_jobs_project_session", "project_id", "session_id"),
        Index("ix_jobs_project_next_run", "project_id", "next_run_at"),
        Index("ix_jobs_user_status", "user_id", "status"),
        Index("ix_jobs_user_session", "user_id", "session_id"),
        # "what runs next": an index range on the caller's jobs, in fire-time order
        Index("ix_jobs_user_next_run", "user_id", "next_run_at"),
        # the watcher: missed fire times, runs open too long
        Index("ix_jobs_project_due", "project_id", "due_at"),
        Index("ix_jobs_project_run_started", "project_id", "run_started_at"),
        # the overview's jobs without a recent success (app/ui/queries.py)
        Index("ix_jobs_project_last_success", "project_id", "last_success_at"),
    )

    SEARCH_COLUMNS = {
        "job_id": "job_id",
        "client_id": "client_id",
        "session_id": "session_id",
        "status": "status",
        "job_schedule.status": "status",
        "event": "event",
        "job_schedule.event": "event",
        "result": "result",
        "job_schedule.result": "result",
    }

    def sync_columns(self):
        schedule = self.doc.get("job_schedule") or {}
        self.job_id = self.doc["job_id"]
        self.client_id = _str(self.doc.get("client_id"))
        self.session_id = _str(self.doc.get("session_id"))
        self.status = _str(schedule.get("status"))
        self.event = _str(schedule.get("event"))
        self.result = _str(schedule.get("result"))
        # here, so every write of a job document (jobs, sessions, events) keeps it in step
        if _next_run_rule is None:  # fail loudly rather than store a NULL fire time
            raise RuntimeError("app.services.forecast is not imported: it computes next_run_at")
        self.next_run_at = _next_run_rule(self.doc)
        self.due_at = self.next_run_at


def _str(value):
    return value if isinstance(value, str) else None
