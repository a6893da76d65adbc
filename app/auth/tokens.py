"""API tokens: issued to an operator, shown once, stored as a sha256, revocable.
An agent presenting one acts as that operator (same owner id, same documents)."""
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from types import SimpleNamespace
from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select, update

from .. import audit, context
from ..connection import connection
from ..deferred import defer
from ..extensions import db
from ..models import ApiToken, User
from .. import clock
from ..services.errors import BadRequest, NotFound

#: last_used_at is written at most this often per token, so polling agents cause no write storm
TOUCH_EVERY = timedelta(seconds=60)
MAX_LABEL = 100
#: A worker looks a token up in the database at most this often (seconds) and answers from
#: memory in between: a token revoked (or whose operator is deleted) anywhere stops working
#: in every worker within this long; in the worker that revoked it, at once.
RECHECK_EVERY = 1.0
_CACHE_MAX = 10_000  # live tokens held per worker; past this the memory starts afresh


def digest(token: str) -> str:
    # sha256 suffices: tokens carry 256 random bits, so there is nothing to brute-force.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(user: User, label: str = "") -> tuple[ApiToken, str]:
    label = (label or "").strip()
    if len(label) > MAX_LABEL:
        raise BadRequest(f"A label has at most {MAX_LABEL} characters",
                         errors={"label": f"at most {MAX_LABEL} characters"})
    plain = secrets.token_urlsafe(32)
    row = ApiToken(owner_id=user.id, token_hash=digest(plain), label=label)
    db.session.add(row)
    db.session.flush()
    audit.record("token.create", str(row.id), owner=user.username, label=label)
    return row, plain


def list_for(user: User) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.owner_id == user.id)
                                   .order_by(ApiToken.id)))


def revoke(token_id: int, owner: User | None = None) -> ApiToken:
    """Revoke by id; with `owner`, only that operator's token (another's answers 404)."""
    query = select(ApiToken).where(ApiToken.id == token_id)
    if owner is not None:
        query = query.where(ApiToken.owner_id == owner.id)
    row = db.session.scalar(query)
    if row is None:
        raise NotFound(f"No token with id {token_id}")
    if row.revoked_at is None:
        row.revoked_at = clock.utcnow()
        db.session.flush()
        audit.record("token.revoke", str(row.id), owner=row.owner.username, label=row.label)
    forget(row.id)
    return row


def revoke_all(user: User) -> int:
    """Revoke every live token of `user` at once; how many were live."""
    forget(owner_id=user.id)
    count = db.session.execute(update(ApiToken).where(
        ApiToken.owner_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.utcnow()).execution_options(synchronize_session=False)).rowcount
    audit.record("token.revoke-all", user.username, revoked=count)
    return count


def forget(token_id: int | None = None, owner_id: int | None = None) -> None:
    """This worker stops answering from memory for that token, or for every token of that
    operator (the other workers within RECHECK_EVERY)."""
    cache = _cache()
    for key, (_, (live, _owner)) in list(cache.items()):
        if live.id == token_id or live.owner_id == owner_id:
            cache.pop(key, None)


@dataclass
class LiveToken:
    """What a request needs of a live token (no ORM objects: the lookup runs on every /v1
    request)."""
    id: int
    token_hash: str
    last_used_at: datetime | None
    owner_id: int


class Owner(SimpleNamespace):
    """The token's operator: every column of `users` but the password hash."""


_OWNER_COLUMNS = [c for c in User.__table__.c if c.name != "password_hash"]


def _lookup():
    tokens, users = ApiToken.__table__, User.__table__
    return (select(tokens.c.id, tokens.c.token_hash, tokens.c.last_used_at, tokens.c.owner_id,
                   *[c.label(f"operator_{c.name}") for c in _OWNER_COLUMNS])
            .join(users, tokens.c.owner_id == users.c.id)
            .where(tokens.c.token_hash == bindparam("wanted"), tokens.c.revoked_at.is_(None),
                   users.c.disabled_at.is_(None)))


_LOOKUP = _lookup()  # Core, built once: its compiled form is cached by SQLAlchemy


def _live(row) -> tuple[LiveToken, Owner]:
    values = row._mapping
    return (LiveToken(row.id, row.token_hash, row.last_used_at, row.owner_id),
            Owner(**{c.name: values[f"operator_{c.name}"] for c in _OWNER_COLUMNS}))


def _cache() -> dict:
    return context.app().extensions.setdefault("freezer_live_tokens", {})


def resolve(plain: str) -> tuple[LiveToken, Owner] | None:
    """The live token and its enabled operator, or None. The row is found by its hash (an
    index lookup, at most once per RECHECK_EVERY per worker), then the hashes are compared
    in constant time."""
    if not plain or len(plain) > 512:
        return None
    wanted = digest(plain)
    cache, now = _cache(), time.monotonic()
    held = cache.get(wanted)
    if held is None or held[0] <= now:
        row = connection().execute(_LOOKUP, {"wanted": wanted}).first()
        if row is None:  # unknown, revoked or disabled: never remembered
            cache.pop(wanted, None)
            return None
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        held = (now + RECHECK_EVERY, _live(row))
        cache[wanted] = held
    token, owner = held[1]
    if not hmac.compare_digest(token.token_hash, wanted):
        return None
    return token, owner


def needs_touch(token: LiveToken) -> bool:
    """Whether this request should record the token's use; if so, it is noted as used now,
    so the requests this worker answers from memory meanwhile do not record it again."""
    last, now = token.last_used_at, clock.utcnow()
    if last is not None and now - last < TOUCH_EVERY:
        return False
    token.last_used_at = now
    return True


def touch_later(token_id: int) -> None:
    """Record use after the request (its own transaction, which neither holds the request's
    locks nor is undone by a 4xx), unless recorded within TOUCH_EVERY: one conditional
    UPDATE, safe when several workers race (the WHERE makes the later ones no-ops)."""
    now = clock.utcnow()
    table = ApiToken.__table__
    defer(lambda conn: conn.execute(update(table).where(
        table.c.id == token_id,
        or_(table.c.last_used_at.is_(None), table.c.last_used_at <= now - TOUCH_EVERY),
    ).values(last_used_at=now)))


def use(plain: str) -> tuple[ApiToken, User] | None:
    """`resolve`, and the token's last use recorded (at most once per TOUCH_EVERY): what every
    place that accepts a token from a caller does."""
    found = resolve(plain) if plain else None
    if found is not None and needs_touch(found[0]):
        touch_later(found[0].id)
    return found
