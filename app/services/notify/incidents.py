"""From facts to incidents: outbox events (a run or session round ended) and the clock-based
rules (missed schedule, stuck run, silent client, overdue session round). Every rule reads
indexed columns (jobs.due_at, jobs.run_started_at, clients.last_seen,
sessions.round_started_at), never the run history, so a tick costs the same whatever the
history's size. The caller (the watcher) holds the evaluation lock."""
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select

from ...extensions import db
from ...models import Client, Incident, Job, OutboxEvent, Rule, Session
from ..forecast import DUE_NOW
from ..runs import iso
from . import rules as rule_kinds

EVENT_BATCH = 500
LIMIT = 1000          # violations read per rule and tick; more wait for the next ticks
STUCK_FLOOR = 300     # seconds: no run is "stuck" by the factor before this


def _open(rule: Rule, subject: str, summary: str, now: datetime) -> Incident:
    incident = Incident(user_id=rule.user_id, project_id=rule.project_id, rule_id=rule.pk,
                        kind=rule.kind, subject=subject, open_key=subject,
                        summary=summary[:500], opened_at=now)
    db.session.add(incident)
    return incident


def _clear(incident: Incident, now: datetime) -> None:
    incident.cleared_at, incident.open_key = now, None


def open_incidents(rule_id: int, subjects=None) -> dict[str, Incident]:
    stmt = select(Incident).where(Incident.rule_id == rule_id, Incident.cleared_at.is_(None))
    if subjects is not None:
        stmt = stmt.where(Incident.open_key.in_(subjects))
    return {i.subject: i for i in db.session.scalars(stmt)}


# --- events ------------------------------------------------------------------------------

def _event_summary(event: OutboxEvent) -> str:
    if event.kind == "run.ended":
        client = event.detail.get("client_id") or "?"
        return f"job {event.subject} ended {event.result} on client {client}"
    return f"session {event.subject} round {event.detail.get('session_tag', '?')} " \
           f"ended {event.result}"


def apply_events(now: datetime) -> int:
    """Turn a batch of outbox events, oldest first, into incidents opened or cleared, and
    delete them. Returns how many were read."""
    events = list(db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.pk)
                                     .limit(EVENT_BATCH)))
    if not events:
        return 0
    owners = {e.user_id for e in events}
    kinds = {rule_kinds.EVENT_KINDS[e.kind] for e in events if e.kind in rule_kinds.EVENT_KINDS}
    by_owner: dict[tuple, list[Rule]] = {}
    for rule in db.session.scalars(select(Rule).where(Rule.user_id.in_(owners),
                                                      Rule.kind.in_(kinds), Rule.enabled)):
        by_owner.setdefault((rule.user_id, rule.kind), []).append(rule)
    for rule_list in by_owner.values():
        for rule in rule_list:
            subjects = [e.subject for e in events if e.user_id == rule.user_id and
                        rule_kinds.EVENT_KINDS.get(e.kind) == rule.kind]
            opened = open_incidents(rule.pk, subjects)
            for event in events:
                if event.user_id != rule.user_id or \
                        rule_kinds.EVENT_KINDS.get(event.kind) != rule.kind:
                    continue
                current = opened.get(event.subject)
                if event.result == "success" and current is not None:
                    _clear(current, now)
                    del opened[event.subject]
                elif event.result in ("fail", "aborted") and current is None:
                    # open now: a second failure of the same job adds nothing
                    opened[event.subject] = _open(rule, event.subject, _event_summary(event),
                                                  now)
    db.session.execute(delete(OutboxEvent).where(OutboxEvent.pk.in_([e.pk for e in events])))
    db.session.flush()
    return len(events)


# --- clock rules -------------------------------------------------------------------------

def _missed(rule: Rule, now: datetime) -> dict[str, str]:
    cutoff = now - timedelta(seconds=rule.threshold)
    rows = db.session.execute(
        select(Job.job_id, Job.due_at, Job.client_id)
        .where(Job.user_id == rule.user_id, Job.due_at > DUE_NOW, Job.due_at < cutoff,
               or_(Job.status.is_(None), Job.status != "running"))
        .order_by(Job.due_at).limit(LIMIT))
    return {job_id: f"job {job_id} (client {client or '?'}) did not start after its fire "
                    f"time {iso(due)}" for job_id, due, client in rows}


