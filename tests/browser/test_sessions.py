"""Sessions in a real browser, at 1366 and 390 px: adding a job says the schedule it now
really has, moving one out of another session asks first, and a save from a stale tab is
refused with the values stored now. Screenshots in the run's screenshots folder."""
import re

from playwright.sync_api import expect

from tests.builders import job_body

WIDE, PHONE = {"width": 1366, "height": 900}, {"width": 390, "height": 844}


def _shots(page, name):
    for label, size in (("1366", WIDE), ("390", PHONE)):
        page.set_viewport_size(size)
        page.shot(f"{name}-{label}")
    page.set_viewport_size(WIDE)


def _new_session(page, description, **schedule):
    page.goto("/sessions/new")
    page.fill("#description", description)
    if "interval" in schedule:
        page.check("input[name='schedule-kind'][value='interval']")
        page.fill("#schedule-schedule_interval", schedule["interval"])
    else:
        page.check("input[name='schedule-kind'][value='cron']")
        page.click("summary:has-text('Cron fields')")
        for key, value in schedule.items():
            page.fill(f"#schedule-schedule_{key}", value)
    page.click("text=Create session")
    page.wait_for_url(re.compile(r".*/sessions/[0-9a-f]{32}$"))
    return page.url.rsplit("/", 1)[1]


def test_add_a_job_then_move_it_with_a_confirmation(page, agent):
    page.set_viewport_size(WIDE)
    job_id = agent.create("jobs", job_body(description="db dump",
                                           schedule={"schedule_interval": "6 hours"}))
    weekly = _new_session(page, "weekly db", hour="2", minute="30", day_of_week="sun")
    page.select_option("select[name=job_id]", job_id)
    page.click("text=Add to session")
    expect(page.locator("p.flash").first).to_contain_text(
        "its schedule is now the session's, at day of week sun, hour 2, minute 30")
    expect(page.locator(f"tr.session-job[data-job-id='{job_id}']")).to_have_count(1)
    schedule = agent.call("GET", f"/v1/jobs/{job_id}")["job_schedule"]
    assert "schedule_interval" not in schedule and schedule["schedule_day_of_week"] == "sun"
    _shots(page, "added")

    daily = _new_session(page, "daily db", interval="1 days")
    option = page.locator(f"select[name=job_id] option[value='{job_id}']")
    expect(option).to_contain_text("in session “weekly db”")
    page.select_option("select[name=job_id]", job_id)
    page.click("text=Add to session")
    expect(page.locator("h1")).to_have_text("Move this job to this session?")
    expect(page.locator("article")).to_contain_text("“db dump” is in the session “weekly db”")
    _shots(page, "move-confirmation")
    assert agent.call("GET", f"/v1/jobs/{job_id}")["session_id"] == weekly
    page.click("text=Move it from “weekly db”")
    page.wait_for_url(re.compile(rf".*/sessions/{daily}$"))
    expect(page.locator(f"tr.session-job[data-job-id='{job_id}']")).to_have_count(1)
    job = agent.call("GET", f"/v1/jobs/{job_id}")
    assert job["session_id"] == daily
    assert job["job_schedule"]["schedule_interval"] == "1 days"
    assert "schedule_day_of_week" not in job["job_schedule"]
    _shots(page, "moved")


def test_a_stale_tab_cannot_overwrite_a_session(page, agent, screenshots, request):
    page.set_viewport_size(WIDE)
    session_id = _new_session(page, "cluster", hour="2", minute="30")
    second = page.context.new_page()
    page.goto(f"/sessions/{session_id}/edit")
    second.goto(f"/sessions/{session_id}/edit")
    page.fill("#description", "cluster (first tab)")
    page.click("text=Save session")
    page.wait_for_url(re.compile(rf".*/sessions/{session_id}$"))
    second.fill("#description", "cluster (second tab)")
    second.click("text=Save session")
    expect(second.locator("#stale-save")).to_contain_text(
        "Not saved: this session was changed elsewhere")
    expect(second.locator("#description")).to_have_value("cluster (first tab)")
    assert agent.call("GET", f"/v1/sessions/{session_id}")["description"] == \
        "cluster (first tab)"
    for label, size in (("1366", WIDE), ("390", PHONE)):
        second.set_viewport_size(size)
        second.screenshot(path=str(screenshots / f"{request.node.name}-stale-{label}.png"),
                          full_page=True)


def test_start_now_asks_naming_the_jobs_and_rounds_are_kept(page, agent):
    page.set_viewport_size(WIDE)
    one = agent.create("jobs", job_body(description="db one", client_id="proj_db1"))
    two = agent.create("jobs", job_body(description="db two", client_id="proj_db2"))
    session_id = _new_session(page, "db cluster", hour="2", minute="30")
    for job_id in (one, two):
        page.select_option("select[name=job_id]", job_id)
        page.click("text=Add to session")
        expect(page.locator(f"tr.session-job[data-job-id='{job_id}']")).to_have_count(1)
    page.click("text=Start its jobs now…")
    expect(page.locator("h1")).to_have_text("Start the 2 job(s) of this session now?")
    expect(page.locator("article")).to_contain_text("“db one” on proj_db1")
    expect(page.locator("article")).to_contain_text("“db two” on proj_db2")
    _shots(page, "start-confirmation")
    page.click("text=Start 2 job(s) now")
    page.wait_for_url(re.compile(rf".*/sessions/{session_id}$"))
    for job_id in (one, two):
        assert agent.call("GET", f"/v1/jobs/{job_id}")["job_schedule"]["event"] == "start"
    act = f"/v1/sessions/{session_id}/action"
    for job_id in (one, two):
        agent.call("POST", act, {"start": {"job_id": job_id, "current_tag": 0}})
    agent.call("POST", act, {"end": {"job_id": one, "current_tag": 1, "result": "success"}})
    agent.call("POST", act, {"end": {"job_id": two, "current_tag": 1, "result": "fail"}})
    page.reload()
    row = page.locator("tr.session-round[data-tag='1']")
    expect(row).to_contain_text("db one: success")
    expect(row).to_contain_text("db two: fail")
    _shots(page, "past-rounds")
