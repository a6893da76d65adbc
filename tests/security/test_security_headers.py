"""Property 5: security headers on every response (pages, API, errors, probes, assets),
HSTS over HTTPS only, and no template holding what the policy refuses (inline script, event
handler attributes, inline style, javascript: URLs). tests/browser/test_csp.py proves the
pages in Chromium."""
import pathlib
import re

import pytest

from app.security_headers import CSP
from tests.builders import api_token, operator, sign_in

TEMPLATES = pathlib.Path(__file__).resolve().parents[2] / "app" / "templates"
EXPECTED = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
            "X-Frame-Options": "DENY"}


@pytest.fixture
def app_config():
    return {"AUTH_MODE": "token"}


def assert_protected(response, where):
    assert response.headers.get("Content-Security-Policy") == CSP, where
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (where, name)


def test_the_policy_refuses_inline_script_and_framing():
    directives = dict(d.strip().split(" ", 1) for d in CSP.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in CSP


def test_every_route_answers_with_the_headers_signed_in_or_not(app, client):
    operator("carol")
    signed = app.test_client()
    sign_in(signed, "carol")
    paths = set()
    for rule in app.url_map.iter_rules():
        paths.add(re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "x", rule.rule))
    paths |= {"/no/such/page", "/v1/no-such", "/static/htmx.min.js"}
    for path in sorted(paths):
        for browser in (client, signed):
            response = browser.get(path)
            assert_protected(response, path)
            response.close()


@pytest.mark.parametrize("method,path,kw", [
    ("GET", "/v1/jobs", {}),                                         # 401
    ("GET", "/v1/jobs", {"headers": {"X-Auth-Token": "wrong"}}),     # 401 after a token check
    ("DELETE", "/healthz", {}),                                      # 405
    ("POST", "/auth/login", {"data": {"username": "x"}}),            # 400 (no CSRF token)
    ("POST", "/v1/jobs", {"data": "x" * (2 * 1024 * 1024)}),         # 413
])
def test_error_answers_carry_them_too(client, method, path, kw):
    assert_protected(client.open(path, method=method, **kw), path)


def test_api_answers_carry_them(app, client):
    operator("carol")
    token = api_token("carol")
    assert_protected(client.get("/v1/jobs", headers={"X-Auth-Token": token}), "/v1/jobs")


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/auth/login").headers
    secure = client.get("/auth/login", base_url="https://freezer.example")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.parametrize("app_config", [{"AUTH_MODE": "token", "TRUSTED_PROXIES": 1}])
def test_hsts_behind_a_trusted_tls_proxy(app, client):
    r = client.get("/auth/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" in r.headers


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "event handler attribute"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "<style> element"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
    (re.compile(r"\shx-on", re.I), "hx-on (evaluated script)"),
]


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix()
                                            for p in TEMPLATES.rglob("*.html")))
def test_no_template_holds_what_the_policy_refuses(template):
    text = (TEMPLATES / template).read_text()
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)  # Jinja comments
    found = [what for pattern, what in INLINE if pattern.search(text)]
    assert found == []


def test_htmx_is_configured_to_match(client):
    operator("carol")
    sign_in(client, "carol")
    page = client.get("/auth/tokens").text
    config = re.search(r'name="htmx-config" content=\'([^\']+)\'', page).group(1)
    for setting in ('"includeIndicatorStyles": false', '"allowEval": false',
                    '"allowScriptTags": false'):
        assert setting in config
