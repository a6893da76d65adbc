"""Backups: filters in the URL, grouping by backup set with the level chain, delete with
confirmation, restore onto another client as a stopped restore job."""
import re
from urllib.parse import quote

from tests.builders import backup_body, client_body

DAY = 86400
T0 = 1795744129  # 2026-11-27


def _load(alice):
    for level, offset in ((0, 0), (1, 1), (2, 2)):
        alice.post("/v1/backups/", backup_body(hostname="node1", level=level,
                                               time_stamp=T0 + offset * 3600))
    alice.post("/v1/backups/", backup_body(hostname="node2", backup_name="db", level=0,
                                           time_stamp=T0 - 3 * DAY))
    return {b["backup_metadata"]["hostname"] + str(b["backup_metadata"]["curr_backup_level"]):
            b["backup_id"] for b in alice.get("/v1/backups?limit=100").get_json()["backups"]}


def test_grouped_by_set_with_level_chain(ui, alice):
    _load(alice)
    text = ui.get("/backups").text
    assert text.count('class="backup-set"') == 2
    assert "chain: L0 → L1 → L2" in text
    assert text.index("of <a") < text.index("db</strong>")  # newest set first


def test_filters_live_in_the_url(ui, alice):
    _load(alice)
    text = ui.get("/backups?hostname=node2").text
    assert text.count('class="backup"') == 1 and 'value="node2"' in text
    assert ui.get("/backups?level=2", htmx=True).text.count('class="backup"') == 1
    assert ui.get("/backups?from=2026-11-27&to=2026-11-27").text.count('class="backup"') == 3
    assert "No backup matches" in ui.get("/backups?backup_name=nothing").text
    bad = ui.get("/backups?from=27/11/2026")
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text


def test_paged_by_set_never_by_row(ui, alice):
    _load(alice)
    first = ui.get("/backups?limit=1").text  # one set a page: its whole chain on it
    assert first.count('class="backup-set"') == 1 and first.count('class="backup"') == 3
    assert "chain: L0 → L1 → L2" in first and "offset=1" in first
    second = ui.get("/backups?limit=1&offset=1").text
    assert second.count('class="backup-set"') == 1 and second.count('class="backup"') == 1
    assert "db</strong>" in second


def test_a_set_without_a_level_0_backup_is_flagged(ui, alice):
    _load(alice)
    for level, hours in ((1, 0), (2, 1)):  # incrementals whose full backup is not recorded
        alice.post("/v1/backups/", backup_body(hostname="node3", backup_name="logs", level=level,
                                               time_stamp=T0 + 5 * DAY + hours * 3600))
    text = ui.get("/backups").text
    sets = text.split('class="backup-set"')[1:]
    flagged = [s for s in sets if "no level-0 backup" in s]
    assert len(flagged) == 1 and "logs</strong>" in flagged[0]
    data = ui.get("/backups/sets.json").get_json()
    assert [(s["backup_name"], s["broken_chain"]) for s in data["sets"]] == \
        [("logs", True), ("data", False), ("db", False)]


def test_sizes_per_backup_and_per_set_with_growth(ui, alice):
    for level, hours, compressed, uncompressed in ((0, 0, 100, 400), (1, 1, 10, 40.5),
                                                    (2, 2, 5.5, 20)):
        alice.post("/v1/backups/", backup_body(level=level, time_stamp=T0 + hours * 3600,
                                               backup_size_compressed=compressed,
                                               backup_size_uncompressed=uncompressed))
    alice.post("/v1/backups/", backup_body(level=0, time_stamp=T0 - DAY))  # sizes unreported
    data = ui.get("/backups/sets.json").get_json()
    (only,) = data["sets"]
    assert only["count"] == 4 and only["size_compressed"] == 115.5
    assert only["size_uncompressed"] == 460.5 and not only["broken_chain"]
    assert [g["cumulative_compressed"] for g in only["growth"]] == [0, 100, 110, 115.5]
    text = ui.get("/backups").text
    assert "4 backups in the set, 115.5 MB compressed, 460.5 MB uncompressed" in text
    assert '<td class="size">5.50 MB</td><td class="size">20 MB</td>' in text
    assert '<svg id="growth-1"' in text


def test_delete_asks_first(ui, alice):
    ids = _load(alice)
    url = "/backups/delete?id=" + quote(ids["node10"], safe="")
    confirm = ui.get(url)
    assert confirm.status_code == 200 and "Delete this backup?" in confirm.text
    assert len(alice.get("/v1/backups?limit=100").get_json()["backups"]) == 4
    assert ui.post(url).status_code == 302
    left = {b["backup_id"] for b in alice.get("/v1/backups?limit=100").get_json()["backups"]}
    assert ids["node10"] not in left and len(left) == 3


