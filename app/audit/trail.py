"""Reading and trimming the audit trail (the dashboard page and `flask audit`)."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from .. import clock
from ..extensions import db
from ..models import AuditEvent

MAX_PAGE = 500


@dataclass
class Filters:
    actor: str = ""
    event: str = ""      # an exact event, or a prefix ending in "." (e.g. "token.")
    since: datetime | None = None
    before_id: int | None = None  # paging: events older than this one


def page(filters: Filters, limit: int = 50) -> list[AuditEvent]:
    """Newest first, at most `limit` (a range on the primary key: cost independent of
    the table's size)."""
    query = select(AuditEvent)
    if filters.actor:
        query = query.where(AuditEvent.actor == filters.actor)
    if filters.event:
        query = query.where(AuditEvent.event.startswith(filters.event, autoescape=True)
                            if filters.event.endswith(".") else AuditEvent.event == filters.event)
    if filters.since is not None:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.before_id is not None:
        query = query.where(AuditEvent.id < filters.before_id)
    limit = max(1, min(int(limit), MAX_PAGE))
    return list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))


def purge(keep_days: int) -> int:
    """Delete events older than `keep_days` (the retention); how many went."""
    cutoff = clock.utcnow() - timedelta(days=keep_days)
    return db.session.execute(delete(AuditEvent).where(AuditEvent.at < cutoff)
                              .execution_options(synchronize_session=False)).rowcount
