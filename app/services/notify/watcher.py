"""The watcher: one tick evaluates every rule (outbox events first, then the clock-based
rules), builds the grouped notices, then delivers what is due. `flask watcher run` ticks in
a loop; tests call tick() with the clock set (app/clock.py).

Several watchers may run (one per host, beside each app server): evaluation is done by one
at a time, the one holding the lock row (settings "watcher.lock", SELECT ... FOR UPDATE SKIP
LOCKED: the others skip evaluation for that tick); delivery is shared, each notice claimed
by one watcher (services/notify/delivery.py)."""
import logging
import signal
import time

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ... import db as database
from ...extensions import db
from ...models import Setting
from ... import clock
from ..runs import iso
from . import delivery, incidents, notices

log = logging.getLogger(__name__)
LOCK = "watcher.lock"   # its value: when evaluation last ran (the liveness /metrics shows)


def _take_lock() -> bool:
    stmt = select(Setting).where(Setting.name == LOCK).with_for_update(skip_locked=True)
    row = db.session.scalars(stmt).first()
    if row is not None:
        row.value = iso(clock.utcnow())
        return True
    if db.session.get(Setting, LOCK) is not None:
        return False  # another watcher holds it
    try:
        with db.session.begin_nested():
            db.session.add(Setting(name=LOCK, value=iso(clock.utcnow())))
    except IntegrityError:
        return False
    return True


def evaluate() -> dict:
    """Events, clock rules and notices, in one transaction under the lock."""
    stats = {"events": 0, "rules": 0, "notices": 0, "evaluated": False}
    try:
        if not _take_lock():
            db.session.rollback()
            return stats
        now = clock.utcnow()
        stats["evaluated"] = True
        rules = incidents.enabled_rules()
        live = incidents.Live(rules)
        stats["rules"] = len(rules)
        stats["events"] = incidents.apply_events(rules, live, now)
        incidents.clear_deleted(rules, live, now)
        incidents.evaluate_clock_rules(rules, live, now)
        stats["notices"] = notices.build(rules, live, now)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return stats


def tick() -> dict:
    """One tick: evaluate (if no other watcher is), then deliver due notices until none
    is left to claim (bounded: a round claims at most CLAIM_BATCH)."""
    with database.write_transactions():
        stats = evaluate()
        delivered = 0
        for _ in range(50):
            n = delivery.deliver_due()
            delivered += n
            if n < delivery.CLAIM_BATCH:
                break
    stats["delivered"] = delivered
    return stats


def run(interval: float) -> None:
    """Tick every `interval` seconds until SIGTERM or Ctrl-C; a database outage is logged
    and retried at the next tick."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    log.info("watcher: ticking every %.1f s", interval)
    try:
        while not stopping:
            started = time.monotonic()
            try:
                stats = tick()
                if stats["notices"] or stats["delivered"]:
                    log.info("watcher tick: %s", stats)
            except SQLAlchemyError as exc:
                db.session.rollback()
                log.warning("watcher tick failed (database): %s", exc)
            finally:
                db.session.remove()
            pause = interval - (time.monotonic() - started)
            while pause > 0 and not stopping:
                time.sleep(min(pause, 0.5))
                pause -= 0.5
    except KeyboardInterrupt:
        pass
    log.info("watcher: stopped")