def test_restore_onto_another_client_creates_a_stopped_job(ui, alice):
    ids = _load(alice)
    alice.post("/v1/clients/", client_body("proj_node1", "node1"))
    alice.post("/v1/clients/", client_body("proj_spare", "spare"))
    url = "/backups/restore?id=" + quote(ids["node12"], safe="")
    form = ui.get(url)
    assert form.status_code == 200 and 'value="proj_spare"' in form.text
    assert ui.post(url, {"backup_id": ids["node12"], "client_id": "proj_spare",
                         "restore_abs_path": "relative"}).status_code == 400
    r = ui.post(url, {"backup_id": ids["node12"], "client_id": "proj_spare",
                      "restore_abs_path": "/srv/restored"})
    assert r.status_code == 302
    job_id = r.headers["Location"].rsplit("/", 1)[1]
    job = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert job["client_id"] == "proj_spare"
    assert job["job_schedule"]["event"] == "stop" and job["job_schedule"]["status"] == "stop"
    [action] = job["job_actions"]
    assert action["freezer_action"] == {
        "action": "restore", "mode": "fs", "backup_name": "data", "container": "/srv/backups",
        "hostname": "node1", "restore_abs_path": "/srv/restored", "storage": "local",
        "restore_from_date": "2026-11-27T03:48:49"}


def test_empty_state_says_what_to_do(ui):
    assert "compose a backup job" in ui.get("/backups").text


def _restore_page(ui, alice, **clients):
    ids = _load(alice)
    for client_id, body in clients.items():
        alice.post("/v1/clients/", body)
    return ids, "/backups/restore?id=" + quote(ids["node12"], safe="")


def test_restore_preselects_neither_host_nor_path(ui, alice):
    _ids, url = _restore_page(ui, alice, a=client_body("proj_node1", "node1"),
                              b=client_body("proj_spare", "spare"))
    page = ui.get(url).text
    assert "nothing is chosen for you" in page
    assert not re.search(r'<option[^>]*selected[^>]*value="proj_|<option[^>]*value="proj_[^"]*"[^>]*selected', page)
    assert re.search(r'name="restore_abs_path" [^>]*value=""', page)
    assert "Backed up from /srv/data" in page


def test_restoring_in_place_needs_an_explicit_confirmation(ui, alice):
    ids, url = _restore_page(ui, alice, a=client_body("proj_node1", "node1"))
    in_place = {"backup_id": ids["node12"], "client_id": "proj_node1",
                "restore_abs_path": "/srv/data/"}
    r = ui.post(url, in_place)
    assert r.status_code == 400
    assert "restores over the live /srv/data/ on node1" in r.text
    assert 'id="overwrite-error"' in r.text
    assert alice.get("/v1/jobs").get_json()["jobs"] == []
    r = ui.post(url, {**in_place, "overwrite": "y"})
    assert r.status_code == 302
    [job] = alice.get("/v1/jobs").get_json()["jobs"]
    assert job["job_actions"][0]["freezer_action"]["restore_abs_path"] == "/srv/data/"
    # elsewhere on the same host needs no confirmation
    assert ui.post(url, {**in_place, "restore_abs_path": "/srv/data.restored"}).status_code == 302


def test_only_clients_able_to_run_the_restore_are_offered(ui, alice, app):
    from app import clock
    _ids, url = _restore_page(
        ui, alice, a=client_body("proj_node1", "node1"),
        b=client_body("proj_db", "dbhost", supported_modes=["mysql"]))
    app.config["DASHBOARD_SILENT_MINUTES"] = 10
    clock.freeze(clock.now() + 30 * 60)  # both go silent; one polls again
    alice.post("/v1/clients/", client_body("proj_fresh", "fresh"))
    page = ui.get(url).text
    offered = re.findall(r'<option value="(proj_\w+)"', page)
    assert offered == ["proj_fresh"]
    refused = re.sub(r"\s+", " ", page.split('id="not-offered"')[1])
    assert "dbhost (<code>proj_db</code>): does not support mode: fs" in refused
    assert "node1 (<code>proj_node1</code>): its agent has not polled recently" in refused
    r = ui.post(url, {"backup_id": _ids["node12"], "client_id": "proj_db",
                      "restore_abs_path": "/tmp/x"})
    assert r.status_code == 400 and alice.get("/v1/jobs").get_json()["jobs"] == []


def test_two_backup_sets_never_share_a_set_key():
    """The key joins host, name and container: a separator inside a part cannot make two
    sets one (and nothing in a key is a control character)."""
    from app.models.backup import set_key
    keys = {set_key("a|b", "c", "d"), set_key("a", "b|c", "d"), set_key("a%7Cb", "c", "d"),
            set_key("a", "b", "c|d"), set_key("a", "b|c|d", "")}
    assert len(keys) == 5
    assert all(ch.isprintable() for key in keys for ch in key)
