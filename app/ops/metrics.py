"""/metrics in the Prometheus text format (prometheus_client).

HTTP counts and latencies are recorded per process; under gunicorn every worker writes them
to PROMETHEUS_MULTIPROC_DIR (gunicorn.conf.py sets it up) and a scrape sums all workers.
Fleet facts (jobs by status, running sessions, silent clients, runs) are read from the
database at scrape time, so every worker and every host reports the same numbers."""
import hmac
import ipaddress
import logging
import os
import time
from datetime import timedelta

from flask import Blueprint, Response, current_app, request
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter,
                               Histogram, generate_latest, multiprocess)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from .. import clock, context
from ..services.schemas import JOB_STATUSES

log = logging.getLogger(__name__)
bp = Blueprint("ops_metrics", __name__)

ROUTE_KEY = "freezer.route"
UNMATCHED = "<unmatched>"  # 404s: one label value, whatever paths scanners try
METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
SILENT_AFTER = timedelta(minutes=10)

# Module level: one set per process, whatever the number of apps (tests build many).
REQUESTS = Counter("freezer_http_requests", "HTTP requests answered, by route template, "
                   "method and status", ["route", "method", "status"])
LATENCY = Histogram("freezer_http_request_duration_seconds", "Seconds to answer a request, "
                    "by route template and method", ["route", "method"])


def record(environ, status_line: str | None, started: float) -> None:
    """A request answered (`status_line` as sent; None: it raised before answering), by
    the WSGI layer outside everything (app/ops/edge.py), so the status counted is the one
    sent (after the commit hook) and the time includes the whole Flask request."""
    status = status_line.split(" ", 1)[0] if status_line else "500"
    method = environ.get("REQUEST_METHOD", "")
    method = method if method in METHODS else "other"
    route = environ.get(ROUTE_KEY, UNMATCHED)
    counted = _children.get((route, method, status))
    if counted is None:  # labels() checks and locks on every call: asked once
        counted = _children[route, method, status] = (
            REQUESTS.labels(route, method, status), LATENCY.labels(route, method))
    counted[0].inc()
    counted[1].observe(time.perf_counter() - started)


# (route template, method, status) -> its counter and histogram: bounded, as the label sets
# are (route templates, METHODS, statuses)
_children: dict = {}


def remember_route(_exc=None):
    """teardown_request: the matched rule's template (/v1/jobs/<job_id>), never the raw
    path, so ids do not explode the label set."""
    answered = context.current_request()
    rule = answered.url_rule
    answered.environ[ROUTE_KEY] = rule.rule if rule is not None else UNMATCHED


