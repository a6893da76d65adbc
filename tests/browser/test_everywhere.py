"""What every page has (base.html, app.css, app.js) in a real browser: "/" focuses the nav's
search box, and at 390 px (a phone) no page is wider than the screen, the menu folds behind
a toggle and tables reflow so their status column stays in view."""
import re

import pytest
from playwright.sync_api import expect

from tests.builders import backup_body, client_body, job_body

MAIN_PAGES = ["/", "/activity", "/jobs", "/sessions", "/backups", "/clients", "/actions",
              "/notify/rules", "/auth/tokens", "/admin/audit", "/upcoming", "/search?q=node",
              "/jobs/new", "/sessions/new"]


@pytest.fixture
def fleet(agent):
    agent.call("POST", "/v1/clients/", client_body(client_id="proj_node1", hostname="node1"))
    job_id = agent.create("jobs", job_body(
        description="a rather long description of a nightly database backup job"))
    agent.call("PATCH", f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running"}})
    agent.create("backups", backup_body())
    agent.create("sessions", {"schedule": {}, "description": "weekly round"})
    return job_id


def test_slash_focuses_the_search_box_from_any_page(page, fleet):
    for url in ("/", "/jobs", f"/jobs/{fleet}"):
        page.goto(url)
        page.keyboard.press("/")
        expect(page.locator("#nav-search")).to_be_focused()
    page.keyboard.type("nightly")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search?q=nightly")
    expect(page.locator("#found-jobs")).to_contain_text("nightly database backup")
    # typing "/" into a field types it, it does not jump
    page.goto("/jobs/new")
    page.fill("#description", "")
    page.focus("#description")
    page.keyboard.type("a/b")
    expect(page.locator("#description")).to_have_value("a/b")


def _existing(page, urls):
    for url in urls:
        response = page.goto(url)
        if response.status != 404:  # a page another branch has not landed yet
            assert response.status == 200, url
            yield url


def test_at_390_px_no_page_is_wider_than_the_phone(page, fleet):
    page.set_viewport_size({"width": 390, "height": 844})
    checked = []
    for url in _existing(page, MAIN_PAGES + [f"/jobs/{fleet}", "/clients/proj_node1"]):
        # while its fragments load (htmx) and once they are in
        loading = page.evaluate("document.scrollingElement.scrollWidth")
        page.wait_for_load_state("networkidle")
        loaded = page.evaluate("document.scrollingElement.scrollWidth")
        assert loading <= 390 and loaded <= 390, (url, loading, loaded)
        checked.append(url)
    assert len(checked) >= 12
    page.goto("/jobs")
    status = page.locator("#jobs-table td[data-label=Status]").first
    expect(status).to_be_visible()
    box = status.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    expect(status).to_contain_text("running")
    page.shot("jobs-390")


def test_the_menu_folds_on_a_phone_and_opens_with_its_toggle(page, fleet):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    jobs_link = page.locator("nav.top .nav-links a", has_text="Jobs")
    expect(jobs_link).to_be_hidden()
    expect(page.locator("#nav-search")).to_be_visible()
    page.shot("menu-closed-390")
    page.click("label.nav-toggle-label")
    expect(jobs_link).to_be_visible()
    page.shot("menu-open-390")
    jobs_link.click()
    page.wait_for_url("**/jobs")
    # the keyboard reaches the toggle too, and the ring shows where it is
    page.goto("/")
    page.focus("#nav-toggle")
    page.keyboard.press("Space")
    expect(jobs_link).to_be_visible()


def test_focus_ring_is_visible(page):
    page.goto("/")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle + ' ' + "
                            "getComputedStyle(document.activeElement).outlineWidth")
    assert outline == "solid 3px", outline


@pytest.mark.parametrize("width", [1366, 390])
def test_screenshots_of_the_main_pages(page, fleet, width):
    page.set_viewport_size({"width": width, "height": 900})
    for url in _existing(page, ["/", "/activity", "/jobs", "/backups", "/clients", "/sessions",
                                "/search?q=node"]):
        name = url.strip("/").replace("?", "-").replace("=", "-") or "overview"
        page.shot(f"{name}-{width}")


def test_the_timeline_renders_with_runs_and_planned_and_links_to_the_job(page, agent):
    agent.call("POST", "/v1/clients/", client_body(client_id="proj_node1", hostname="node1"))
    job_id = agent.create("jobs", job_body(description="etc nightly", schedule={
        "schedule_interval": "2 hours", "schedule_start_date": "2026-01-01T00:00:00"}))
    agent.call("PATCH", f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running"}})
    agent.call("PATCH", f"/v1/jobs/{job_id}",
               {"job_schedule": {"status": "scheduled", "result": "fail"}})
    agent.call("PATCH", f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running"}})
    page.goto("/activity")
    svg = page.locator("svg#timeline")
    expect(svg).to_be_visible()
    expect(svg.locator("rect.bar.fail")).to_have_count(1)
    expect(svg.locator("rect.bar.running")).to_have_count(1)
    assert svg.locator("rect.bar.planned").count() >= 11  # every 2 h for 24 h
    expect(svg.locator("text.row-label")).to_have_text(["node1"])
    # the countdown ticks in the browser (app.js), from the server's first text
    countdown = page.locator("#next-run time[data-countdown]")
    expect(countdown).to_have_text(re.compile(r"^(in (\d+ h \d\d min|\d+ min \d\d s|\d+ s)|due now)$"))
    fill = svg.locator("rect.bar.fail").evaluate("e => getComputedStyle(e).fill")
    assert fill == "rgb(192, 57, 43)", fill  # coloured by app.css under the CSP
    page.shot("timeline-1366")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    page.shot("timeline-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    # the bars overlap here (runs seconds apart): the keyboard reaches each one
    svg.locator("a[data-result=fail]").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/jobs/{job_id}\?before=\d+#runs$"))
    expect(page.locator("body")).to_contain_text("fail")
    # the summary per client is on the page; the lists come in their own fragment, on demand
    page.goto("/activity")
    expect(page.locator("#timeline-summary tbody tr")).to_have_count(1)
    expect(page.locator("#timeline-runs")).to_have_count(0)
    page.get_by_role("link", name="List the runs and planned runs").click()
    expect(page.locator("#timeline-runs tbody tr")).to_have_count(2)  # the failed and running
    assert page.url.endswith("/activity")  # swapped in place, not a new page
    assert page.locator("#timeline-planned tbody tr").count() >= 11


def test_the_empty_timeline_renders(page):
    page.goto("/activity?window=7d")
    expect(page.locator("svg#timeline line.now")).to_have_count(1)
    expect(page.locator("figcaption")).to_contain_text("No run in this window")
    expect(page.locator("nav a[aria-current=page]", has_text="Last 7 days")).to_have_count(1)
    page.shot("timeline-empty")


def test_times_follow_the_browsers_zone_once_stored(browser, live_token_server):
    from tests.builders import PASSWORD
    url, _ = live_token_server
    context = browser.new_context(base_url=url, timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto("/auth/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    with page.expect_response(lambda r: r.url.endswith("/account/time-zone")
                              and r.request.method == "POST") as stored:
        page.click("button[type=submit]")
    assert stored.value.status == 204
    page.goto("/auth/tokens")  # the live server's token, created just now
    expect(page.locator("nav.top")).to_contain_text("Asia/Tokyo")
    created = page.locator("td time").first
    expect(created).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d JST$"))
    assert created.get_attribute("title").endswith(" UTC")
    context.close()
