"""Changing what was made, in a real browser at desktop width and at 390 px (a phone): the
restore asks for its target and confirms an in-place overwrite, a saved job is edited and
cloned, a selection of jobs is stopped after a page naming them. Screenshots of each step."""
import json
import re

import pytest
from playwright.sync_api import expect

from tests.builders import backup_body, client_body, freezer_action, job_body

WIDTHS = [pytest.param(1280, id="desktop"), pytest.param(390, id="phone")]


def _width(page, width):
    page.set_viewport_size({"width": width, "height": 900 if width > 400 else 844})


def _fits(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_restore_asks_for_the_target_and_confirms_in_place(page, agent, width):
    _width(page, width)
    agent.call("POST", "/v1/clients/", client_body("proj_node1", "node1"))
    agent.call("POST", "/v1/clients/", client_body("proj_spare", "spare"))
    agent.call("POST", "/v1/backups/", backup_body(hostname="node1"))
    page.goto("/backups")
    page.locator("tr.backup").first.locator("text=Restore…").click()
    expect(page.locator("#client_id")).to_have_value("")
    expect(page.locator("#restore_abs_path")).to_have_value("")
    expect(page.locator("#restore_abs_path + small, label[for=restore_abs_path] ~ small").first
           ).to_contain_text("Backed up from /srv/data")
    _fits(page, width)
    page.shot("restore-empty")
    page.select_option("#client_id", "proj_node1")
    page.fill("#restore_abs_path", "/srv/data")
    page.click("text=Create restore job")
    expect(page.locator("#overwrite-error")).to_contain_text("restores over the live /srv/data")
    assert agent.call("GET", "/v1/jobs")["jobs"] == []
    page.shot("restore-in-place-asks")
    page.check("#overwrite")
    page.click("text=Create restore job")
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f]{32}$"))
    [job] = agent.call("GET", "/v1/jobs")["jobs"]
    assert job["client_id"] == "proj_node1"
    assert job["job_actions"][0]["freezer_action"]["restore_abs_path"] == "/srv/data"


@pytest.mark.parametrize("width", WIDTHS)
def test_edit_a_saved_job_then_clone_it(page, agent, width):
    _width(page, width)
    agent.call("POST", "/v1/clients/", client_body("proj_node1", "node1"))
    agent.call("POST", "/v1/clients/", client_body("proj_node2", "node2"))
    job_id = agent.create("jobs", job_body(description="etc then db", actions=[
        {"freezer_action": freezer_action(backup_name="etc", path_to_backup="/etc")},
        {"freezer_action": freezer_action(backup_name="db", path_to_backup="/var/db")}]))
    page.goto(f"/jobs/{job_id}")
    page.click("text=Edit client, description, actions")
    rows = page.locator("tr.job-action .summary")
    expect(rows).to_have_text(["backup fs etc /etc", "backup fs db /var/db"])
    page.click("[aria-label='move action 2 up']")
    expect(rows).to_have_text(["backup fs db /var/db", "backup fs etc /etc"])
    page.locator("tr.job-action").first.locator("summary:has-text('Settings')").click()
    box = page.locator("[aria-label='settings of action 1']")
    settings = json.loads(box.input_value())
    box.fill(json.dumps({**settings, "path_to_backup": "/var/lib/db"}, indent=2))
    page.fill("#description", "db then etc")
    _fits(page, width)
    page.shot("edit")
    page.click("text=Save changes")
    page.wait_for_url(re.compile(rf".*/jobs/{job_id}$"))
    expect(page.locator("h1")).to_have_text("db then etc")
    expect(page.locator("#job-actions-list li").first).to_contain_text("/var/lib/db")
    page.shot("edited")
    page.click("text=Clone…")
    expect(page.locator("#cloned-from")).to_contain_text("db then etc")
    page.select_option("#client_id", "proj_node2")
    expect(page.locator("#composer[data-client=proj_node2]")).to_have_count(1)
    page.shot("clone")
    page.click("text=Save job")
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f]{32}$"))
    assert not page.url.endswith(job_id)
    expect(page.locator("h1")).to_have_text("db then etc (copy)")
    clone = agent.call("GET", "/v1/jobs/" + page.url.rsplit("/", 1)[1])
    assert clone["client_id"] == "proj_node2"
    assert [a["freezer_action"]["path_to_backup"] for a in clone["job_actions"]] == [
        "/var/lib/db", "/etc"]


@pytest.mark.parametrize("width", WIDTHS)
def test_bulk_stop_names_the_jobs_first(page, agent, width):
    _width(page, width)
    ids = [agent.create("jobs", job_body(description=f"nightly {n}")) for n in range(3)]
    for job_id in ids:
        agent.call("POST", f"/v1/jobs/{job_id}/event", {"start": None})
    page.goto("/jobs")
    expect(page.locator("tr[data-job-id]")).to_have_count(3)
    expect(page.locator(f"tr[data-job-id='{ids[0]}'] .schedule")).to_contain_text("every 1 days")
    # the filters still apply as they change (their trigger is theirs, not every select's)
    page.select_option("#job-filters select[name=result]", "fail")
    expect(page.locator("tr[data-job-id]")).to_have_count(0)
    page.select_option("#job-filters select[name=result]", "")
    expect(page.locator("tr[data-job-id]")).to_have_count(3)
    for job_id in ids[:2]:
        page.check(f"tr[data-job-id='{job_id}'] input[name=job_id]")
    page.select_option("select[name=op]", "stop")  # the filters stay as they are
    expect(page.locator(f"tr[data-job-id='{ids[0]}'] input[name=job_id]")).to_be_checked()
    _fits(page, width)
    page.shot("selection")
    page.click("text=Review…")
    expect(page.locator("#bulk-plan li")).to_have_count(2)
    expect(page.locator("#bulk-plan")).to_contain_text("nightly 0")
    expect(page.locator("#bulk-plan")).not_to_contain_text("nightly 2")
    assert [agent.call("GET", f"/v1/jobs/{i}")["job_schedule"]["event"] for i in ids] == \
        ["start"] * 3, "reviewing changes nothing"
    _fits(page, width)
    page.shot("confirm")
    page.click("#bulk-confirm-button")
    page.wait_for_url(re.compile(r".*/jobs(\?[^/]*)?$"))  # back to the list as filtered
    expect(page.locator("body")).to_contain_text("Stop requested for 2 jobs.")
    assert [agent.call("GET", f"/v1/jobs/{i}")["job_schedule"]["event"] for i in ids] == \
        ["stop", "stop", "start"]
    page.shot("stopped")
