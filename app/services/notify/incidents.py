"""From facts to incidents: outbox events (a run or session round ended) and the clock-based
rules (missed schedule, stuck run, silent client, overdue session round). Every rule reads
indexed columns of the rule's project (jobs.due_at, jobs.run_started_at,
clients.last_seen, sessions.round_started_at), never the run history, so a tick costs the same whatever the
history's size. The caller (the watcher) holds the evaluation lock."""
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, literal, or_, select, union_all

from ...extensions import db
from ...models import Client, Incident, Job, OutboxEvent, Rule, Session
from ..forecast import DUE_NOW
from ..runs import iso
from ..scope import Scope
from . import rules as rule_kinds

EVENT_BATCH = 500
LIMIT = 1000          # violations read per rule and tick; more wait for the next ticks
STUCK_FLOOR = 300     # seconds: no run is "stuck" by the factor before this


class Live:
    """Every incident a tick may act on, read in one statement: those not yet finished
    (open, or cleared and not yet announced: recovery_sent false, an index prefix), by
    rule and, while open, by subject."""

    def __init__(self, rules: list[Rule]):
        self.by_rule: dict[int, list[Incident]] = {rule.pk: [] for rule in rules}
        self.open: dict[int, dict[str, Incident]] = {rule.pk: {} for rule in rules}
        if rules:
            for incident in db.session.scalars(select(Incident).where(
                    Incident.rule_id.in_(list(self.by_rule)),
                    Incident.recovery_sent.is_(False)).order_by(Incident.pk)):
                self.by_rule[incident.rule_id].append(incident)
                if incident.cleared_at is None:
                    self.open[incident.rule_id][incident.subject] = incident

    def open_one(self, rule: Rule, subject: str, summary: str, now: datetime) -> Incident:
        incident = Incident(user_id=rule.user_id, project_id=rule.project_id,
                            rule_id=rule.pk, kind=rule.kind, subject=subject,
                            open_key=subject, summary=summary[:500], opened_at=now,
                            recovery_sent=False)
        db.session.add(incident)
        self.by_rule[rule.pk].append(incident)
        self.open[rule.pk][subject] = incident
        return incident

    def clear(self, rule: Rule, subject: str, now: datetime) -> None:
        incident = self.open[rule.pk].pop(subject)
        incident.cleared_at, incident.open_key = now, None


# --- events ------------------------------------------------------------------------------

def _event_summary(event: OutboxEvent) -> str:
    if event.kind == "run.ended":
        client = event.detail.get("client_id") or "?"
        return f"job {event.subject} ended {event.result} on client {client}"
    return f"session {event.subject} round {event.detail.get('session_tag', '?')} " \
           f"ended {event.result}"


def apply_events(rules: list[Rule], live: Live, now: datetime) -> int:
    """Turn a batch of outbox events, oldest first, into incidents opened or cleared, and
    delete them. Returns how many were read."""
    events = list(db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.pk)
                                     .limit(EVENT_BATCH)))
    if not events:
        return 0
    listening: dict[tuple, list[Rule]] = {}
    for rule in rules:
        listening.setdefault((rule.project_id, rule.kind), []).append(rule)
    for event in events:
        kind = rule_kinds.EVENT_KINDS.get(event.kind)
        for rule in listening.get((event.project_id, kind), ()):
            current = live.open[rule.pk].get(event.subject)
            if event.result == "success" and current is not None:
                live.clear(rule, event.subject, now)
            elif event.result in ("fail", "aborted") and current is None:
                # open now: a second failure of the same job adds nothing
                live.open_one(rule, event.subject, _event_summary(event), now)
    db.session.execute(delete(OutboxEvent).where(OutboxEvent.pk.in_([e.pk for e in events])))
    return len(events)


def clear_deleted(rules: list[Rule], live: Live, now: datetime) -> None:
    """An event rule's incident whose job or session was deleted since will see no success:
    it clears (one indexed lookup per kind, over the open incidents only)."""
    for kind, model in (("run_failed", Job), ("session_failed", Session)):
        of_kind = [rule for rule in rules if rule.kind == kind and live.open[rule.pk]]
        if not of_kind:
            continue
        id_column = getattr(model, model.ID_FIELD)
        existing = set(db.session.execute(select(model.project_id, id_column).where(
            model.project_id.in_({rule.project_id for rule in of_kind}),
            id_column.in_({s for rule in of_kind for s in live.open[rule.pk]}))).all())
        for rule in of_kind:
            for subject in [s for s in live.open[rule.pk]
                            if (rule.project_id, s) not in existing]:
                live.clear(rule, subject, now)


# --- clock rules -------------------------------------------------------------------------
# Each kind reads all its rules' violations in one statement: one SELECT per rule (its
# owner's index range, its own threshold and LIMIT), tagged with the rule, in a UNION ALL.

def _tagged(rule: Rule, stmt):
    return stmt.add_columns(literal(rule.pk).label("rule_pk")).limit(LIMIT).subquery()


def _union(parts):
    subqueries = [select(*part.c) for part in parts]
    return db.session.execute(union_all(*subqueries) if len(subqueries) > 1
                              else subqueries[0]).all()


