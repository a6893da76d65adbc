from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class Setting(db.Model):
    """Facts about how stored computed columns were computed, e.g. the SCHEDULE_TIMEZONE
    that jobs.next_run_at was computed in (services/forecast.py)."""

    __tablename__ = "settings"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), nullable=False)
