"""The one call a change makes to be noticed: a row in the outbox, in the change's own
transaction (it flushes with it and commits or rolls back with it), so a committed failure
is never missed and a rolled-back one is never reported."""
from ...extensions import db
from ...models import OutboxEvent

RUN_ENDED = "run.ended"
SESSION_ENDED = "session.ended"


def emit(row, kind: str, result: str = "", **detail) -> None:
    """`row`: the job or session that changed (its project, writer and id)."""
    db.session.add(OutboxEvent(user_id=row.user_id, project_id=row.project_id, kind=kind,
                               subject=row.doc_id, result=result, detail=detail))
