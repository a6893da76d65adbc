"""Dashboard sessions kept on the server (OperatorSession): the cookie carries only a random
session key, so signing out, changing a password or disabling an operator ends a session
even where a copy of its cookie survives. A session also ends after SESSION_IDLE_MINUTES
without use and SESSION_MAX_HOURS after sign-in, whatever the cookie says."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app, g, request, session
from flask_login import login_user, logout_user
from sqlalchemy import delete, or_, select, update

from ..deferred import defer
from ..extensions import db
from ..models import OperatorSession, User
from .. import clock

#: last_seen_at is written at most this often per session (the idle timeout's resolution)
TOUCH_EVERY = timedelta(seconds=60)
#: sent by the dashboard's polling elements: a page left open is not activity
POLL_HEADER = "X-Freezer-Poll"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _idle() -> timedelta:
    return timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])


def _lifetime() -> timedelta:
    return timedelta(hours=current_app.config["SESSION_MAX_HOURS"])


def _address() -> str:
    return (request.remote_addr or "")[:64]


def start(user: User) -> bool:
    """Sign `user` in: a new server-side session, and a cookie holding nothing of the one
    before it (a new CSRF token too: one captured before sign-in is worthless after)."""
    if not user.is_active:
        return False
    now = clock.utcnow()
    # this operator's dead sessions go now, so the table holds live ones plus one window
    db.session.execute(delete(OperatorSession).where(
        OperatorSession.owner_id == user.id,
        or_(OperatorSession.revoked_at.is_not(None),
            OperatorSession.created_at < now - _lifetime(),
            OperatorSession.last_seen_at < now - _idle())))
    key = secrets.token_urlsafe(32)
    row = OperatorSession(owner_id=user.id, id_hash=_digest(key), address=_address(),
                          created_at=now, last_seen_at=now)
    db.session.add(row)
    db.session.flush()
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    user.session_key, user.session_row_id = key, row.id
    return login_user(user)


def load(key: str) -> User | None:
    """flask-login's user loader: the operator of a live session, else None."""
    if not key or len(key) > 128:
        return None
    found = db.session.execute(
        select(OperatorSession, User).join(User, OperatorSession.owner_id == User.id)
        .where(OperatorSession.id_hash == _digest(key),
               OperatorSession.revoked_at.is_(None))).first()
    if found is None:
        return None
    row, user = found
    now = clock.utcnow()
    if user.disabled_at is not None or now - row.created_at > _lifetime() \
            or now - row.last_seen_at > _idle():
        return None
    if now - row.last_seen_at >= TOUCH_EVERY and not request.headers.get(POLL_HEADER):
        _touch_later(row.id, now)
    user.session_key, user.session_row_id = key, row.id
    return user


def _touch_later(row_id: int, now) -> None:
    table = OperatorSession.__table__
    defer(lambda connection: connection.execute(
        update(table).where(table.c.id == row_id, table.c.last_seen_at < now)
        .values(last_seen_at=now)))


def end(user) -> None:
    """Sign-out: the session is revoked on the server, then the cookie is emptied."""
    row_id = getattr(user, "session_row_id", None)
    if row_id is not None:
        db.session.execute(update(OperatorSession).where(
            OperatorSession.id == row_id, OperatorSession.revoked_at.is_(None))
            .values(revoked_at=clock.utcnow()))
    logout_user()
    session.clear()


def revoke_all(user: User, keep_row_id: int | None = None) -> int:
    """End every session of `user` (but `keep_row_id`): password change, disable."""
    query = update(OperatorSession).where(OperatorSession.owner_id == user.id,
                                          OperatorSession.revoked_at.is_(None))
    if keep_row_id is not None:
        query = query.where(OperatorSession.id != keep_row_id)
    return db.session.execute(query.values(revoked_at=clock.utcnow())).rowcount


def live_count(user: User) -> int:
    now = clock.utcnow()
    return len(db.session.scalars(select(OperatorSession.id).where(
        OperatorSession.owner_id == user.id, OperatorSession.revoked_at.is_(None),
        OperatorSession.created_at >= now - _lifetime(),
        OperatorSession.last_seen_at >= now - _idle())).all())
