"""Changing a saved job (client, description, actions and their settings) under its
version; cloning it; one job for several clients at once."""
import html
import json
import re

from tests.builders import client_body, freezer_action, job_body


def _form(page):
    """Every input of the composer as posted back (text inputs, hidden fields, textareas)."""
    data = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if not (name and value):
            continue
        if 'type="checkbox"' in tag or 'type="radio"' in tag:
            if re.search(r"\schecked[\s>]", tag):
                data[name.group(1)] = html.unescape(value.group(1))
        else:
            data[name.group(1)] = html.unescape(value.group(1))
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\s*([^<]*)</textarea>', page):
        data[name] = html.unescape(value)
    for name, value in re.findall(
            r'<select[^>]*name="([^"]+)"[^>]*>(?:(?!</select>).)*?<option selected value="([^"]*)"',
            page, re.S):
        data[name] = value
    data.pop("csrf_token", None)
    return data


def _two_step_job(alice):
    alice.create("clients", client_body("proj_node1", "node1"))
    alice.create("clients", client_body("proj_node2", "node2"))
    return alice.create("jobs", job_body(description="etc then db", actions=[
        {"freezer_action": freezer_action(backup_name="etc", path_to_backup="/etc"),
         "max_retries": 2, "mandatory": True},
        {"freezer_action": freezer_action(backup_name="db", path_to_backup="/var/db")}]))


def test_edit_reorders_changes_settings_client_and_description(ui, alice):
    job_id = _two_step_job(alice)
    page = ui.get(f"/jobs/{job_id}/edit").text
    assert "Edit job" in page and 'name="version"' in page
    assert re.findall(r'<span class="summary">([^<]*)</span>', page) == [
        "backup fs etc /etc", "backup fs db /var/db"]
    data = _form(page)
    assert data["client_id"] == "proj_node1" and data["description"] == "etc then db"
    moved = ui.post(f"/jobs/{job_id}/edit", {**data, "op": "down:0"}, htmx=True).text
    assert re.findall(r'<span class="summary">([^<]*)</span>', moved) == [
        "backup fs db /var/db", "backup fs etc /etc"]
    data = _form(moved)
    settings = json.loads(data["job_actions-0-settings"])
    settings["path_to_backup"] = "/var/lib/db"
    data.update({"job_actions-0-settings": json.dumps(settings), "client_id": "proj_node2",
                 "description": "db then etc", "job_actions-1-max_retries": "5", "op": "save"})
    r = ui.post(f"/jobs/{job_id}/edit", data)
    assert r.status_code == 302, r.text
    job = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert job["client_id"] == "proj_node2" and job["description"] == "db then etc"
    assert [a["freezer_action"]["path_to_backup"] for a in job["job_actions"]] == [
        "/var/lib/db", "/etc"]
    assert job["job_actions"][1]["max_retries"] == 5 and job["job_actions"][1]["mandatory"]
    assert job["job_schedule"]["schedule_interval"] == "1 days", "the schedule is kept"


def test_edit_removes_an_action_and_refuses_bad_settings(ui, alice):
    job_id = _two_step_job(alice)
    data = _form(ui.get(f"/jobs/{job_id}/edit").text)
    bad = ui.post(f"/jobs/{job_id}/edit", {**data, "job_actions-1-settings": "{oops",
                                           "op": "save"})
    assert bad.status_code == 400 and "settings: not valid JSON" in bad.text
    removed = ui.post(f"/jobs/{job_id}/edit", {**data, "op": "remove:0"}, htmx=True).text
    r = ui.post(f"/jobs/{job_id}/edit", {**_form(removed), "op": "save"})
    assert r.status_code == 302
    actions = alice.get(f"/v1/jobs/{job_id}").get_json()["job_actions"]
    assert [a["freezer_action"]["backup_name"] for a in actions] == ["db"]


def test_a_stale_edit_is_refused_with_the_current_values(ui, alice):
    job_id = _two_step_job(alice)
    data = _form(ui.get(f"/jobs/{job_id}/edit").text)
    alice.patch(f"/v1/jobs/{job_id}", {"description": "renamed elsewhere"})
    r = ui.post(f"/jobs/{job_id}/edit", {**data, "description": "mine", "op": "save"})
    assert r.status_code == 409 and "Not saved: this job was changed elsewhere" in r.text
    assert 'value="renamed elsewhere"' in r.text
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["description"] == "renamed elsewhere"


