"""Jinja filters for times as the dashboard shows them: in the operator's time zone (their
account's, UTC until chosen), with the UTC time on hover, and how long ago."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import g, has_request_context
from flask_login import current_user
from markupsafe import Markup, escape

from .. import clock
from ..services import time_zones

UTC_FORMAT = "%Y-%m-%d %H:%M:%S UTC"


def _as_epoch(value):
    if value in (None, "", -1):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc).timestamp()
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return float(value)
    if isinstance(value, str):  # ISO 8601, as the run history states its times
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).timestamp()
    return None


def operator_zone() -> ZoneInfo | None:
    """The signed-in operator's zone for this request (None: UTC)."""
    if not has_request_context():
        return None
    # once per request: a page of a few hundred times asked the user proxy for each
    if "operator_zone" not in g:
        g.operator_zone = time_zones.zone(getattr(current_user, "time_zone", None))
    return g.operator_zone


def _local(moment: datetime, seconds: bool = True) -> str:
    zone = operator_zone()
    fmt = "%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M"
    if zone is None:
        return moment.strftime(fmt) + " UTC"
    return moment.astimezone(zone).strftime(fmt + " %Z")


def _moment(value) -> datetime | None:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc)
    seconds = _as_epoch(value)
    return None if seconds is None else datetime.fromtimestamp(seconds, timezone.utc)


def when_text(value, default="—", seconds=True):
    """The time as text in the operator's zone (for attributes and plain text)."""
    moment = _moment(value)
    if moment is None:
        return value if isinstance(value, str) and value else default
    return _local(moment, seconds)


def _time(moment: datetime, text: str, title: str) -> Markup:
    iso = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return Markup(f'<time datetime="{iso}" title="{escape(title)}">{escape(text)}</time>')


def when(value, default="—", seconds=True):
    """A <time> in the operator's zone, its UTC time on hover."""
    moment = _moment(value)
    if moment is None:
        return value if isinstance(value, str) and value else default
    return _time(moment, _local(moment, seconds), moment.strftime(UTC_FORMAT))


def ago(value, default="never"):
    """How long ago (or until), in a <time> whose hover says when, locally and in UTC."""
    moment = _moment(value)
    if moment is None:
        return default
    title = _local(moment)
    if operator_zone() is not None:
        title += " · " + moment.strftime(UTC_FORMAT)
    return _time(moment, ago_text(moment), title)


def ago_text(value, default="never"):
    seconds = _as_epoch(value) if not isinstance(value, datetime) or value.tzinfo is None \
        else value.timestamp()
    if seconds is None:
        return default
    delta = int(clock.now() - seconds)
    future = delta < 0
    delta = abs(delta)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if delta >= size:
            text = f"{delta // size} {unit}"
            break
    else:
        text = f"{delta} s"
    return f"in {text}" if future else f"{text} ago"


def init_app(app):
    app.jinja_env.filters.update(when=when, ago=ago, when_text=when_text, ago_text=ago_text)
    _register_extra(app)


def combine_invalid(kwargs, field):
    """Field attributes plus aria-invalid/aria-describedby when the field has errors."""
    out = dict(kwargs)
    if field.errors:
        out.update({"aria-invalid": "true", "aria-describedby": f"{field.id}-error"})
    return out


def _register_extra(app):
    app.jinja_env.filters["combine_invalid"] = combine_invalid
