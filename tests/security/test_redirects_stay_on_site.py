"""Property 9: every redirect the app sends (Location, HX-Redirect, HX-Location) stays on
this site, whatever a request asked for; one helper (app/redirects.py) decides."""
import pytest
from flask import redirect

from app.redirects import safe_target
from tests.builders import backup_body
from tests.ui.conftest import HTMX

HOSTILE = ["https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
           "http:evil.example", "javascript:alert(1)", "JavaScript:alert(1)",
           " javascript:alert(1)", "/\tevil", "///evil.example", "evil.example",
           "https:/evil.example", "data:text/html,<script>alert(1)</script>",
           "/ok\r\nSet-Cookie: x=1", "/" + "a" * 3000]


@pytest.fixture
def backup_id(alice):
    alice.post("/v1/backups/", backup_body())
    return alice.get("/v1/backups").get_json()["backups"][0]["backup_id"]


@pytest.mark.parametrize("target", HOSTILE)
def test_the_helper_refuses_anything_off_the_site(target):
    assert safe_target(target) is None


@pytest.mark.parametrize("target", ["/", "/jobs?limit=5", "/backups?hostname=a%2Fb#x"])
def test_the_helper_keeps_paths_of_the_site(target):
    assert safe_target(target) == target


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
@pytest.mark.parametrize("target", HOSTILE[:6])
def test_backup_delete_does_not_follow_a_foreign_next(ui, backup_id, target, htmx):
    """The review's request: `POST /backups/delete` answered `HX-Redirect: javascript:...`."""
    r = ui.post("/backups/delete", {"id": backup_id, "next": target}, htmx=htmx)
    assert r.status_code in (204, 302)
    location = r.headers.get("HX-Redirect" if htmx else "Location")
    assert location == "/backups"


def test_backup_delete_follows_a_next_on_the_site(ui, backup_id):
    r = ui.post("/backups/delete", {"id": backup_id, "next": "/backups?hostname=node1"}, htmx=True)
    assert r.headers["HX-Redirect"] == "/backups?hostname=node1"


@pytest.mark.parametrize("header", ["Location", "HX-Redirect", "HX-Location"])
@pytest.mark.parametrize("target", HOSTILE[:8])
def test_no_response_of_the_app_can_send_a_browser_elsewhere(app, client, header, target):
    """The hook catches a view that forgets the helper (the next instance of the bug)."""
    @app.route("/test-forgetful-view")
    def forgetful():
        return "", 302 if header == "Location" else 204, {header: target}

    r = client.get("/test-forgetful-view")
    assert r.headers[header] == "/"


def test_the_apps_own_absolute_redirects_pass(app, client):
    @app.route("/test-absolute")
    def absolute():
        return redirect("http://localhost/jobs")

    assert client.get("/test-absolute").headers["Location"] == "http://localhost/jobs"


def test_htmx_sign_in_redirect_keeps_a_foreign_current_url_out(client):
    r = client.get("/jobs", headers={**HTMX, "HX-Current-URL": "https://evil.example/jobs"})
    assert r.status_code == 401 and r.headers["HX-Redirect"] == "/auth/login"