def test_edit_onto_a_client_that_cannot_run_it_is_refused(ui, alice):
    job_id = _two_step_job(alice)
    alice.create("clients", client_body("proj_db", "dbhost", supported_modes=["mysql"]))
    data = _form(ui.get(f"/jobs/{job_id}/edit").text)
    r = ui.post(f"/jobs/{job_id}/edit", {**data, "client_id": "proj_db", "op": "save"})
    assert r.status_code == 400 and "not supported by client proj_db" in r.text
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["client_id"] == "proj_node1"


def test_clone_opens_a_filled_composer_and_saves_a_new_stopped_job(ui, alice):
    job_id = _two_step_job(alice)
    page = ui.get(f"/jobs/{job_id}/clone").text
    assert "Clone a job" in page and "etc then db (copy)" in page
    assert 'value="1 days"' in page, "the schedule comes along"
    assert alice.get("/v1/jobs").get_json()["jobs"].__len__() == 1, "nothing saved yet"
    data = {**_form(page), "client_id": "proj_node2", "schedule-kind": "interval", "op": "save"}
    r = ui.post("/jobs/new", data)
    assert r.status_code == 302
    clone_id = r.headers["Location"].rsplit("/", 1)[1]
    assert clone_id != job_id
    clone = alice.get(f"/v1/jobs/{clone_id}").get_json()
    assert clone["client_id"] == "proj_node2" and clone["description"] == "etc then db (copy)"
    assert [a["freezer_action"]["backup_name"] for a in clone["job_actions"]] == ["etc", "db"]
    assert clone["job_schedule"]["schedule_interval"] == "1 days"
    assert clone["job_schedule"]["status"] == "stop"


def test_one_job_for_several_clients_or_none(ui, alice):
    job_id = _two_step_job(alice)
    alice.create("clients", client_body("proj_node3", "node3"))
    data = {**_form(ui.get(f"/jobs/{job_id}/clone").text), "schedule-kind": "interval",
            "description": "fleet etc", "op": "save"}
    r = ui.client.post("/jobs/new", data={**data, "also_for": ["proj_node2", "proj_node3"],
                                          "csrf_token": ui.token()})
    assert r.status_code == 302
    made = [j for j in alice.get("/v1/jobs?limit=50").get_json()["jobs"]
            if j["description"] == "fleet etc"]
    assert sorted(j["client_id"] for j in made) == ["proj_node1", "proj_node2", "proj_node3"]
    # one client that cannot run it: no job at all, and the page says which
    alice.create("clients", client_body("proj_db", "dbhost", supported_modes=["mysql"]))
    r = ui.client.post("/jobs/new", data={**data, "description": "second try",
                                          "also_for": ["proj_node2", "proj_db"],
                                          "csrf_token": ui.token()})
    assert r.status_code == 400 and "proj_db: " in r.text and "no job was saved" in r.text
    assert not [j for j in alice.get("/v1/jobs?limit=50").get_json()["jobs"]
                if j["description"] == "second try"]


def test_the_job_page_links_to_edit_and_clone(ui, alice):
    job_id = _two_step_job(alice)
    page = ui.get(f"/jobs/{job_id}").text
    assert f'href="/jobs/{job_id}/edit"' in page and f'href="/jobs/{job_id}/clone"' in page



def test_saving_the_schedule_of_a_held_job_says_the_agent_keeps_the_old_one(ui, alice):
    job_id = _two_step_job(alice)
    alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "scheduled", "event": ""}})
    editor = ui.get(f"/jobs/{job_id}/schedule").text
    version = re.search(r'name="version" type="hidden" value="(\d+)"', editor).group(1)
    r = ui.post(f"/jobs/{job_id}/schedule", {"version": version, "schedule-kind": "interval",
                                             "schedule-schedule_interval": "6 hours"})
    assert r.status_code == 302
    page = ui.get(f"/jobs/{job_id}").text
    assert "Its agent keeps running the job on the schedule it read when it started it" in page
