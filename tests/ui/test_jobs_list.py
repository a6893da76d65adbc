"""The jobs list (schedule in words, last and next run, row and bulk actions) and the bulk
confirmation page: it names every job and what will happen to it, and only its POST acts."""
import re
from datetime import datetime, timezone

from app import clock
from tests.builders import client_body, job_body

NOW = datetime(2026, 12, 2, 0, 40, tzinfo=timezone.utc)


def _row(page, job_id):
    found = re.search(rf'<tr data-job-id="{job_id}">(.*?)</tr>', page, re.S)
    assert found, f"no row for {job_id}"
    return re.sub(r"\s+", " ", found.group(1))


def _event(alice, job_id):
    return alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]["event"]


def test_the_list_says_schedule_last_run_and_next_run(ui, alice):
    clock.freeze(NOW.timestamp())
    ran = alice.create("jobs", job_body(description="hourly", schedule={
        "schedule_interval": "1 hours"}))
    started = int(datetime(2026, 12, 2, 0, 30, tzinfo=timezone.utc).timestamp())
    alice.patch(f"/v1/jobs/{ran}", {"job_schedule": {
        "status": "scheduled", "event": "", "result": "fail", "time_started": started,
        "time_ended": started + 300}})
    stopped = alice.create("jobs", job_body(description="parked", schedule={
        "schedule_hour": "3", "status": "stop"}))
    page = ui.get("/jobs").text
    row = _row(page, ran)
    assert "every 1 hours" in row
    assert 'data-status="fail"' in row and "5 min ago" in row
    assert "2026-12-02 01:30 UTC" in row
    row = _row(page, stopped)
    assert "at hour 3" in row and "never" in row
    assert "stopped: no runs until started" in row


def test_a_running_job_shows_since_when_and_a_cleared_result_keeps_the_last_one(ui, alice):
    clock.freeze(NOW.timestamp())
    job_id = alice.create("jobs", job_body())
    alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {
        "status": "running", "time_started": int(NOW.timestamp()) - 120}})
    row = re.sub(r"</?time[^>]*>", "", _row(ui.get("/jobs").text, job_id))  # times are <time>s
    assert "running since 2 min ago" in row


def test_row_stop_asks_first_naming_the_job(ui, alice):
    job_id = alice.create("jobs", job_body(description="nightly etc"))
    alice.post(f"/v1/jobs/{job_id}/event", {"start": None})
    page = ui.get("/jobs").text
    link = re.search(r'href="(/jobs/bulk\?op=stop&amp;job_id=' + job_id + r'[^"]*)"', page)
    assert link, "each row links to a stop that asks first"
    confirm = ui.get(link.group(1).replace("&amp;", "&"))
    assert confirm.status_code == 200
    assert "nightly etc" in confirm.text and "Yes, stop 1 job" in confirm.text
    assert _event(alice, job_id) == "start", "asking changes nothing"


def test_bulk_stop_of_a_selection(ui, alice):
    ids = [alice.create("jobs", job_body(description=f"job {n}")) for n in range(3)]
    for job_id in ids:
        alice.post(f"/v1/jobs/{job_id}/event", {"start": None})
    alice.post(f"/v1/jobs/{ids[1]}/event", {"stop": None})
    picked = {"op": "stop", "job_id": ids[:2], "next": "/jobs?status=scheduled"}
    confirm = ui.get("/jobs/bulk", query_string=picked).text
    plan = re.findall(r'<li data-job-id="(\w+)" data-changes="(yes|no)"><strong>([^<]*)', confirm)
    assert plan == [(ids[0], "yes", "job 0"), (ids[1], "no", "job 1")]
    assert "a stop is already requested: nothing to do" in confirm
    assert "Yes, stop 1 job" in confirm
    r = ui.post("/jobs/bulk", picked)
    assert r.status_code == 302 and r.headers["Location"].endswith("/jobs?status=scheduled")
    assert [_event(alice, i) for i in ids] == ["stop", "stop", "start"]
    assert "Stop requested for 1 job (1 unchanged)." in ui.get("/jobs").text


