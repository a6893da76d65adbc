"""The one call a change makes to be noticed: a row in the outbox, in the change's own
transaction (it flushes with it and commits or rolls back with it), so a committed failure
is never missed and a rolled-back one is never reported."""
from ...extensions import db
from ...models import OutboxEvent

RUN_ENDED = "run.ended"
SESSION_ENDED = "session.ended"


def emit(user_id: str, kind: str, subject: str, result: str = "", **detail) -> None:
    db.session.add(OutboxEvent(user_id=user_id, kind=kind, subject=subject, result=result,
                               detail=detail))
