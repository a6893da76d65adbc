"""Actions library: create, edit, delete through the form; errors beside each field."""
import re

from tests.builders import action_body


def _actions(alice):
    return alice.get("/v1/actions?limit=100").get_json()["actions"]


def test_create_an_action(ui, alice):
    r = ui.post("/actions/new", {"name": "etc to swift", "action": "backup", "mode": "fs", "storage": "swift",
                                 "backup_name": "etc", "container": "backups",
                                 "path_to_backup": "/etc", "max_retries": "3",
                                 "max_retries_interval": "60", "other": '{"ssh_port": 22}'})
    assert r.status_code == 302 and r.headers["Location"] == "/actions"
    [stored] = _actions(alice)
    assert stored["freezer_action"] == {"ssh_port": 22, "action": "backup", "mode": "fs",
                                        "storage": "swift", "backup_name": "etc",
                                        "container": "backups", "path_to_backup": "/etc"}
    assert stored["max_retries"] == 3 and stored["mandatory"] is False
    assert '<td class="action-name">etc to swift</td>' in ui.get("/actions").text


def test_errors_are_shown_beside_their_field_and_nothing_is_saved(ui, alice):
    r = ui.post("/actions/new", {"action": "backup", "mode": "fs", "backup_name": "",
                                 "container": "c", "path_to_backup": "",
                                 "max_retries": "-1", "other": "{not json"})
    assert r.status_code == 400
    for field in ("name", "backup_name", "path_to_backup", "max_retries", "other"):
        assert re.search(rf'id="{field}-error"', r.text), field
    assert 'aria-invalid="true"' in r.text
    assert _actions(alice) == []


def test_fields_follow_the_action_and_mode(ui):
    backup = ui.get("/actions/new?refresh=1&action=backup&mode=mysql", htmx=True)
    assert backup.text.lstrip().startswith('<div id="action-fields"')
    assert 'name="path_to_backup"' in backup.text and 'name="mysql_conf"' in backup.text
    assert 'name="restore_abs_path"' not in backup.text
    restore = ui.get("/actions/new?refresh=1&action=restore&mode=fs", htmx=True)
    assert 'name="restore_abs_path"' in restore.text and 'name="path_to_backup"' not in restore.text


def test_edit_keeps_what_the_form_does_not_show(ui, alice):
    action_id = alice.create("actions", action_body(ssh_host="backup.example"))
    page = ui.get(f"/actions/{action_id}/edit")
    assert "backup.example" in page.text  # under "other options"
    other = re.search(r'<textarea[^>]*name="other"[^>]*>\s*(.*?)</textarea>', page.text, re.S).group(1)
    import html
    r = ui.post(f"/actions/{action_id}/edit", {"version": "1", "name": "data", "action": "backup", "mode": "fs", "storage": "local",
                                               "backup_name": "renamed", "container": "/srv/backups",
                                               "path_to_backup": "/srv/data",
                                               "other": html.unescape(other)})
    assert r.status_code == 302
    stored = alice.get(f"/v1/actions/{action_id}").get_json()
    assert stored["freezer_action"]["backup_name"] == "renamed"
    assert stored["freezer_action"]["ssh_host"] == "backup.example"
    assert stored["_version"] == 2


def test_delete_asks_then_deletes(ui, alice):
    action_id = alice.create("actions", action_body())
    confirm = ui.get(f"/actions/{action_id}/delete")
    assert confirm.status_code == 200 and "Delete this action?" in confirm.text
    assert len(_actions(alice)) == 1
    r = ui.post(f"/actions/{action_id}/delete", htmx=True)
    assert r.status_code == 204 and r.headers["HX-Redirect"] == "/actions"
    assert _actions(alice) == []


def test_empty_library_says_what_to_do(ui):
    assert "Create an action" in ui.get("/actions").text


def test_the_library_lists_entries_not_the_copies_jobs_and_restores_make(ui, alice):
    """A job created through the API stores a copy of each embedded action (GET /v1/actions
    lists it, as the original does); the library and the composer's picker do not."""
    from tests.builders import client_body, job_body
    alice.post("/v1/clients/", client_body())
    entry = alice.create("actions", action_body(backup_name="etc", path_to_backup="/etc",
                                                storage="swift", container="c1"))
    for n in range(3):
        alice.create("jobs", job_body(description=f"api job {n}"))
    assert len(_actions(alice)) == 4  # the wire is unchanged
    library = ui.get("/actions").text
    assert library.count('<tr id="action-') == 1 and f'id="action-{entry}"' in library
    assert "(unnamed: made through the API)" in library
    picker = ui.get("/jobs/new?client_id=proj_node1").text
    options = re.findall(r'<option value="([0-9a-f]{32})">([^<]*)</option>', picker)
    assert [value for value, _ in options] == [entry]
    assert options[0][1] == "backup fs /etc · backup etc · storage swift · container c1"


def test_a_named_entry_is_offered_by_its_name_with_mode_path_storage_container(ui, alice):
    from tests.builders import client_body
    alice.post("/v1/clients/", client_body())
    r = ui.post("/actions/new", {"name": "etc nightly", "action": "backup", "mode": "fs",
                                 "backup_name": "etc", "container": "c1", "path_to_backup": "/etc"})
    assert r.status_code == 302
    picker = ui.get("/jobs/new?client_id=proj_node1").text
    assert "etc nightly: backup fs /etc · backup etc · storage agent default · container c1" in picker


def test_a_name_with_a_line_break_or_bidi_override_is_refused_beside_the_field(ui, alice):
    for bad in ("etc\nto swift", "etc \u202eto swift"):
        r = ui.post("/actions/new", {"name": bad, "action": "backup", "mode": "fs",
                                     "backup_name": "etc", "container": "backups",
                                     "path_to_backup": "/etc"})
        assert r.status_code == 400 and re.search(r'id="name-error"', r.text)
        assert "no control characters" in r.text
    assert _actions(alice) == []