def _stuck(rule: Rule, now: datetime) -> dict[str, str]:
    floor = now - timedelta(seconds=min(rule.threshold, STUCK_FLOOR))
    rows = db.session.execute(
        select(Job.job_id, Job.run_started_at, Job.avg_duration, Job.client_id)
        .where(Job.user_id == rule.user_id, Job.run_started_at < floor)
        .order_by(Job.run_started_at).limit(LIMIT))
    out = {}
    for job_id, started, typical, client in rows:
        elapsed = (now - started).total_seconds()
        by_history = typical is not None and elapsed > max(STUCK_FLOOR, rule.factor * typical)
        if elapsed > rule.threshold or by_history:
            why = f"{rule.factor:g}x its typical {typical:.0f} s" if by_history and \
                elapsed <= rule.threshold else f"the maximum {rule.threshold} s"
            out[job_id] = f"job {job_id} (client {client or '?'}) running for " \
                          f"{elapsed:.0f} s since {iso(started)}, past {why}"
    return out


def _silent(rule: Rule, now: datetime) -> dict[str, str]:
    cutoff = now - timedelta(seconds=rule.threshold)
    active = select(Job.pk).where(Job.user_id == Client.user_id,
                                  Job.client_id == Client.client_id,
                                  or_(Job.next_run_at.is_not(None), Job.status == "running"))
    rows = db.session.execute(
        select(Client.client_id, Client.last_seen)
        .where(Client.user_id == rule.user_id, Client.last_seen < cutoff, active.exists())
        .order_by(Client.last_seen).limit(LIMIT))
    return {client_id: f"client {client_id} has not polled since {iso(seen)} and has "
                       f"active jobs" for client_id, seen in rows}


def _overdue(rule: Rule, now: datetime) -> dict[str, str]:
    margin = timedelta(seconds=rule.threshold)
    rows = list(db.session.execute(
        select(Session.session_id, Session.round_started_at)
        .where(Session.user_id == rule.user_id, Session.round_started_at < now - margin)
        .order_by(Session.round_started_at).limit(LIMIT)))
    if not rows:
        return {}
    typical = dict(db.session.execute(
        select(Job.session_id, func.max(Job.avg_duration))
        .where(Job.user_id == rule.user_id, Job.session_id.in_([r[0] for r in rows]))
        .group_by(Job.session_id)))
    out = {}
    for session_id, started in rows:
        expected = started + timedelta(seconds=typical.get(session_id) or 0)
        if now > expected + margin:
            out[session_id] = f"session {session_id} round open since {iso(started)}, " \
                              f"expected to end by {iso(expected)}"
    return out


CLOCK_RULES = {"missed_schedule": _missed, "stuck_run": _stuck, "silent_client": _silent,
               "session_overdue": _overdue}


def evaluate_clock_rule(rule: Rule, now: datetime) -> None:
    """Open an incident for each new violation; clear those that no longer hold (unless the
    read was cut at LIMIT: an unread row may still be in violation)."""
    found = CLOCK_RULES[rule.kind](rule, now)
    opened = open_incidents(rule.pk)
    for subject, summary in found.items():
        if subject not in opened:
            _open(rule, subject, summary, now)
    if len(found) < LIMIT:
        for subject, incident in opened.items():
            if subject not in found:
                _clear(incident, now)
    db.session.flush()


def clock_rules() -> list[Rule]:
    return list(db.session.scalars(select(Rule).where(
        Rule.enabled, Rule.kind.in_(rule_kinds.CLOCK_KINDS)).order_by(Rule.pk)))


def open_for_owner(user_id: str, limit: int = 50) -> list[Incident]:
    """The owner's open incidents, newest first (the overview)."""
    return list(db.session.scalars(select(Incident).where(
        Incident.user_id == user_id, Incident.cleared_at.is_(None))
        .order_by(Incident.pk.desc()).limit(limit)))


def count_open(user_id: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Incident).where(
        and_(Incident.user_id == user_id, Incident.cleared_at.is_(None))))
