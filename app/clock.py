"""The one clock every time-dependent rule reads, so tests can set it instead of sleeping."""
import time
from datetime import datetime, timezone

_frozen: float | None = None


def now() -> float:
    return _frozen if _frozen is not None else time.time()


def epoch() -> int:
    """Whole seconds since the epoch, as Freezer documents store times."""
    return int(now())


def utcnow() -> datetime:
    return datetime.fromtimestamp(now(), timezone.utc).replace(tzinfo=None)


def freeze(at: float | None) -> None:
    """Set the clock (epoch seconds), or None to follow real time again."""
    global _frozen
    _frozen = at
