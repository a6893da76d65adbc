"""Job composer, job page (status card, events), schedule editor and its live preview."""
import re

from app import clock
from tests.builders import action_body, client_body, job_body


def _compose(ui, data, op):
    base = {"client_id": "proj_node1", "description": "two steps",
            "schedule-kind": "none"}
    return ui.post("/jobs/new", {**base, **data, "op": op}, htmx=True)


def _rows(text):
    """The composer's action rows: their hidden fields, in order."""
    ids = re.findall(r'name="job_actions-(\d+)-action_id" type="hidden" value="([^"]*)"', text)
    actions = re.findall(r'name="job_actions-(\d+)-freezer_action" type="hidden" value="([^"]*)"', text)
    return [{"job_actions-%s-action_id" % i: v for i, v in ids if i == n} |
            {"job_actions-%s-freezer_action" % i: v.replace("&#34;", '"').replace("&quot;", '"')
             for i, v in actions if i == n} for n, _ in ids]


def _order(text):
    return re.findall(r'<span class="summary">([^<]*)</span>', text)


def _state(text):
    out = {}
    for row in _rows(text):
        out.update(row)
    return out


def test_compose_two_library_actions_reorder_and_save(ui, alice):
    alice.post("/v1/clients/", client_body())
    first = alice.create("actions", action_body(backup_name="first"))
    second = alice.create("actions", action_body(backup_name="second"))
    r = _compose(ui, {"add_action_id": first}, "add-library")
    r = _compose(ui, {**_state(r.text), "add_action_id": second}, "add-library")
    assert _order(r.text) == ["backup fs first /srv/data", "backup fs second /srv/data"]
    r = _compose(ui, _state(r.text), "up:1")
    assert _order(r.text) == ["backup fs second /srv/data", "backup fs first /srv/data"]
    r = _compose(ui, {**_state(r.text), "job_actions-0-max_retries": "4",
                      "job_actions-0-mandatory": "y"}, "save")
    assert r.status_code == 204
    job_id = r.headers["HX-Redirect"].rsplit("/", 1)[1]
    job = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert [a["freezer_action"]["backup_name"] for a in job["job_actions"]] == ["second", "first"]
    assert [a["action_id"] for a in job["job_actions"]] == [second, first]
    assert job["job_actions"][0]["max_retries"] == 4 and job["job_actions"][0]["mandatory"] is True
    assert job["job_schedule"]["event"] == "stop" and job["job_schedule"]["status"] == "stop"
    page = ui.get(f"/jobs/{job_id}").text
    assert page.index("“second”") < page.index("“first”")


def test_composer_offers_only_what_the_client_supports(ui, alice):
    alice.post("/v1/clients/", client_body("proj_small", "small", supported_actions=["backup"],
                                           supported_modes=["fs"]))
    alice.create("actions", action_body(backup_name="fsbackup"))
    alice.create("actions", action_body(backup_name="dbbackup", mode="mysql"))
    page = ui.get("/jobs/new?client_id=proj_small").text
    assert "fsbackup" in page and "dbbackup" not in page
    assert '<option value="restore">' not in page


def test_inline_action_defaults_and_start_now(ui, alice):
    alice.post("/v1/clients/", client_body())
    r = _compose(ui, {"inline_action": "backup", "inline_mode": "fs",
                      "inline_backup_name": "inline", "inline_path": "/var/lib"}, "add-inline")
    assert "inline" in r.text
    r = _compose(ui, {**_state(r.text), "action_defaults": "storage=swift\ncontainer=shared",
                      "start_now": "y", "schedule-kind": "interval",
                      "schedule-schedule_interval": "1 days"}, "save")
    assert r.status_code == 204
    job = alice.get(r.headers["HX-Redirect"].replace("/jobs/", "/v1/jobs/")).get_json()
    assert job["job_actions"][0]["freezer_action"] == {
        "action": "backup", "mode": "fs", "backup_name": "inline", "path_to_backup": "/var/lib",
        "storage": "swift", "container": "shared"}
    assert job["job_actions"][0]["action_id"]  # materialised into the library
    assert job["job_schedule"]["event"] == "start"
    assert job["job_schedule"]["schedule_interval"] == "1 days"


