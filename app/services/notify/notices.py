"""From incidents to notices: per rule, what opened, what is still open past the reminder
time and what cleared, grouped into one notice per channel and kind, at most once per the
rule's grouping interval (200 failures at once make one message, not 200). The payload is
the documented, versioned JSON of docs/notifications.md, built once per notice."""
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import Channel, Incident, Notice, Rule
from ..runs import iso
from ..scope import Scope
from . import channels

PAYLOAD_VERSION = 1
LISTED = 50       # incidents named in one payload; `count` gives them all
BATCH = 1000      # incidents taken into one tick's notices per rule and kind

TITLES = {"opened": "{n} new: {rule}", "reminder": "{n} still open: {rule}",
          "recovered": "{n} recovered: {rule}", "test": "Test notice from Freezer"}


def incident_view(incident: Incident) -> dict:
    return {"id": incident.pk, "kind": incident.kind, "subject": incident.subject,
            "summary": incident.summary, "opened_at": iso(incident.opened_at),
            "cleared_at": iso(incident.cleared_at)}


def payload(key: str, kind: str, project: str, now: datetime, rule: Rule | None = None,
            incidents=()) -> dict:
    incidents = list(incidents)
    return {"version": PAYLOAD_VERSION, "id": key,
            "type": kind if kind == "test" else f"incident.{kind}", "created_at": iso(now),
            "project": project,
            "rule": {"id": rule.pk, "name": rule.name, "kind": rule.kind} if rule else None,
            "count": len(incidents), "incidents": [incident_view(i) for i in incidents[:LISTED]],
            "truncated": len(incidents) > LISTED}


def title(kind: str, rule: Rule | None, count: int) -> str:
    return TITLES[kind].format(n=count, rule=rule.name if rule else "")


def text(body: dict) -> str:
    """The plain-text form (email, Apprise)."""
    lines = [f"{i['summary']} (since {i['opened_at']}"
             + (f", cleared {i['cleared_at']})" if i["cleared_at"] else ")")
             for i in body["incidents"]]
    if body["truncated"]:
        lines.append(f"... and {body['count'] - len(body['incidents'])} more")
    return "\n".join(lines) or "This is a test notice: the channel works."


def new_notice(channel: Channel, kind: str, now: datetime, rule: Rule | None = None,
               incidents=()) -> Notice:
    key = uuid.uuid4().hex
    body = payload(key, kind, channel.project_id, now, rule, incidents)
    notice = Notice(key=key, user_id=channel.user_id, project_id=channel.project_id,
                    channel_id=channel.pk, rule_id=rule.pk if rule else None, kind=kind,
                    target=f"{channel.name}: {channels.target(channel.kind, channel.config)}"[:500],
                    title=title(kind, rule, body["count"])[:500], payload=body,
                    status="pending", attempts=0, next_attempt_at=now, created_at=now)
    db.session.add(notice)
    return notice


def _pending(rule: Rule, incidents: list[Incident], now: datetime) -> dict[str, list]:
    """From the rule's live incidents (incidents.Live): what opened, what is due a reminder,
    what cleared."""
    found = {"opened": [], "reminder": [], "recovered": []}
    remind_before = now - timedelta(seconds=rule.remind_after)
    for incident in incidents:
        if incident.cleared_at is not None:
            incident.recovery_sent = True
            if incident.notified_at is not None:  # one nobody heard of needs no recovery
                found["recovered"].append(incident)
        elif incident.notified_at is None:
            found["opened"].append(incident)
        elif rule.remind_after and incident.notified_at < remind_before:
            found["reminder"].append(incident)
    return {kind: found[kind][:BATCH] for kind in found}


def _due(rule: Rule, incidents: list[Incident], now: datetime) -> bool:
    if rule.last_notice_at is not None and \
            now < rule.last_notice_at + timedelta(seconds=rule.group_seconds):
        return False
    reminders = now - timedelta(seconds=rule.remind_after)
    return any(i.cleared_at is not None or i.notified_at is None or
               (rule.remind_after and i.notified_at < reminders) for i in incidents)


def build(rules: list[Rule], live, now: datetime) -> int:
    """The notices of every rule with something to say whose grouping interval has passed,
    from the live incidents; reads the channels only when a notice is made."""
    due = [rule for rule in rules if _due(rule, live.by_rule[rule.pk], now)]
    if not due:
        return 0
    wanted = {pk for rule in due for pk in (rule.channel_ids or [])}
    targets = {c.pk: c for c in db.session.scalars(
        select(Channel).where(Channel.pk.in_(wanted)))} if wanted else {}
    made = 0
    for rule in due:
        found = _pending(rule, live.by_rule[rule.pk], now)
        for kind, incidents in found.items():
            for incident in incidents:
                if kind != "recovered":
                    incident.notified_at = now
            if not incidents:
                continue
            for pk in rule.channel_ids or []:
                channel = targets.get(pk)
                if channel is not None and channel.project_id == rule.project_id:
                    new_notice(channel, kind, now, rule, incidents)
                    made += 1
        rule.last_notice_at = now
    return made


def log(scope: Scope, limit: int, offset: int) -> list[Notice]:
    """The delivery log, newest first."""
    return list(db.session.scalars(select(Notice).where(scope.where(Notice))
                                   .order_by(Notice.pk.desc()).limit(limit).offset(offset)))
