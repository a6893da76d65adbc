"""Throttles on failed credential checks: dashboard sign-ins (per address, per address and
username) and /v1 token checks (per address). The counts live in the database by default
(auth_failures), so every gunicorn worker and every host sharing the database counts the
same failures, with no extra service; RATELIMIT_STORAGE_URI names a `limits` storage
instead (redis://host:6379, memory:// for one process). Limits are `limits` strings
("5 per minute;20 per hour"), each a moving window. Only failures count, and a check
already refused is not counted again, so an attacker's writes are bounded by the limit."""
import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from limits import parse_many, storage, strategies
from sqlalchemy import delete, func, insert, select

from .. import clock
from ..deferred import defer
from ..extensions import db
from ..models import AuthFailure

DATABASE = "database"


@dataclass(frozen=True)
class Counter:
    """One throttle: `scope` names it, `key` is who it counts (an address, ...), `config`
    the configuration key holding its limits."""
    scope: str
    key: str
    config: str

    def limits(self):
        return parse_many(current_app.config[self.config])

    @property
    def key_hash(self) -> str:
        return hashlib.sha256(self.key.encode("utf-8", "surrogatepass")).hexdigest()


def _enabled() -> bool:
    return current_app.config.get("RATELIMIT_ENABLED", True)


def _uri() -> str:
    return current_app.config.get("RATELIMIT_STORAGE_URI") or DATABASE


@lru_cache(maxsize=8)
def _moving_window(uri: str):
    return strategies.MovingWindowRateLimiter(storage.storage_from_string(uri))


def retry_after(counters: list[Counter]) -> int | None:
    """Seconds until a refused caller may try again, or None when no limit is reached."""
    if not _enabled():
        return None
    waits = [_wait(counter, item) for counter in counters for item in counter.limits()]
    waits = [w for w in waits if w is not None]
    return max(waits) if waits else None


def _wait(counter: Counter, item) -> int | None:
    uri = _uri()
    if uri != DATABASE:
        limiter = _moving_window(uri)
        if limiter.test(item, counter.scope, counter.key_hash):
            return None
        reset, _remaining = limiter.get_window_stats(item, counter.scope, counter.key_hash)
        return max(1, math.ceil(reset - clock.now()))
    window = timedelta(seconds=item.get_expiry())
    now = clock.utcnow()
    count, oldest = db.session.execute(
        select(func.count(), func.min(AuthFailure.at)).where(
            AuthFailure.scope == counter.scope, AuthFailure.key_hash == counter.key_hash,
            AuthFailure.at > now - window)).one()
    if count < item.amount:
        return None
    return max(1, math.ceil((oldest + window - now).total_seconds()))


def failed(counters: list[Counter]) -> None:
    """Count one failure on each counter (in the database: after the request, in its own
    transaction, so the request's rollback of its 401 does not undo it)."""
    if not _enabled():
        return
    uri = _uri()
    if uri != DATABASE:
        limiter = _moving_window(uri)
        for counter in counters:
            for item in counter.limits():
                limiter.hit(item, counter.scope, counter.key_hash)
        return
    now = clock.utcnow()
    rows = [(c.scope, c.key_hash, max(i.get_expiry() for i in c.limits())) for c in counters]
    table = AuthFailure.__table__

    def write(connection):
        for scope, key_hash, longest in rows:
            # what no window can see any more goes with each new failure of that key
            connection.execute(delete(table).where(
                table.c.scope == scope, table.c.key_hash == key_hash,
                table.c.at <= now - timedelta(seconds=longest)))
            connection.execute(insert(table).values(scope=scope, key_hash=key_hash, at=now))
    defer(write)


def purge(older_than: timedelta) -> int:
    """Remove counts older than any window (`flask audit purge` calls it)."""
    return db.session.execute(delete(AuthFailure).where(
        AuthFailure.at < clock.utcnow() - older_than)).rowcount
