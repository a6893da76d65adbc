"""Session pages: adding a job makes the session's schedule the job's (and says so); a job
of another session moves only once confirmed; the editor replaces description, hold-off
and schedule under the session's version and its jobs follow; start now asks first."""
import html
import re

from tests.builders import job_body

CRON = {"schedule_hour": "2", "schedule_minute": "30"}


def _session(ui, description, schedule_fields, hold_off="30"):
    r = ui.post("/sessions/new", {"description": description, "hold_off": hold_off,
                                  **schedule_fields})
    assert r.status_code == 302, r.text
    return r.headers["Location"].rsplit("/", 1)[1]


def _cron_session(ui, description, **extra):
    return _session(ui, description, {"schedule-kind": "cron", "schedule-schedule_hour": "2",
                                      "schedule-schedule_minute": "30",
                                      **{f"schedule-{k}": v for k, v in extra.items()}})


def _version(page: str) -> str:
    return re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)


def test_an_added_interval_job_runs_on_the_sessions_cron_and_the_page_says_so(ui, alice):
    job_id = alice.create("jobs", job_body(description="db dump",
                                           schedule={"schedule_interval": "6 hours"}))
    session_id = _cron_session(ui, "nightly cluster")
    page = ui.get(f"/sessions/{session_id}").text
    assert "schedule is replaced by the session&#39;s" in page or \
        "schedule is replaced by the session's" in page
    r = ui.post(f"/sessions/{session_id}/jobs", {"job_id": job_id})
    assert r.status_code == 302
    schedule = alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]
    assert "schedule_interval" not in schedule  # it would win over the session's cron
    assert schedule["schedule_hour"] == "2" and schedule["schedule_minute"] == "30"
    flashed = html.unescape(ui.get(f"/sessions/{session_id}").text)
    assert "its schedule is now the session's, at hour 2, minute 30" in flashed


def test_the_wire_add_still_merges_schedule_keys(ui, alice):
    """§8.7 stays for the API: PUT merges the session's keys into the job's."""
    job_id = alice.create("jobs", job_body(schedule={"schedule_interval": "6 hours"}))
    session_id = _cron_session(ui, "api cluster")
    assert alice.put(f"/v1/sessions/{session_id}/jobs/{job_id}").status_code == 204
    schedule = alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]
    assert schedule["schedule_interval"] == "6 hours" and schedule["schedule_hour"] == "2"


def test_a_job_of_another_session_moves_only_after_a_confirmation_naming_it(ui, alice):
    job_id = alice.create("jobs", job_body(description="web files"))
    weekly = _cron_session(ui, "weekly web", schedule_day_of_week="sun")
    daily = _session(ui, "daily web", {"schedule-kind": "interval",
                                       "schedule-schedule_interval": "1 days"})
    assert ui.post(f"/sessions/{weekly}/jobs", {"job_id": job_id}).status_code == 302
    assert "in session “weekly web”" in ui.get(f"/sessions/{daily}").text
    asked = ui.post(f"/sessions/{daily}/jobs", {"job_id": job_id})
    assert asked.status_code == 200
    text = html.unescape(asked.text)
    assert "Move this job to this session?" in text
    assert "“web files” is in the session “weekly web”" in text
    assert f'name="confirm_move" value="{weekly}"' in asked.text
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["session_id"] == weekly  # not yet
    r = ui.post(f"/sessions/{daily}/jobs", {"job_id": job_id, "confirm_move": weekly})
    assert r.status_code == 302
    job = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert job["session_id"] == daily
    assert job["job_schedule"]["schedule_interval"] == "1 days"
    assert not any(k in job["job_schedule"] for k in
                   ("schedule_day_of_week", "schedule_hour", "schedule_minute"))
    assert job_id not in alice.get(f"/v1/sessions/{weekly}").get_json()["jobs"]


def test_the_session_editor_replaces_the_schedule_and_its_jobs_follow(ui, alice):
    job_id = alice.create("jobs", job_body(description="db dump"))
    session_id = _cron_session(ui, "cluster")
    ui.post(f"/sessions/{session_id}/jobs", {"job_id": job_id})
    editor = ui.get(f"/sessions/{session_id}/edit").text
    assert 'value="cluster"' in editor and 'value="30"' in editor
    assert "Saving gives its job this schedule too" in editor
    r = ui.post(f"/sessions/{session_id}/edit", {
        "version": _version(editor), "description": "cluster db", "hold_off": "90",
        "schedule-kind": "interval", "schedule-schedule_interval": "12 hours"})
    assert r.status_code == 302, r.text
    session = alice.get(f"/v1/sessions/{session_id}").get_json()
    assert session["description"] == "cluster db" and session["hold_off"] == 90
    assert session["schedule"] == {"schedule_interval": "12 hours"}  # replaced, not merged
    assert job_id in session["jobs"]
    schedule = alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]
    assert schedule["schedule_interval"] == "12 hours" and "schedule_hour" not in schedule
    assert "every 12 hours" in ui.get(f"/sessions/{session_id}").text


