"""What can be noticed, the thresholds operators change, and the rules that hold them."""
from sqlalchemy import select

from ...extensions import db
from ...models import Channel, Incident, Rule
from .. import documents
from ..errors import BadRequest, NotFound
from ..scope import Scope
from .fields import number

DAY = 86400

# kind -> (what it notices, the threshold's meaning, its default in seconds; None: no clock)
KINDS = {
    "run_failed": ("A job run ended fail or aborted (recovers at the next success)", None, None),
    "missed_schedule": ("A job did not start within a grace period after a fire time its "
                        "schedule gave it", "Grace period", 900),
    "stuck_run": ("A run is still running far longer than its job's recent runs (factor), "
                  "or longer than a maximum", "Maximum run time", 6 * 3600),
    "silent_client": ("A client with active jobs has not polled for a while",
                      "Silent for", 600),
    "session_failed": ("A session round ended fail (recovers at the next successful round)",
                       None, None),
    "session_overdue": ("A session round is still open past its jobs' expected end "
                        "(their typical run time) plus a margin", "Margin", 3600),
}
CLOCK_KINDS = tuple(kind for kind, (_, label, _) in KINDS.items() if label)
EVENT_KINDS = {"run.ended": "run_failed", "session.ended": "session_failed"}
MIN_THRESHOLD = 60


def default_threshold(kind: str) -> int:
    return (KINDS.get(kind) or (None, None, 0))[2] or 0


def _seconds(data: dict, name: str, low: int, high: int, errors: dict, default=0) -> int:
    return number(data, name, low, high, errors, default,
                  reason=f"a whole number of seconds from {low} to {high}")


def check(scope: Scope, data: dict) -> dict:
    """A rule's fields as the dashboard sends them, checked; BadRequest names each field."""
    errors = {}
    name = str(data.get("name") or "").strip()
    if not name or len(name) > 100:
        errors["name"] = "a name of 1 to 100 characters"
    kind = data.get("kind")
    if kind not in KINDS:
        errors["kind"] = f"one of {', '.join(KINDS)}"
    clock = kind in CLOCK_KINDS
    threshold = _seconds(data, "threshold", MIN_THRESHOLD if clock else 0, 30 * DAY, errors,
                     default_threshold(kind) if clock else 0) if clock else 0
    factor = number(data, "factor", 1.0, 100.0, errors, 3.0, cast=float)
    remind_after = _seconds(data, "remind_after", 0, 30 * DAY, errors)
    if 0 < remind_after < MIN_THRESHOLD:
        errors["remind_after"] = f"0 (no reminder) or at least {MIN_THRESHOLD} seconds"
    group_seconds = _seconds(data, "group_seconds", 0, DAY, errors, 60)
    channel_ids = data.get("channel_ids") or []
    try:
        channel_ids = sorted({int(c) for c in channel_ids})
    except (TypeError, ValueError):
        errors["channel_ids"] = "channel ids"
        channel_ids = []
    if channel_ids:
        mine = set(db.session.scalars(select(Channel.pk).where(
            scope.where(Channel), Channel.pk.in_(channel_ids))))
        if mine != set(channel_ids):
            errors["channel_ids"] = "no such channel"
    if errors:
        raise BadRequest("The rule cannot be saved: " +
                         "; ".join(f"{k}: {v}" for k, v in errors.items()), errors=errors)
    return {"name": name, "kind": kind, "threshold": threshold, "factor": factor,
            "remind_after": remind_after, "group_seconds": group_seconds,
            "channel_ids": channel_ids, "enabled": bool(data.get("enabled", True))}


def listing(scope: Scope) -> list[Rule]:
    return list(db.session.scalars(select(Rule).where(scope.where(Rule)).order_by(Rule.pk)))


def get(scope: Scope, rule_id: int, for_update: bool = False) -> Rule:
    stmt = select(Rule).where(scope.where(Rule), Rule.pk == rule_id)
    row = db.session.scalars(stmt.with_for_update() if for_update else stmt).first()
    if row is None:
        raise NotFound(f"No rule found with ID {rule_id}")
    return row


def create(scope: Scope, data: dict) -> Rule:
    row = scope.stamp(Rule, **check(scope, data))
    db.session.add(row)
    db.session.flush()
    return row


def update(scope: Scope, rule_id: int, data: dict, if_match: str | None = None) -> Rule:
    """An operator's save; with `if_match` only if the rule is still at that version."""
    row = get(scope, rule_id, for_update=True)
    documents.check_if_match(row, if_match)
    fields = check(scope, data)
    row.version = (row.version or 0) + 1
    if fields["kind"] != row.kind:  # its incidents were about something else
        _close_incidents(row)
    for key, value in fields.items():
        setattr(row, key, value)
    db.session.flush()
    return row


def delete(scope: Scope, rule_id: int) -> None:
    row = get(scope, rule_id, for_update=True)
    _close_incidents(row)
    db.session.delete(row)
    db.session.flush()


def _close_incidents(rule: Rule) -> None:
    """A removed or repurposed rule's open incidents end without a recovery notice."""
    from ...clock import utcnow
    for incident in db.session.scalars(select(Incident).where(
            Incident.rule_id == rule.pk, Incident.cleared_at.is_(None))):
        incident.cleared_at, incident.open_key, incident.recovery_sent = utcnow(), None, True


def forget_channel(scope: Scope, channel_id: int) -> None:
    """A deleted channel leaves every rule that named it."""
    for rule in db.session.scalars(select(Rule).where(scope.where(Rule))
                                   .with_for_update()):
        if channel_id in (rule.channel_ids or []):
            rule.channel_ids = [c for c in rule.channel_ids if c != channel_id]
