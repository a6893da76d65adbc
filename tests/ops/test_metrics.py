"""/metrics: who may read it and what it counts (in one process; the gunicorn test checks
the sums across workers)."""
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.extensions import db
from app.models import Client, Run
from app import clock
from tests.builders import client_body, job_body


def scrape(client, **kw):
    response = client.get("/metrics", **kw)
    assert response.status_code == 200, response.data
    assert response.content_type.startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def test_requests_are_counted_by_route_template_method_and_status(app, client, alice):
    job_id = alice.create("jobs", job_body())
    rule, _ = app.url_map.bind("localhost").match(f"/v1/jobs/{job_id}", return_rule=True)
    assert "<" in rule.rule and job_id not in rule.rule  # e.g. /v1/jobs/<string:job_id>
    route = ("freezer_http_requests_total", rule.rule)
    before = scrape(client)
    alice.get(f"/v1/jobs/{job_id}")
    alice.get(f"/v1/jobs/{job_id}/")
    alice.get("/v1/jobs/no-such-job")
    after = scrape(client)
    ok = dict(route=route[1], method="GET", status="200")
    missing = dict(route=route[1], method="GET", status="404")
    assert value(after, route[0], **ok) - value(before, route[0], **ok) == 2
    assert value(after, route[0], **missing) - value(before, route[0], **missing) == 1
    assert not any(job_id in str(key) for key in after)  # ids never become labels
    hist = "freezer_http_request_duration_seconds_count"
    assert value(after, hist, route=route[1], method="GET") - \
        value(before, hist, route=route[1], method="GET") == 3


def test_unknown_paths_share_one_label(client, alice):
    before = scrape(client)
    alice.get("/v1/scanner-probe-1")
    alice.get("/wp-admin/x")
    after = scrape(client)
    name = "freezer_http_requests_total"
    labels = dict(route="<unmatched>", method="GET", status="404")
    assert value(after, name, **labels) - value(before, name, **labels) == 2


def test_fleet_facts_come_from_the_database(app, client, alice, bob):
    alice.create("clients", client_body("proj_node1", "node1"))
    bob.create("clients", client_body("proj_node2", "node2"))
    for user, status in ((alice, "scheduled"), (alice, "running"), (bob, "running")):
        user.create("jobs", job_body(schedule={"schedule_interval": "1 days",
                                               "status": status}))
    session_id = alice.create("sessions", {"description": "nightly",
                                           "schedule": {"schedule_interval": "1 days"}})
    assert alice.patch(f"/v1/sessions/{session_id}", {"status": "running"}).status_code == 200
    with app.app_context():
        node2 = db.session.query(Client).filter_by(client_id="proj_node2").one()
        node2.last_seen = clock.utcnow() - timedelta(minutes=11)
        db.session.commit()
    samples = scrape(client)
    assert value(samples, "freezer_database_up") == 1
    assert value(samples, "freezer_jobs", status="running") == 2
    assert value(samples, "freezer_jobs", status="scheduled") == 1
    assert value(samples, "freezer_jobs", status="completed") == 0
    assert value(samples, "freezer_sessions_running") == 1
    assert value(samples, "freezer_clients_silent") == 1
    assert value(samples, "freezer_job_runs", result="succeeded") == 0


def test_runs_succeeded_and_failed_come_from_the_run_history(app, client):
    now = clock.utcnow()
    with app.app_context():
        for n, result in enumerate(["success", "success", "fail", "aborted", None]):
            db.session.add(Run(user_id="alice", job_id=f"job{n}", started_at=now,
                               ended_at=None if result is None else now, result=result))
        db.session.commit()
    samples = scrape(client)
    assert value(samples, "freezer_job_runs", result="succeeded") == 2
    assert value(samples, "freezer_job_runs", result="failed") == 1


@pytest.fixture
def app_config():
    return {"METRICS_TOKEN": "s3cret-scrape", "METRICS_ALLOW_FROM": "127.0.0.1/32,10.9.0.0/16"}


@pytest.mark.parametrize("address, allowed", [
    ("127.0.0.1", True), ("10.9.3.4", True), ("10.10.0.1", False), ("192.0.2.7", False)])
def test_only_allowed_networks_may_read_it(client, address, allowed):
    response = client.get("/metrics", environ_base={"REMOTE_ADDR": address})
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        assert response.get_json()["title"] == "Access Forbidden"


@pytest.mark.parametrize("auth, status", [
    ("Bearer s3cret-scrape", 200), ("Bearer wrong", 403), ("s3cret-scrape", 403)])
def test_the_token_opens_it_from_anywhere(client, auth, status):
    response = client.get("/metrics", headers={"Authorization": auth},
                          environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == status


def test_a_database_outage_still_answers_the_scrape(tmp_path):
    from .conftest import app_on
    app = app_on(f"sqlite:///{tmp_path / 'gone' / 'db.sqlite'}")
    with app.test_client() as client:
        samples = scrape(client)
    assert value(samples, "freezer_database_up") == 0


def test_a_malformed_allow_list_fails_at_start(database_url):
    from .conftest import app_on
    with pytest.raises(RuntimeError, match="METRICS_ALLOW_FROM"):
        app_on(database_url, METRICS_ALLOW_FROM="10.0.0.0/33")