def test_a_stale_session_save_is_refused_with_the_current_values(ui, alice):
    session_id = _cron_session(ui, "two tabs")
    editor = ui.get(f"/sessions/{session_id}/edit").text
    first = {"version": _version(editor), "description": "saved first", "hold_off": "30",
             "schedule-kind": "none"}
    assert ui.post(f"/sessions/{session_id}/edit", first).status_code == 302
    second = dict(first, description="saved second")
    r = ui.post(f"/sessions/{session_id}/edit", second)
    assert r.status_code == 409
    assert "Not saved: this session was changed elsewhere" in r.text
    assert 'value="saved first"' in r.text and 'value="saved second"' not in r.text
    assert alice.get(f"/v1/sessions/{session_id}").get_json()["description"] == "saved first"
    # a form without its version is not saved blind either
    blind = {k: v for k, v in second.items() if k != "version"}
    assert ui.post(f"/sessions/{session_id}/edit", blind).status_code == 409


def test_start_now_names_the_jobs_and_starts_them(ui, alice):
    one = alice.create("jobs", job_body(description="db one", client_id="proj_db1"))
    two = alice.create("jobs", job_body(description="db two", client_id="proj_db2"))
    session_id = _cron_session(ui, "db cluster")
    for job_id in (one, two):
        ui.post(f"/sessions/{session_id}/jobs", {"job_id": job_id})
    asked = html.unescape(ui.get(f"/sessions/{session_id}/start").text)
    assert "Start the 2 job(s) of this session now?" in asked
    assert "“db one” on proj_db1" in asked and "“db two” on proj_db2" in asked
    assert "hold-off (30 s)" in asked
    assert alice.get(f"/v1/jobs/{one}").get_json()["job_schedule"]["event"] != "start"
    assert ui.post(f"/sessions/{session_id}/start").status_code == 302
    for job_id in (one, two):
        assert alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]["event"] == "start"
    assert "Start requested for 2 job(s)" in html.unescape(ui.get(f"/sessions/{session_id}").text)


def test_past_rounds_are_shown_newest_first_with_each_jobs_result(ui, alice):
    from app import clock
    one = alice.create("jobs", job_body(description="db one"))
    two = alice.create("jobs", job_body(description="db two"))
    session_id = _session(ui, "rounds", {"schedule-kind": "none"}, hold_off="60")
    for job_id in (one, two):
        ui.post(f"/sessions/{session_id}/jobs", {"job_id": job_id})
    assert "No round has ended yet" in ui.get(f"/sessions/{session_id}").text
    act = f"/v1/sessions/{session_id}/action"
    clock.freeze(1795744800)
    for job_id in (one, two):
        alice.post(act, {"start": {"job_id": job_id, "current_tag": 0}})
    alice.post(act, {"end": {"job_id": one, "current_tag": 1, "result": "success"}})
    alice.post(act, {"end": {"job_id": two, "current_tag": 1, "result": "fail"}})
    clock.freeze(1795744800 + 86400)
    alice.post(act, {"start": {"job_id": one, "current_tag": 1}})  # round 2, never ends
    clock.freeze(1795744800 + 2 * 86400)
    alice.post(act, {"start": {"job_id": one, "current_tag": 2}})  # round 3 replaces it
    page = ui.get(f"/sessions/{session_id}").text
    rounds = re.findall(r'<tr class="session-round" data-tag="(\d+)">(.*?)</tr>', page, re.S)
    assert [tag for tag, _ in rounds] == ["2", "1"]
    assert "never ended" in rounds[0][1]
    assert 'data-status="fail"' in rounds[1][1]
    assert "db one: success" in rounds[1][1] and "db two: fail" in rounds[1][1]
    assert "2026-11-27" in rounds[1][1]
    # deleting the session forgets its rounds with it
    assert ui.post(f"/sessions/{session_id}/delete").status_code == 302
    from app.extensions import db
    from app.models import SessionRound
    assert db.session.query(SessionRound).count() == 0
