"""API tokens: issued to an operator, shown once, stored as a sha256, revocable.
An agent presenting one acts as that operator (same owner id, same documents)."""
import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlalchemy import or_, select, update

from ..deferred import defer
from ..extensions import db
from ..models import ApiToken, User
from .. import clock
from ..services.errors import BadRequest, NotFound

#: last_used_at is written at most this often per token, so polling agents cause no write storm
TOUCH_EVERY = timedelta(seconds=60)
MAX_LABEL = 100


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
    return row


def revoke_all(user: User) -> int:
    """Revoke every live token of `user` at once; how many were live."""
    return db.session.execute(update(ApiToken).where(
        ApiToken.owner_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=clock.utcnow())).rowcount


def resolve(plain: str) -> tuple[ApiToken, User] | None:
    """The live token and its enabled operator, or None. The row is found by its hash (an index
    lookup), then the hashes are compared in constant time."""
    if not plain or len(plain) > 512:
        return None
    wanted = digest(plain)
    found = db.session.execute(
        select(ApiToken, User).join(User, ApiToken.owner_id == User.id)
        .where(ApiToken.token_hash == wanted, ApiToken.revoked_at.is_(None),
               User.disabled_at.is_(None))).first()
    if found is None or not hmac.compare_digest(found[0].token_hash, wanted):
        return None
    return found[0], found[1]


def needs_touch(token: ApiToken) -> bool:
    last = token.last_used_at
    return last is None or clock.utcnow() - last >= TOUCH_EVERY


def touch_later(token_id: int) -> None:
    """Record use after the request (its own transaction, which neither holds the request's
    locks nor is undone by a 4xx), unless recorded within TOUCH_EVERY: one conditional
    UPDATE, safe when several workers race (the WHERE makes the later ones no-ops)."""
    now = clock.utcnow()
    table = ApiToken.__table__
    defer(lambda connection: connection.execute(update(table).where(
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
