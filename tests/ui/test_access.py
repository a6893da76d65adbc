"""Every dashboard page: behind login, full page and htmx fragment, CSRF on writes, and
another operator's ids answer 404."""
import pytest

from tests.builders import action_body, backup_body, client_body, job_body, operator, sign_in

from .conftest import BROWSER, Operator

PAGES = ["/", "/jobs", "/jobs/new", "/actions", "/actions/new", "/clients", "/backups",
         "/sessions", "/sessions/new", "/upcoming"]


@pytest.mark.parametrize("url", PAGES + ["/jobs/x", "/clients/x", "/sessions/x",
                                         "/actions/x/edit", "/backups/restore?id=x"])
def test_pages_need_login(client, url):
    r = client.get(url, headers=BROWSER)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/auth/login")


# page -> the id of the fragment an htmx request gets instead of the page
FRAGMENTS = {"/": "overview", "/jobs": "jobs-table", "/actions": "actions-table",
             "/clients": "clients-table", "/backups": "backups-results",
             "/sessions": "sessions-table", "/jobs/new": "composer"}


@pytest.mark.parametrize("url, fragment", FRAGMENTS.items())
def test_full_page_and_fragment(ui, url, fragment):
    full = ui.get(url)
    assert full.status_code == 200
    assert "<html" in full.text and f'id="{fragment}"' in full.text
    assert "HX-Request" in full.headers["Vary"]
    part = ui.get(url, htmx=True)
    assert part.status_code == 200
    assert "<html" not in part.text and "<nav" not in part.text
    assert part.text.lstrip().startswith(f'<section id="{fragment}"') or \
        part.text.lstrip().startswith(f'<form id="{fragment}"') or f'id="{fragment}"' in part.text[:300]
    assert "HX-Request" in part.headers["Vary"]


def test_job_page_and_its_status_card(ui, alice):
    job_id = alice.create("jobs", job_body())
    full = ui.get(f"/jobs/{job_id}")
    assert "<html" in full.text and 'id="job-status"' in full.text and "Run history" in full.text
    card = ui.get(f"/jobs/{job_id}", htmx=True)
    assert card.text.lstrip().startswith('<article id="job-status"')
    assert "Run history" not in card.text
    assert "HX-Request" in card.headers["Vary"]


def test_root_negotiates(client, signed_in):
    api = client.get("/", headers={"Accept": "application/json"})
    assert api.status_code == 300 and "1" in [v["id"] for v in api.get_json()["versions"]]
    assert client.get("/").status_code == 300  # no Accept: an API client
    assert client.get("/", headers={"Accept": "*/*"}).status_code == 300
    page = client.get("/", headers=BROWSER)
    assert page.status_code == 200 and "Overview" in page.text
    assert "Accept" in page.headers["Vary"]


def test_writes_need_the_csrf_token(ui, alice):
    r = ui.post("/actions/new", {"action": "backup", "mode": "fs", "backup_name": "b",
                                 "container": "c", "path_to_backup": "/d"}, csrf=False)
    assert r.status_code == 400
    job_id = alice.create("jobs", job_body())
    r = ui.post(f"/jobs/{job_id}/event", {"event": "start"}, csrf=False, htmx=True)
    assert r.status_code == 400
    assert [a["freezer_action"].get("backup_name") for a in
            alice.get("/v1/actions").get_json()["actions"]] == ["data"]  # only the job's own
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]["event"] == ""


def test_another_operators_ids_answer_404(app, client, bob):
    bob.post("/v1/clients/", client_body("proj_bobhost", "bobhost"))
    job_id = bob.create("jobs", job_body("proj_bobhost"))
    action_id = bob.create("actions", action_body())
    bob.post("/v1/backups/", backup_body(hostname="bobhost"))
    backup_id = bob.get("/v1/backups").get_json()["backups"][0]["backup_id"]
    session_id = bob.create("sessions", {"description": "bob's", "schedule": {}})
    with app.app_context():
        operator("alice", user_id="alice")
    assert sign_in(client, "alice").status_code == 302
    ui = Operator(client)
    for url in (f"/jobs/{job_id}", f"/jobs/{job_id}/schedule", f"/jobs/{job_id}/delete",
                f"/actions/{action_id}/edit", f"/actions/{action_id}/delete",
                "/clients/proj_bobhost", f"/sessions/{session_id}",
                f"/backups/restore?id={backup_id}", f"/backups/delete?id={backup_id}"):
        r = ui.get(url)
        assert r.status_code == 404, url
        assert "<html" in r.text and "404" in r.text  # the dashboard's HTML error page
    for url, data in ((f"/jobs/{job_id}/event", {"event": "start"}),
                      (f"/jobs/{job_id}/delete", {}), (f"/actions/{action_id}/delete", {}),
                      (f"/backups/delete?id={backup_id}", {}),
                      (f"/sessions/{session_id}/jobs", {"job_id": job_id}),
                      (f"/sessions/{session_id}/delete", {})):
        assert ui.post(url, data).status_code == 404, url
    # and nothing of bob's changed
    assert bob.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]["event"] == ""
    assert bob.get(f"/v1/actions/{action_id}").status_code == 200
    assert len(bob.get("/v1/backups").get_json()["backups"]) == 1
    assert bob.get(f"/v1/sessions/{session_id}").get_json()["jobs"] == {}


def test_lists_show_only_my_documents(ui, alice, bob):
    bob.create("jobs", job_body(description="bob's secret job"))
    alice.create("jobs", job_body(description="alice's job"))
    text = ui.get("/jobs").text
    assert "alice&#39;s job" in text and "bob&#39;s secret job" not in text