def _missed(rules: list[Rule], now: datetime) -> dict[int, dict[str, str]]:
    rows = _union([_tagged(rule, select(Job.job_id, Job.due_at, Job.client_id).where(
        Job.project_id == rule.project_id, Job.due_at > DUE_NOW,
        Job.due_at < now - timedelta(seconds=rule.threshold),
        or_(Job.status.is_(None), Job.status != "running")).order_by(Job.due_at))
        for rule in rules])
    out = {}
    for job_id, due, client, rule_pk in rows:
        out.setdefault(rule_pk, {})[job_id] = \
            f"job {job_id} (client {client or '?'}) did not start after its fire time {iso(due)}"
    return out


def _stuck(rules: list[Rule], now: datetime) -> dict[int, dict[str, str]]:
    by_pk = {rule.pk: rule for rule in rules}
    rows = _union([_tagged(rule, select(
        Job.job_id, Job.run_started_at, Job.avg_duration, Job.client_id).where(
        Job.project_id == rule.project_id,
        Job.run_started_at < now - timedelta(seconds=min(rule.threshold, STUCK_FLOOR)))
        .order_by(Job.run_started_at)) for rule in rules])
    out = {}
    for job_id, started, typical, client, rule_pk in rows:
        rule = by_pk[rule_pk]
        elapsed = (now - started).total_seconds()
        by_history = typical is not None and elapsed > max(STUCK_FLOOR, rule.factor * typical)
        if elapsed > rule.threshold or by_history:
            why = f"{rule.factor:g}x its typical {typical:.0f} s" if by_history and \
                elapsed <= rule.threshold else f"the maximum {rule.threshold} s"
            out.setdefault(rule_pk, {})[job_id] = \
                f"job {job_id} (client {client or '?'}) running for {elapsed:.0f} s since " \
                f"{iso(started)}, past {why}"
    return out


def _silent(rules: list[Rule], now: datetime) -> dict[int, dict[str, str]]:
    by_pk = {rule.pk: rule for rule in rules}
    rows = _union([_tagged(rule, select(Client.client_id, Client.last_seen).where(
        Client.project_id == rule.project_id,
        Client.last_seen < now - timedelta(seconds=rule.threshold))
        .order_by(Client.last_seen)) for rule in rules])
    if not rows:
        return {}
    # then which of those few have active jobs: an index lookup per client
    # (ix_jobs_project_client); as an EXISTS, MariaDB materialised every job of the owner
    active = set(db.session.execute(
        select(Job.project_id, Job.client_id).distinct()
        .where(Job.project_id.in_({by_pk[r[2]].project_id for r in rows}),
               Job.client_id.in_({r[0] for r in rows}),
               or_(Job.next_run_at.is_not(None), Job.status == "running"))).all())
    out = {}
    for client_id, seen, rule_pk in rows:
        if (by_pk[rule_pk].project_id, client_id) in active:
            out.setdefault(rule_pk, {})[client_id] = \
                f"client {client_id} has not polled since {iso(seen)} and has active jobs"
    return out


def _overdue(rules: list[Rule], now: datetime) -> dict[int, dict[str, str]]:
    by_pk = {rule.pk: rule for rule in rules}
    rows = _union([_tagged(rule, select(Session.session_id, Session.round_started_at,
                                        Session.project_id).where(
        Session.project_id == rule.project_id,
        Session.round_started_at < now - timedelta(seconds=rule.threshold))
        .order_by(Session.round_started_at)) for rule in rules])
    if not rows:
        return {}
    typical = {(project, sid): longest for project, sid, longest in db.session.execute(
        select(Job.project_id, Job.session_id, func.max(Job.avg_duration))
        .where(Job.project_id.in_({r[2] for r in rows}),
               Job.session_id.in_({r[0] for r in rows}))
        .group_by(Job.project_id, Job.session_id))}
    out = {}
    for session_id, started, project_id, rule_pk in rows:
        expected = started + timedelta(seconds=typical.get((project_id, session_id)) or 0)
        if now > expected + timedelta(seconds=by_pk[rule_pk].threshold):
            out.setdefault(rule_pk, {})[session_id] = \
                f"session {session_id} round open since {iso(started)}, expected to end " \
                f"by {iso(expected)}"
    return out


CLOCK_RULES = {"missed_schedule": _missed, "stuck_run": _stuck, "silent_client": _silent,
               "session_overdue": _overdue}


def evaluate_clock_rules(rules: list[Rule], live: Live, now: datetime) -> None:
    """Open an incident for each new violation; clear those that no longer hold (unless the
    read was cut at LIMIT: an unread row may still be in violation)."""
    for kind, reader in CLOCK_RULES.items():
        of_kind = [rule for rule in rules if rule.kind == kind]
        if not of_kind:
            continue
        found = reader(of_kind, now)
        for rule in of_kind:
            violations = found.get(rule.pk, {})
            for subject, summary in violations.items():
                if subject not in live.open[rule.pk]:
                    live.open_one(rule, subject, summary, now)
            if len(violations) < LIMIT:
                for subject in [s for s in live.open[rule.pk] if s not in violations]:
                    live.clear(rule, subject, now)


def enabled_rules() -> list[Rule]:
    return list(db.session.scalars(select(Rule).where(Rule.enabled).order_by(Rule.pk)))


def open_in(scope: Scope, limit: int = 50) -> list[Incident]:
    """The project's open incidents, newest first (the overview)."""
    return list(db.session.scalars(select(Incident).where(
        scope.where(Incident), Incident.cleared_at.is_(None))
        .order_by(Incident.pk.desc()).limit(limit)))


def count_open(scope: Scope) -> int:
    return db.session.scalar(select(func.count()).select_from(Incident).where(
        and_(scope.where(Incident), Incident.cleared_at.is_(None))))
