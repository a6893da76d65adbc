"""Sessions board and the overview."""
from datetime import timedelta

from app.extensions import db
from app.models import Client
from app import clock
from tests.builders import client_body, job_body


def test_session_board_add_remove_and_live_result(ui, alice):
    job_id = alice.create("jobs", job_body(description="db1 dump"))
    r = ui.post("/sessions/new", {"description": "cluster", "hold_off": "30",
                                  "schedule-kind": "none"})
    assert r.status_code == 302
    session_id = r.headers["Location"].rsplit("/", 1)[1]
    page = ui.get(f"/sessions/{session_id}").text
    assert "No job in this session yet" in page and "db1 dump" in page  # offered to add
    assert ui.post(f"/sessions/{session_id}/jobs", {"job_id": job_id}).status_code == 302
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["session_id"] == session_id
    board = ui.get(f"/sessions/{session_id}", htmx=True).text
    assert board.lstrip().startswith('<article id="session-board"') and "db1 dump" in board
    assert 'hx-trigger="every 2s"' in board
    # the agent runs the round: the board shows the result and stops polling
    alice.post(f"/v1/sessions/{session_id}/action", {"start": {"job_id": job_id, "current_tag": 0}})
    assert 'data-status="running"' in ui.get(f"/sessions/{session_id}", htmx=True).text
    alice.post(f"/v1/sessions/{session_id}/action",
               {"end": {"job_id": job_id, "current_tag": 1, "result": "success"}})
    board = ui.get(f"/sessions/{session_id}", htmx=True).text
    assert 'data-status="success"' in board and "hx-trigger" not in board
    assert ui.post(f"/sessions/{session_id}/jobs/{job_id}/remove").status_code == 302
    assert alice.get(f"/v1/sessions/{session_id}").get_json()["jobs"] == {}


def test_session_with_a_bad_schedule_is_refused_beside_the_field(ui, alice):
    r = ui.post("/sessions/new", {"description": "x", "schedule-kind": "interval",
                                  "schedule-schedule_interval": "0 seconds"})
    assert r.status_code == 400 and 'id="schedule-schedule_interval-error"' in r.text
    assert alice.get("/v1/sessions").get_json()["sessions"] == []


def test_overview_numbers_link_to_their_lists(app, ui, alice):
    running = alice.create("jobs", job_body(description="busy"))
    alice.patch(f"/v1/jobs/{running}", {"job_schedule": {"status": "running"}})
    failed = alice.create("jobs", job_body(description="broken"))
    alice.patch(f"/v1/jobs/{failed}", {"job_schedule": {"status": "running"}})
    alice.patch(f"/v1/jobs/{failed}", {"job_schedule": {"status": "completed", "result": "fail"}})
    alice.post("/v1/clients/", client_body("proj_quiet", "quiet"))
    with app.app_context():
        row = db.session.scalars(db.select(Client).where(Client.client_id == "proj_quiet")).one()
        row.last_seen = clock.utcnow() - timedelta(hours=3)
        db.session.commit()
    text = ui.get("/").text
    assert '<a href="/jobs?status=running"><span class="n">1</span>' in text
    assert '<a href="/jobs?failed_within=24"><span class="n">1</span>' in text
    assert '<span class="n">1</span>clients silent' in text
    assert 'hx-get="/overview/attention?stale_hours=48" hx-trigger="load"' in text
    refresh = ui.get("/", htmx=True).text  # what the 30 s refresh swaps: the numbers only
    assert refresh.lstrip().startswith('<section id="overview"') and 'id="attention"' not in refresh
    assert "busy" in text and "broken" in text and "quiet" in text
    listed = ui.get("/jobs?failed_within=24").text
    assert "broken" in listed and "busy" not in listed
    assert "quiet" in ui.get("/clients?silent=60&sort=last_seen").text


def test_overview_attention_upcoming_and_stale(app, ui, alice):
    clock.freeze(1795744800)  # 2026-11-27T00:40:00Z
    soon = alice.create("jobs", job_body(description="nightly", schedule={
        "schedule_hour": "2", "schedule_minute": "30", "event": "start"}))
    forgotten = alice.create("jobs", job_body(description="forgotten"))
    clock.freeze(1795744800 + 3 * 86400)
    panel = ui.get("/overview/attention?stale_hours=48", htmx=True)
    assert panel.text.lstrip().startswith('<section id="attention">')
    assert "2026-11-30 02:30 UTC" in panel.text and "nightly" in panel.text
    assert '<a href="/jobs?stale=48"><span class="n">2</span>' in panel.text
    listed = ui.get("/jobs?stale=48").text
    assert "forgotten" in listed
    alice.patch(f"/v1/jobs/{forgotten}", {"job_schedule": {"status": "running"}})
    alice.patch(f"/v1/jobs/{forgotten}", {"job_schedule": {"status": "completed", "result": "success"}})
    assert "forgotten" not in ui.get("/jobs?stale=48").text and soon
    assert "<html" in ui.get("/overview/attention").text  # also a page of its own


def test_overview_when_empty_says_what_to_do(ui):
    assert "Nothing is running" in ui.get("/").text
    assert "Compose a job" in ui.get("/overview/attention", htmx=True).text


def test_overview_counts_a_young_job_that_only_failed(ui, alice):
    """A job created an hour ago whose runs all failed has not succeeded in the last 48 h:
    the overview counts it and never claims every job succeeded."""
    done = alice.create("jobs", job_body(description="healthy"))
    alice.patch(f"/v1/jobs/{done}", {"job_schedule": {"status": "running"}})
    alice.patch(f"/v1/jobs/{done}", {"job_schedule": {"status": "completed", "result": "success"}})
    young = alice.create("jobs", job_body(description="young and failing"))
    for _ in range(2):
        alice.patch(f"/v1/jobs/{young}", {"job_schedule": {"status": "running"}})
        alice.patch(f"/v1/jobs/{young}", {"job_schedule": {"status": "completed", "result": "fail"}})
    panel = ui.get("/overview/attention?stale_hours=48", htmx=True).text
    assert '<a href="/jobs?stale=48"><span class="n">1</span>' in panel
    assert "young and failing" in panel and "healthy" not in panel
    assert "Every job meant to run has succeeded" not in panel
    listed = ui.get("/jobs?stale=48").text
    assert "young and failing" in listed and "healthy" not in listed
