"""History at a glance in a real browser (issue 17): every chart page renders empty and with
data, at 1366 and 390 px, under the Content-Security-Policy (no violation: the SVG is
coloured by classes, never style=""), each chart inside the viewport; screenshots."""
import time

from playwright.sync_api import expect

from tests.builders import backup_body, client_body, job_body

WIDTHS = (1366, 390)


def _pages(job_id, client_id):
    # (name, url, what must be on the page once there is data, what says it is empty)
    return [("overview", "/", "#run-totals svg#chart-volume", "#run-totals .empty"),
            ("jobs", "/jobs", "td.history-cell svg.marks", "td.history-cell .empty"),
            ("job", f"/jobs/{job_id}", "svg#chart-duration", "#job-history .empty"),
            ("clients", "/clients", "td.history-cell svg.spark", "td.history-cell .empty"),
            ("client", f"/clients/{client_id}", "svg#chart-client-volume", "#client-volume .empty"),
            ("backups", "/backups", "article.backup-set svg", "#backups-results .empty")]


def _visit_all(page, pages, state):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name, url, chart, empty in pages:
            page.goto(url)
            if state == "empty":
                expect(page.locator(empty).first).to_be_visible()
                assert page.locator(chart).count() == 0, (name, "drew a chart without data")
            else:
                expect(page.locator(chart).first).to_be_visible()
                for i in range(min(3, page.locator(chart).count())):
                    svg = page.locator(chart).nth(i)
                    box = svg.bounding_box()
                    assert box["width"] > 0 and box["height"] > 0, (name, box)
                    # a chart in a table cell scrolls with its table (.overflow-auto); any
                    # other fits the viewport
                    if not svg.evaluate("e => !!e.closest('.overflow-auto')"):
                        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (name, box)
            page.shot(f"{name}-{state}-{width}")
    assert page.violations() == []


def test_every_chart_page_empty_then_with_data(watched, agent):
    page = watched
    agent.call("POST", "/v1/clients/", client_body())
    job_id = agent.create("jobs", job_body(description="nightly etc"))
    pages = _pages(job_id, "proj_node1")
    _visit_all(page, pages, "empty")

    for result in ("success", "fail", "success"):
        agent.call("PATCH", f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running"}})
        agent.call("PATCH", f"/v1/jobs/{job_id}",
                   {"job_schedule": {"status": "completed", "result": result}})
    now = int(time.time())
    for n, (level, size) in enumerate(((0, 120.0), (1, 12.5), (2, 4.0))):
        agent.call("POST", "/v1/backups/", backup_body(
            level=level, time_stamp=now - (3 - n) * 3600, job_id=job_id,
            backup_size_compressed=size, backup_size_uncompressed=size * 3))
    agent.call("POST", "/v1/backups/", backup_body(backup_name="logs", level=1,
                                                   time_stamp=now - 60,
                                                   backup_size_compressed=1.0))
    _visit_all(page, pages, "data")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/jobs/{job_id}")
    expect(page.locator("#job-history-summary")).to_contain_text("3 runs, 1 failed")
    expect(page.locator("svg#chart-duration circle.point.bad")).to_have_count(1)
    page.click("#job-history summary")  # the figures behind the chart, as a table
    expect(page.locator("#job-history-table tbody tr")).to_have_count(3)
    page.goto("/backups")
    broken = page.locator("article.backup-set", has_text="logs")
    expect(broken.locator(".badge.broken")).to_contain_text("no level-0 backup")
    expect(page.locator("article.backup-set", has_text="136.5 MB compressed")).to_have_count(1)
    page.goto("/jobs")
    row = page.locator("tr", has_text="nightly etc")
    expect(row.locator("svg.marks rect.bar.bad")).to_have_count(1)
    expect(row.locator("svg.marks rect.bar.ok")).to_have_count(2)
    assert page.violations() == []
