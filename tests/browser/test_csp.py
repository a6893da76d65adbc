"""Property 5 in a real browser: every dashboard page (the routes come from the app's URL
map, so a page added later is visited too) and the API docs load under the
Content-Security-Policy without one violation, and what used inline script still works."""
import re

import pytest
from playwright.sync_api import expect

from app import create_app
from app.auth import accounts
from app.extensions import db
from tests.builders import action_body, backup_body, client_body, job_body

SKIP = {"static", "auth.logout", "versions"}  # assets; the sign-out page is visited apart


def _make_admin(database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": "x" * 40, "AUTH_MODE": "token"})
    with app.app_context():
        accounts.get("alice").is_admin = True
        accounts.create("bob", "long enough password")
        db.session.commit()
        db.engine.dispose()
    return app


def _urls(app, ids):
    out = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIP or rule.rule.startswith(("/v1", "/v2")) \
                or not rule.endpoint.startswith(("ui.", "auth.")):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: ids.get(m.group(1), "1"), rule.rule)
        if rule.endpoint in ("ui.backup_delete", "ui.backup_restore"):
            path += f"?id={ids['backup_id']}"
        out.append(path)
    return sorted(set(out))


def test_every_dashboard_page_loads_without_a_csp_violation(watched, agent, live_token_server,
                                                            database_url):
    app = _make_admin(database_url)
    agent.call("POST", "/v1/clients/", client_body())
    ids = {"client_id": "proj_node1", "action_id": agent.create("actions", action_body()),
           "job_id": agent.create("jobs", job_body()),
           "session_id": agent.create("sessions", {"schedule": {"schedule_interval": "1 days"}}),
           "username": "bob", "action": "disable"}
    agent.call("POST", "/v1/backups/", backup_body())
    ids["backup_id"] = agent.call("GET", "/v1/backups")["backups"][0]["backup_id"]
    agent.call("POST", f"/v1/jobs/{ids['job_id']}/event", {"start": None})  # a live status poll
    urls = _urls(app, ids)
    assert "/admin/operators" in urls and "/audit" in urls and "/jobs/new" in urls
    seen = {}
    for url in urls + ["/auth/logout"]:
        response = watched.goto(url)
        watched.wait_for_load_state("networkidle")
        assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()} \
            or "content-security-policy" in response.headers, url
        seen[url] = watched.violations()
    assert {url: found for url, found in seen.items() if found} == {}


def test_the_watch_does_see_a_violation(watched):
    """The control: an inline handler added to a page is blocked, and reported."""
    watched.goto("/jobs")
    watched.evaluate("document.body.insertAdjacentHTML('beforeend', "
                     "'<img src=\"/static/none.png\" onerror=\"window.ran = 1\">')")
    watched.wait_for_timeout(500)
    assert watched.evaluate("window.ran === undefined")
    assert any("script-src" in v for v in watched.violations())


def test_the_sessions_filter_still_submits_on_change(watched):
    """It was an inline onchange; now static/app.js does it."""
    watched.goto("/sessions")
    watched.select_option("select[name=status]", "running")
    watched.wait_for_url(re.compile(r"/sessions\?status=running"))
    assert watched.violations() == []


def test_htmx_swaps_work_under_the_policy(watched, agent):
    agent.call("POST", "/v1/clients/", client_body())
    watched.goto("/jobs/new")
    watched.select_option("#client_id", "proj_node1")
    expect(watched.locator("#composer[data-client=proj_node1]")).to_have_count(1)  # swapped in
    assert watched.violations() == []


def test_the_api_docs_render_under_the_policy(watched):
    watched.goto("/v1/docs")
    expect(watched.locator("#swagger-ui-container .swagger-ui").first).to_be_visible()
    expect(watched.get_by_text("/v1/jobs", exact=True).first).to_be_visible(timeout=15000)
    assert watched.violations() == []
