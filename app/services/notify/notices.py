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


def payload(key: str, kind: str, owner: str, now: datetime, rule: Rule | None = None,
            incidents=()) -> dict:
    incidents = list(incidents)
    return {"version": PAYLOAD_VERSION, "id": key,
            "type": kind if kind == "test" else f"incident.{kind}", "created_at": iso(now),
            "owner": owner,
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
    body = payload(key, kind, channel.user_id, now, rule, incidents)
    notice = Notice(key=key, user_id=channel.user_id, project_id=channel.project_id,
                    channel_id=channel.pk, rule_id=rule.pk if rule else None, kind=kind,
                    target=f"{channel.name}: {channels.target(channel.kind, channel.config)}"[:500],
                    title=title(kind, rule, body["count"])[:500], payload=body,
                    status="pending", attempts=0, next_attempt_at=now, created_at=now)
    db.session.add(notice)
    return notice


def _pending(rule: Rule, now: datetime) -> dict[str, list[Incident]]:
    base = select(Incident).where(Incident.rule_id == rule.pk)
    found = {"opened": list(db.session.scalars(
        base.where(Incident.cleared_at.is_(None), Incident.notified_at.is_(None))
        .order_by(Incident.pk).limit(BATCH)))}
    found["reminder"] = list(db.session.scalars(
        base.where(Incident.cleared_at.is_(None),
                   Incident.notified_at < now - timedelta(seconds=rule.remind_after))
        .order_by(Incident.pk).limit(BATCH))) if rule.remind_after else []
    cleared = list(db.session.scalars(
        base.where(Incident.cleared_at.is_not(None), Incident.recovery_sent.is_(False))
        .order_by(Incident.pk).limit(BATCH)))
    for incident in cleared:
        incident.recovery_sent = True
    # one that cleared before anyone heard of it needs no recovery notice
    found["recovered"] = [i for i in cleared if i.notified_at is not None]
    return found


def build(rule: Rule, now: datetime) -> int:
    """The rule's notices for this tick; returns how many were made."""
    if rule.last_notice_at is not None and \
            now < rule.last_notice_at + timedelta(seconds=rule.group_seconds):
        return 0
    found = _pending(rule, now)
    if not any(found.values()):
        db.session.flush()
        return 0
    targets = list(db.session.scalars(select(Channel).where(
        Channel.user_id == rule.user_id, Channel.pk.in_(rule.channel_ids or [])))) \
        if rule.channel_ids else []
    made = 0
    for kind, incidents in found.items():
        for incident in incidents:
            if kind != "recovered":
                incident.notified_at = now
        if incidents:
            for channel in targets:
                new_notice(channel, kind, now, rule, incidents)
                made += 1
    rule.last_notice_at = now
    db.session.flush()
    return made


def all_rules() -> list[Rule]:
    return list(db.session.scalars(select(Rule).where(Rule.enabled).order_by(Rule.pk)))


def log(user_id: str, limit: int, offset: int) -> list[Notice]:
    """The delivery log, newest first."""
    return list(db.session.scalars(select(Notice).where(Notice.user_id == user_id)
                                   .order_by(Notice.pk.desc()).limit(limit).offset(offset)))