def test_saving_without_actions_or_client_explains(ui, alice):
    r = ui.post("/jobs/new", {"client_id": "", "schedule-kind": "none", "op": "save"})
    assert r.status_code == 400
    assert 'id="client_id-error"' in r.text and "pick the client that runs it" in r.text
    alice.post("/v1/clients/", client_body())
    r = ui.post("/jobs/new", {"client_id": "proj_node1", "schedule-kind": "none", "op": "save"})
    assert r.status_code == 400 and "Add at least one action" in r.text
    assert alice.get("/v1/jobs").get_json()["jobs"] == []


def test_a_bad_schedule_is_shown_beside_its_field(ui, alice):
    alice.post("/v1/clients/", client_body())
    r = _compose(ui, {"inline_backup_name": "x", "inline_path": "/x"}, "add-inline")
    r = _compose(ui, {**_state(r.text), "schedule-kind": "cron",
                      "schedule-schedule_hour": "25"}, "save")
    assert r.status_code == 400
    assert 'id="schedule-schedule_hour-error"' in r.text
    assert alice.get("/v1/jobs").get_json()["jobs"] == []


def test_events_change_the_status_card(ui, alice):
    job_id = alice.create("jobs", job_body(job_schedule={}))
    card = ui.post(f"/jobs/{job_id}/event", {"event": "start"}, htmx=True)
    assert card.status_code == 200 and card.text.lstrip().startswith('<article id="job-status"')
    assert "start requested" in card.text and 'hx-trigger="every 2s"' in card.text
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]["event"] == "start"
    # the agent reports: the card (as it polls) shows running, then completed and stops polling
    alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running"}})
    card = ui.get(f"/jobs/{job_id}", htmx=True)
    assert 'data-status="running"' in card.text and 'hx-trigger="every 2s"' in card.text
    alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "completed", "result": "success"}})
    card = ui.get(f"/jobs/{job_id}", htmx=True)
    assert 'data-status="completed"' in card.text and 'hx-trigger' not in card.text
    r = ui.post(f"/jobs/{job_id}/event", {"event": "stop"})  # without JavaScript
    assert r.status_code == 302 and r.headers["Location"] == f"/jobs/{job_id}"
    assert ui.post(f"/jobs/{job_id}/event", {"event": "remove"}).status_code == 400


def test_schedule_preview(ui):
    clock.freeze(1795744800)  # 2026-11-27T00:40:00Z
    r = ui.get("/schedule/preview?prefix=schedule-&schedule-kind=cron&schedule-schedule_hour=2"
               "&schedule-schedule_minute=30", htmx=True)
    assert r.status_code == 200
    runs = re.findall(r"<li><time[^>]*>([^<]+)</time></li>", r.text)
    assert runs[:2] == ["2026-11-27 02:30:00 UTC", "2026-11-28 02:30:00 UTC"] and len(runs) == 5
    bad = ui.get("/schedule/preview?prefix=schedule-&schedule-kind=cron&schedule-schedule_hour=25",
                 htmx=True)
    assert 'id="schedule-error"' in bad.text and "schedule_hour" in bad.text
    assert "<li>" not in bad.text


def test_schedule_editor_replaces_the_schedule(ui, alice):
    job_id = alice.create("jobs", job_body(schedule={"schedule_hour": "3", "schedule_minute": "0"}))
    page = ui.get(f"/jobs/{job_id}/schedule").text
    assert 'value="cron" checked' in page or 'checked value="cron"' in page or \
        re.search(r'<input[^>]*checked[^>]*value="cron"|<input[^>]*value="cron"[^>]*checked', page)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    r = ui.post(f"/jobs/{job_id}/schedule", {"schedule-kind": "interval", "version": version,
                                             "schedule-schedule_interval": "6 hours"})
    assert r.status_code == 302
    schedule = alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]
    assert schedule["schedule_interval"] == "6 hours"
    assert "schedule_hour" not in schedule and "schedule_minute" not in schedule
    r = ui.post(f"/jobs/{job_id}/schedule", {"schedule-kind": "interval", "version": "2",
                                             "schedule-schedule_interval": "0 seconds"})
    assert r.status_code == 400 and 'id="schedule-schedule_interval-error"' in r.text


