"""The dashboard in a real browser: the scenarios of the dashboard issue, one screenshot per
page under the test run's temporary folder."""
import re

from playwright.sync_api import expect

from tests.builders import action_body, backup_body, client_body, job_body


def test_sign_in_and_every_page(page):
    expect(page.locator("h1")).to_have_text("Overview")
    page.shot("overview")
    for label in ("Jobs", "Sessions", "Backups", "Clients", "Actions", "Tokens"):
        page.click(f"nav >> text={label}")
        expect(page.locator("nav a[aria-current=page]")).to_have_text(label)
        page.shot(label.lower())
    page.set_viewport_size({"width": 768, "height": 1024})  # tablet
    page.goto("/jobs/new")
    page.shot("composer-tablet")


def test_compose_from_two_library_actions_reorder_and_save(page, agent):
    agent.call("POST", "/v1/clients/", client_body())
    agent.create("actions", action_body(backup_name="first"))
    agent.create("actions", action_body(backup_name="second"))
    page.goto("/jobs/new")
    page.select_option("#client_id", "proj_node1")
    expect(page.locator("#composer[data-client=proj_node1]")).to_have_count(1)  # swapped in
    for name in ("first", "second"):
        page.select_option("#add_action_id", label=f"backup fs /srv/data · backup {name} · "
                           "storage local · container /srv/backups")
        page.click("text=Add from library")
        expect(page.locator("tr.job-action", has_text=name)).to_have_count(1)
    rows = page.locator("tr.job-action .summary")
    expect(rows).to_have_text(["backup fs first /srv/data", "backup fs second /srv/data"])
    page.click("[aria-label='move action 2 up']")
    expect(rows).to_have_text(["backup fs second /srv/data", "backup fs first /srv/data"])
    page.fill("#description", "two-step backup")
    page.shot("composer")
    page.click("text=Save job")
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f]{32}$"))
    expect(page.locator("#job-actions-list li")).to_have_count(2)
    expect(page.locator("#job-actions-list li").first).to_contain_text("second")
    expect(page.locator("#job-actions-list li").nth(1)).to_contain_text("first")
    expect(page.locator("#job-badge")).to_contain_text("stop")
    page.shot("job-page")


def test_cron_preview_then_an_invalid_field(page):
    page.goto("/jobs/new")
    page.check("input[name='schedule-kind'][value='cron']")
    page.click("summary:has-text('Cron fields')")
    page.fill("#schedule-schedule_minute", "30")
    page.fill("#schedule-schedule_hour", "2")
    runs = page.locator("#next-runs li")
    expect(runs).to_have_count(5)
    expect(runs.first).to_contain_text("02:30:00 UTC")
    page.fill("#schedule-schedule_hour", "4")
    expect(runs.first).to_contain_text("04:30:00 UTC")
    page.shot("schedule-preview")
    page.fill("#schedule-schedule_hour", "25")
    expect(page.locator("#schedule-error")).to_contain_text("schedule_hour")
    expect(runs).to_have_count(0)
    page.shot("schedule-error")
    page.click("text=Save job")  # htmx swaps the 400 answer: the errors beside their fields
    expect(page.locator("#client_id-error")).to_contain_text("pick the client")
    expect(page.locator("#schedule-schedule_hour-error")).to_be_visible()


def test_start_a_job_and_see_the_agent_run_it(page, agent):
    job_id = agent.create("jobs", job_body(description="nightly"))
    page.goto(f"/jobs/{job_id}")
    page.click("button:has-text('Start now')")
    badge = page.locator("#job-badge")
    expect(badge).to_contain_text("start requested")
    agent.call("PATCH", f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running"}})
    expect(badge).to_contain_text("running", timeout=10000)  # the card polls every 2 s
    page.shot("job-running")
    agent.call("PATCH", f"/v1/jobs/{job_id}",
               {"job_schedule": {"status": "completed", "result": "success"}})
    expect(badge).to_contain_text("success", timeout=10000)
    expect(page.locator("#job-status")).to_have_attribute("data-live", "no")


def test_session_board_shows_the_end_result_without_reload(page, agent):
    job_id = agent.create("jobs", job_body(description="db1 dump"))
    session_id = agent.create("sessions", {"description": "cluster", "schedule": {}})
    agent.call("PUT", f"/v1/sessions/{session_id}/jobs/{job_id}")
    page.goto(f"/sessions/{session_id}")
    row = page.locator(f"tr.session-job[data-job-id='{job_id}']")
    expect(row).to_contain_text("db1 dump")
    agent.call("POST", f"/v1/sessions/{session_id}/action",
               {"start": {"job_id": job_id, "current_tag": 0}})
    expect(row).to_contain_text("running", timeout=10000)
    agent.call("POST", f"/v1/sessions/{session_id}/action",
               {"end": {"job_id": job_id, "current_tag": 1, "result": "success"}})
    expect(row.locator(".result")).to_contain_text("success", timeout=10000)
    page.shot("session-board")


def test_filter_backups_and_restore_onto_another_client(page, agent):
    agent.call("POST", "/v1/clients/", client_body("proj_node2", "node2"))
    agent.call("POST", "/v1/clients/", client_body("proj_spare", "spare"))
    for host, level in (("node1", 0), ("node2", 0), ("node2", 1)):
        agent.call("POST", "/v1/backups/", backup_body(hostname=host, level=level,
                                                        time_stamp=1795744129 + level * 60))
    page.goto("/backups")
    expect(page.locator("tr.backup")).to_have_count(3)
    page.fill("input[name=hostname]", "node2")
    expect(page.locator("tr.backup")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"hostname=node2"))
    page.shot("backups-filtered")
    page.locator("tr.backup").first.locator("text=Restore…").click()
    page.select_option("#client_id", "proj_spare")
    page.fill("#restore_abs_path", "/srv/restored")
    page.shot("restore")
    page.click("text=Create restore job")
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f]{32}$"))
    expect(page.locator("#job-actions-list")).to_contain_text("from host node2")
    job_id = page.url.rsplit("/", 1)[1]
    job = agent.call("GET", f"/v1/jobs/{job_id}")
    assert job["client_id"] == "proj_spare"
    assert job["job_actions"][0]["freezer_action"]["restore_abs_path"] == "/srv/restored"
    assert job["job_schedule"]["status"] == "stop"
