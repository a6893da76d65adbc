"""The time zones an operator may show the dashboard in: IANA names (zoneinfo), checked
before they are stored."""
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from .errors import BadRequest

UTC_NAMES = {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "Universal",
             "Etc/Universal", "GMT", "Etc/GMT"}


@lru_cache(maxsize=1)
def names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones() | {"UTC"}))


def check(name: str) -> str:
    """The zone's name if it is one (BadRequest otherwise)."""
    name = (name or "").strip()
    if name not in names():
        raise BadRequest(f"{name!r} is not a time zone name such as Europe/Paris or UTC",
                         errors={"time_zone": "not a known time zone"})
    return name


@lru_cache(maxsize=64)
def zone(name: str | None) -> ZoneInfo | None:
    """The zone to show times in; None for UTC (or an unknown or missing name)."""
    if not name or name in UTC_NAMES or name not in names():
        return None
    return ZoneInfo(name)
