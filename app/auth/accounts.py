"""Operator accounts: create, find, sign in, change password. Used by the CLI and the login
page; like every service it only flushes (the request or the CLI command commits)."""
import re
import secrets

from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select

from .. import audit
from ..extensions import db
from ..models import ApiToken, OperatorSession, User
from .. import clock
from ..models.user import new_owner_id
from ..services.errors import BadRequest, Conflict, NotFound
from . import passwords, sessions, tokens

USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,149}$")
OWNER_ID = re.compile(r"^[\w-]{1,255}$")


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < passwords.MIN_LENGTH:
        raise BadRequest(f"A password needs at least {passwords.MIN_LENGTH} characters",
                         errors={"password": f"at least {passwords.MIN_LENGTH} characters"})


def find(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == username))


def get(username: str) -> User:
    user = find(username)
    if user is None:
        raise NotFound(f"No operator named {username!r}")
    return user


def list_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.id)))


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def create(username: str, password: str, is_admin: bool = False, user_id: str | None = None,
           project_id: str | None = None) -> User:
    """`user_id` is normally generated; give one to let an operator see documents that
    already belong to that owner (e.g. a Keystone user id, or an id used in noauth mode).
    `project_id` is the project the account works in; by default one of its own (its user
    id), so accounts are isolated unless several are given the same project."""
    if not isinstance(username, str) or not USERNAME.fullmatch(username):
        raise BadRequest("A username is 1 to 150 letters, digits and . _ @ -, starting with "
                         "a letter or digit", errors={"username": "invalid"})
    _check_password(password)
    if user_id is not None and not OWNER_ID.fullmatch(user_id):
        raise BadRequest("An owner id is 1 to 255 letters, digits, _ and -",
                         errors={"user_id": "invalid"})
    if project_id is not None and not OWNER_ID.fullmatch(project_id):
        raise BadRequest("A project id is 1 to 255 letters, digits, _ and -",
                         errors={"project_id": "invalid"})
    if find(username) is not None:
        raise Conflict(f"An operator named {username!r} already exists")
    if user_id is not None and db.session.scalar(select(User).where(User.user_id == user_id)):
        raise Conflict(f"Another operator already has the owner id {user_id!r}")
    user = User(username=username, password_hash=passwords.hash_password(password),
                is_admin=bool(is_admin))
    user.user_id = user_id or new_owner_id()
    user.project_id = project_id or user.user_id
    db.session.add(user)
    db.session.flush()
    audit.record("account.create", username, admin=bool(is_admin), owner=user.user_id)
    return user


def set_password(username: str, password: str, keep_session_row_id: int | None = None) -> User:
    """A new password ends every dashboard session of that operator (but the one changing
    it, when given)."""
    _check_password(password)
    user = get(username)
    user.password_hash = passwords.hash_password(password)
    ended = sessions.revoke_all(user, keep_row_id=keep_session_row_id)
    db.session.flush()
    audit.record("account.password", username, sessions_ended=ended)
    return user


def _other_active_admins(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(
        User.is_admin.is_(True), User.disabled_at.is_(None), User.id != user.id))


def _keep_an_admin(user: User, doing: str) -> None:
    if user.is_admin and user.disabled_at is None and not _other_active_admins(user):
        raise Conflict(f"{user.username} is the last active administrator: cannot {doing} "
                       f"them (make another operator an administrator first)")


def disable(username: str) -> User:
    """The operator can no longer sign in; their sessions end and their tokens answer 401
    at once (in every worker within tokens.RECHECK_EVERY; the tokens are kept, so enabling
    the operator brings them back)."""
    user = get(username)
    if user.disabled_at is None:
        _keep_an_admin(user, "disable")
        user.disabled_at = clock.utcnow()
        ended = sessions.revoke_all(user)
        tokens.forget(owner_id=user.id)  # this worker at once, the others within a second
        db.session.flush()
        audit.record("account.disable", username, sessions_ended=ended)
    return user


def enable(username: str) -> User:
    user = get(username)
    if user.disabled_at is not None:
        user.disabled_at = None
        db.session.flush()
        audit.record("account.enable", username)
    return user


def delete(username: str) -> User:
    """The account goes with its tokens and sessions; the documents it owned stay under
    its owner id (an operator created with `--user-id` that id sees them again)."""
    user = get(username)
    _keep_an_admin(user, "delete")
    db.session.execute(sa_delete(ApiToken).where(ApiToken.owner_id == user.id))
    tokens.forget(owner_id=user.id)
    db.session.execute(sa_delete(OperatorSession).where(OperatorSession.owner_id == user.id))
    db.session.delete(user)
    db.session.flush()
    audit.record("account.delete", username, owner=user.user_id)
    return user


def authenticate(username: str, password: str) -> User | None:
    """The operator if the password is right and the account enabled, else None (same
    work either way)."""
    user = find(username) if isinstance(username, str) and USERNAME.fullmatch(username) else None
    if not passwords.verify(user.password_hash if user else None, password or ""):
        return None
    if user.disabled_at is not None:
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        db.session.flush()
    return user


def bootstrap_admin() -> tuple[User, str] | None:
    """On an empty database: an `admin` operator with a random password (returned once)."""
    if count():
        return None
    password = secrets.token_urlsafe(15)
    return create("admin", password, is_admin=True), password
