"""Every dashboard page is behind sign-in. The routes come from app.url_map, so a page added
later is covered without editing this file."""
import re

import pytest
from sqlalchemy import select

from app.auth import is_api_path
from app.extensions import db
from tests.builders import csrf_token, operator, sign_in

#: endpoints anyone may reach: sign-in itself, assets, probes, the versions document
PUBLIC = {"auth.login", "auth.logout", "static", "versions", "ops_health.healthz",
          "ops_health.healthcheck",
          "ops_health.readyz", "ops_metrics.metrics"}
_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def dashboard_routes(app):
    found = []
    for rule in app.url_map.iter_rules():
        if is_api_path(rule.rule) or rule.endpoint in PUBLIC:
            continue
        path = _ARG.sub(lambda m: "1" if m.group(0).startswith("<int:") else "x", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, path))
    assert ("auth.tokens", "GET", "/auth/tokens") in found
    return found


def everything():
    out = {}
    for table in db.metadata.sorted_tables:
        out[table.name] = [tuple(r) for r in db.session.execute(select(table))]
    db.session.rollback()
    return out


def test_signed_out_visitors_are_sent_to_sign_in(app, client):
    token = csrf_token(client.get("/auth/login").text)  # so POSTs pass CSRF and reach the view
    before = everything()
    wrong = []
    for endpoint, method, path in dashboard_routes(app):
        r = client.open(path, method=method, headers={"Accept": "text/html"},
                        data={"csrf_token": token} if method != "GET" else None)
        if r.status_code != 302 or not r.headers["Location"].startswith("/auth/login"):
            wrong.append(f"{endpoint} {method} {path}: {r.status_code}")
    assert wrong == []
    assert everything() == before


def test_htmx_requests_get_a_full_page_redirect(app, client):
    r = client.get("/auth/tokens", headers={"HX-Request": "true",
                                            "HX-Current-URL": "http://localhost/jobs?page=2"})
    assert r.status_code == 401
    assert r.headers["HX-Redirect"] == "/auth/login?next=/jobs?page%3D2"


def test_after_sign_in_the_visitor_lands_on_the_page_asked_for(app, client):
    operator("carol")
    r = client.get("/auth/tokens?tab=1")
    assert r.headers["Location"] == "/auth/login?next=/auth/tokens?tab%3D1"
    page = client.get(r.headers["Location"])
    assert 'value="/auth/tokens?tab=1"' in page.text
    nxt = re.search(r'name="next" type="hidden" value="([^"]*)"', page.text).group(1)
    r = sign_in(client, "carol", next=nxt)
    assert r.headers["Location"] == "/auth/tokens?tab=1"


@pytest.mark.parametrize("path", ["/auth/tokens"])
def test_signed_in_operators_see_the_pages(signed_in, path):
    assert signed_in.get(path).status_code == 200