class DatabaseCollector:
    """Fleet facts read at scrape time; a database outage gives freezer_database_up 0
    instead of a failed scrape."""

    def collect(self):
        up = GaugeMetricFamily("freezer_database_up",
                               "1 when the database answered this scrape's queries")
        try:
            families = list(_fleet_families())
        except SQLAlchemyError as exc:
            db.session.rollback()
            log.warning("metrics: database unavailable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families


def _fleet_families():
    from ..models import Client, Job, Session

    jobs = GaugeMetricFamily("freezer_jobs", "Jobs by status", labels=["status"])
    counts = {status or "none": 0 for status in JOB_STATUSES}
    for status, n in db.session.execute(select(Job.status, func.count()).group_by(Job.status)):
        counts[status or "none"] = counts.get(status or "none", 0) + n
    for status, n in sorted(counts.items()):
        jobs.add_metric([status], n)
    yield jobs

    running = db.session.scalar(select(func.count()).select_from(Session)
                                .where(Session.status == "running"))
    yield GaugeMetricFamily("freezer_sessions_running", "Sessions running now", value=running)

    cutoff = clock.utcnow() - SILENT_AFTER
    silent = db.session.scalar(select(func.count()).select_from(Client).where(
        (Client.last_seen.is_(None)) | (Client.last_seen < cutoff)))
    yield GaugeMetricFamily("freezer_clients_silent",
                            "Registered clients not seen (registration or job poll) for "
                            "10 minutes", value=silent)

    yield from _notify_families()

    runs = GaugeMetricFamily("freezer_job_runs", "Job runs in the kept run history, by "
                             "result (succeeded, failed)", labels=["result"])
    for result, n in _runs_by_result().items():
        runs.add_metric([result], n)
    yield runs


def _notify_families():
    """The watcher's incidents and notices (app/services/notify), from the database, so
    the counts are the same whichever process delivered. Counters over the kept notices."""
    from prometheus_client.core import CounterMetricFamily

    from ..models import Incident, Notice, Setting
    from ..services.notify import rules, watcher
    open_ = GaugeMetricFamily("freezer_incidents_open", "Open incidents by rule kind",
                              labels=["kind"])
    counts = dict.fromkeys(rules.KINDS, 0)
    counts.update(db.session.execute(select(Incident.kind, func.count())
                                     .where(Incident.cleared_at.is_(None))
                                     .group_by(Incident.kind)).all())
    for kind, n in sorted(counts.items()):
        open_.add_metric([kind], n)
    yield open_
    notices = CounterMetricFamily("freezer_notices", "Notices made, by status (pending, "
                                  "sent, failed: given up) and kind", labels=["status", "kind"])
    failures = 0
    for status, kind, n, attempts in db.session.execute(
            select(Notice.status, Notice.kind, func.count(), func.sum(Notice.attempts))
            .group_by(Notice.status, Notice.kind)):
        notices.add_metric([status, kind], n)
        # every try of a notice failed except the one that sent it
        failures += int(attempts or 0) - (n if status == "sent" else 0)
    yield notices
    yield CounterMetricFamily("freezer_notice_delivery_failures",
                              "Delivery tries that failed (receiver error, timeout, refused)",
                              value=failures)
    tick = db.session.get(Setting, watcher.LOCK)
    last = GaugeMetricFamily("freezer_watcher_last_tick_timestamp_seconds",
                             "When a watcher last evaluated the rules (epoch seconds)")
    if tick is not None:
        from datetime import datetime
        last.add_metric([], datetime.fromisoformat(tick.value.replace("Z", "+00:00")).timestamp())
    yield last


def _runs_by_result() -> dict:
    from ..models import Run
    counts = {"succeeded": 0, "failed": 0}
    names = {"success": "succeeded", "fail": "failed"}
    for result, n in db.session.execute(select(Run.result, func.count())
                                        .where(Run.result.in_(names)).group_by(Run.result)):
        counts[names[result]] += n
    return counts


def _allowed(app) -> bool:
    token = app.config.get("METRICS_TOKEN")
    auth = request.headers.get("Authorization", "")
    if token and auth.startswith("Bearer ") and \
            hmac.compare_digest(auth[7:].strip().encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in network for network in _networks(app))


def _networks(app):
    ops = app.extensions.setdefault("freezer_ops", {})
    if "metrics_networks" not in ops:
        value = app.config.get("METRICS_ALLOW_FROM") or ""
        items = value.split(",") if isinstance(value, str) else value
        ops["metrics_networks"] = [ipaddress.ip_network(i.strip(), strict=False)
                                   for i in items if i.strip()]
    return ops["metrics_networks"]


class _Union:
    def __init__(self, *collectors):
        self.collectors = collectors

    def collect(self):
        for collector in self.collectors:
            yield from collector.collect()


@bp.get("/metrics")
def metrics():
    from ..errors import error_response
    app = current_app._get_current_object()
    if not _allowed(app):
        return error_response(403, "Access Forbidden",
                              "/metrics is readable from METRICS_ALLOW_FROM or with "
                              "METRICS_TOKEN only")
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # every worker's files
        registry.register(DatabaseCollector())
    else:
        registry.register(_Union(REGISTRY, DatabaseCollector()))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def validate_config(app):
    """Fail at start, not at the first scrape, on a malformed METRICS_ALLOW_FROM."""
    try:
        _networks(app)
    except ValueError as exc:
        raise RuntimeError(f"METRICS_ALLOW_FROM: {exc}") from exc
