"""Jinja filters for times as the dashboard shows them: UTC, and how long ago."""
from datetime import datetime, timezone

from .. import clock


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


def when(value, default="—"):
    seconds = _as_epoch(value)
    if seconds is None:
        return value if isinstance(value, str) and value else default
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def ago(value, default="never"):
    seconds = _as_epoch(value)
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
    app.jinja_env.filters.update(when=when, ago=ago)
    _register_extra(app)


def combine_invalid(kwargs, field):
    """Field attributes plus aria-invalid/aria-describedby when the field has errors."""
    out = dict(kwargs)
    if field.errors:
        out.update({"aria-invalid": "true", "aria-describedby": f"{field.id}-error"})
    return out


def _register_extra(app):
    app.jinja_env.filters["combine_invalid"] = combine_invalid