def test_bulk_delete_and_start(ui, alice):
    a = alice.create("jobs", job_body(description="old one"))
    b = alice.create("jobs", job_body(description="keeper"))
    confirm = ui.get("/jobs/bulk", query_string={"op": "delete", "job_id": [a]}).text
    assert "old one" in confirm and "keeper" not in confirm and "Yes, delete 1 job" in confirm
    assert ui.post("/jobs/bulk", {"op": "delete", "job_id": [a]}).status_code == 302
    assert alice.get(f"/v1/jobs/{a}").status_code == 404
    assert ui.post("/jobs/bulk", {"op": "start", "job_id": [b]}).status_code == 302
    assert _event(alice, b) == "start"


def test_bulk_add_to_session_says_where_a_job_comes_from(ui, alice):
    first = alice.create("sessions", {"description": "first round", "schedule": {}})
    second = alice.create("sessions", {"description": "second round",
                                       "schedule": {"schedule_hour": "2"}})
    a = alice.create("jobs", job_body(description="mover"))
    b = alice.create("jobs", job_body(description="newcomer"))
    assert alice.put(f"/v1/sessions/{first}/jobs/{a}").status_code in (200, 204)
    picked = {"op": "session", "session_id": second, "job_id": [a, b]}
    confirm = ui.get("/jobs/bulk", query_string=picked).text
    assert "second round" in confirm
    assert "leaves session “first round” and joins it" in re.sub(r"\s+", " ", confirm)
    assert ui.post("/jobs/bulk", picked).status_code == 302
    for job_id in (a, b):
        job = alice.get(f"/v1/jobs/{job_id}").get_json()
        assert job["session_id"] == second
        # its own interval is gone: the session's schedule is what it follows
        assert job["job_schedule"]["schedule_hour"] == "2"
        assert "schedule_interval" not in job["job_schedule"]


def test_a_selection_with_a_vanished_job_does_nothing(ui, alice):
    a = alice.create("jobs", job_body(description="still here"))
    alice.post(f"/v1/jobs/{a}/event", {"start": None})
    r = ui.post("/jobs/bulk", {"op": "stop", "job_id": [a, "0" * 32]})
    assert r.status_code == 400 and "no longer exist" in r.text and "nothing was done" in r.text
    assert _event(alice, a) == "start"


def test_the_bulk_page_refuses_an_empty_or_unknown_choice(ui, alice):
    assert "Select at least one job" in ui.get("/jobs/bulk?op=stop").text
    a = alice.create("jobs", job_body())
    r = ui.get(f"/jobs/bulk?op=explode&job_id={a}")
    assert r.status_code == 400 and "Pick what to do" in r.text
    r = ui.post("/jobs/bulk", {"op": "session", "job_id": [a]})
    assert r.status_code == 400 and "Pick the session" in r.text


def test_another_projects_job_cannot_be_selected(ui, bob):
    theirs = bob.create("jobs", job_body(description="bob's"))
    r = ui.post("/jobs/bulk", {"op": "delete", "job_id": [theirs]})
    assert r.status_code == 400 and "bob's" not in r.text
    assert bob.get(f"/v1/jobs/{theirs}").status_code == 200


def test_the_list_reads_a_bounded_number_of_rows(ui, alice, app):
    """A page of 25 rows costs the same few queries however many jobs there are."""
    from sqlalchemy import event
    from app.extensions import db
    for n in range(30):
        alice.create("jobs", job_body(description=f"job {n}"))
    statements = []
    with app.app_context():
        engine = db.engine
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listen)
    try:
        page = ui.get("/jobs").text
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    assert page.count('<tr data-job-id=') == 25
    jobs_reads = [s for s in statements if "FROM jobs" in s]
    assert len(jobs_reads) <= 2, jobs_reads
    assert all("LIMIT" in s for s in jobs_reads)