def test_jobs_list_filters_in_the_url(ui, alice):
    a = alice.create("jobs", job_body(description="runs now"))
    alice.create("jobs", job_body(description="idle one"))
    alice.patch(f"/v1/jobs/{a}", {"job_schedule": {"status": "running"}})
    text = ui.get("/jobs?status=running").text
    assert "runs now" in text and "idle one" not in text
    assert "No job matches" in ui.get("/jobs?status=completed").text
    paged = ui.get("/jobs?limit=1").text
    assert "idle one" in paged and "runs now" not in paged and "offset=1" in paged


def test_run_history_times_read_like_every_other_time():
    from app.ui.filters import when_text
    assert when_text("2026-11-27T03:29:40.287193Z") == "2026-11-27 03:29:40 UTC"
    assert when_text("2026-11-27T03:29:40") == "2026-11-27 03:29:40 UTC"
    assert when_text(1795744129) == "2026-11-27 01:48:49 UTC"


def test_the_job_pages_older_runs_link_continues_where_the_page_ended(ui, alice):
    job_id = alice.create("jobs", job_body())
    for minute in range(12):  # 12 runs, each a minute apart: 00:00 .. 00:11 of 2026-11-27
        clock.freeze(1795737600 + 60 * minute)
        alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running", "result": ""}})
        alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "scheduled",
                                                            "result": "success"}})
    first = ui.get(f"/jobs/{job_id}").text
    first = first[first.index("<h2>Run history</h2>"):]  # not the 30-day chart's table above
    link = re.search(r'href="([^"]*before=(\d+)[^"]*)">Older runs', first)
    assert link and "2026-11-27 00:11:00 UTC" in first and "00:01:00 UTC" not in first
    alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running"}})  # a 13th meanwhile
    older = ui.get(link.group(1).replace("&amp;", "&")).text
    times = re.findall(r"<td><time[^>]*>(2026-11-27 \d\d:\d\d:\d\d UTC)</time></td><td><time", older)
    assert times == ["2026-11-27 00:01:00 UTC", "2026-11-27 00:00:00 UTC"]
    assert "Older runs" not in older


def test_a_filter_applied_by_a_link_shows_in_the_controls_and_survives(ui, alice):
    """The overview links to /jobs?failed_within=24: the filter form shows it, so the next
    change (it submits the whole form) keeps it."""
    page = ui.get("/jobs?failed_within=24&stale=48").text
    assert 'name="failed_within" min="1" value="24"' in page
    assert 'name="stale" min="1" value="48"' in page
    start = page.index('id="job-filters"')
    form = page[start:page.index("</form>", start)]
    assert 'name="failed_within"' in form and 'name="stale"' in form


def test_completed_is_not_shown_green_beside_fail(app):
    with open(f"{app.static_folder}/app.css", encoding="utf-8") as served:
        css = served.read()
    green = next(line for line in css.splitlines() if "#1e8a4c" in line)
    assert ".badge.completed" not in green and ".badge.success" in green
    assert ".badge.completed {" in css


def test_a_stale_schedule_save_is_refused_with_the_current_values(ui, alice):
    """Two tabs open the editor; the first saves; the second's save is refused, shows the
    schedule the first saved and says why, and stores nothing."""
    job_id = alice.create("jobs", job_body(description="two tabs"))
    editor = ui.get(f"/jobs/{job_id}/schedule").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', editor)
    assert version, "the editor carries the document's version"
    first = {"version": version.group(1), "schedule-kind": "interval",
             "schedule-schedule_interval": "6 hours"}
    assert ui.post(f"/jobs/{job_id}/schedule", first).status_code == 302
    second = {"version": version.group(1), "schedule-kind": "interval",
              "schedule-schedule_interval": "2 days"}
    r = ui.post(f"/jobs/{job_id}/schedule", second)
    assert r.status_code == 409
    assert "Not saved: this job was changed elsewhere" in r.text
    assert 'value="6 hours"' in r.text and 'value="2 days"' not in r.text
    stored = alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]
    assert stored["schedule_interval"] == "6 hours"
