"""Every route of freezer-v1.md §2.5 with its status code and envelope, with and without the
trailing slash the freezer clients add; the wire conventions of §2.1-2.2."""
import json

import pytest

from tests.builders import action_body, backup_body, client_body, job_body

SLASHES = pytest.mark.parametrize("slash", ["", "/"])


def test_versions_document_answers_300_without_identity(client):
    r = client.get("/")
    assert r.status_code == 300
    # v2 CURRENT in 19.0.0's shape (an absolute href), v1 SUPPORTED as v1 clients read it
    assert r.get_json() == {"versions": [
        {"id": "v2", "status": "CURRENT", "updated": "2018-02-21T13:30:00",
         "links": [{"href": "http://localhost/v2/", "rel": "self"}]},
        {"id": "1", "status": "SUPPORTED", "updated": "2015-03-23T13:45:00",
         "links": [{"href": "/v1/", "rel": "self"}]}]}


@SLASHES
def test_json_home_advertises_every_resource(alice, slash):
    r = alice.get("/v1" + slash)
    assert r.status_code == 200
    assert r.mimetype == "application/json-home"
    resources = json.loads(r.data)["resources"]
    for name in ("backups", "clients", "actions", "jobs", "sessions"):
        assert resources[f"rel/{name}"]["href-template"].startswith(f"/v1/{name}/")


def test_json_home_needs_an_identity(client):
    r = client.get("/v1/", headers={"Accept": "application/json"})
    assert r.status_code == 401
    assert r.get_json()["code"] == 401


@SLASHES
def test_clients_routes(alice, slash):
    r = alice.post("/v1/clients" + slash, client_body())
    assert (r.status_code, r.get_json()) == (201, {"client_id": "proj_node1"})
    r = alice.get("/v1/clients" + slash + "?limit=10&offset=0")
    assert r.status_code == 200
    [doc] = r.get_json()["clients"]
    assert doc["client"]["client_id"] == "proj_node1" and doc["user_id"] == "alice"
    assert doc["client"]["uuid"]
    r = alice.get("/v1/clients/proj_node1" + slash)
    assert r.status_code == 200
    assert r.get_json()["_version"] == 1 and r.headers["ETag"] == '"1"'
    r = alice.patch("/v1/clients/proj_node1" + slash, {"description": "rack 4"})
    assert (r.status_code, r.get_json()) == (200, {"client_id": "proj_node1", "version": 2})
    assert alice.get("/v1/clients/proj_node1").get_json()["client"]["description"] == "rack 4"
    r = alice.delete("/v1/clients/proj_node1" + slash)
    assert (r.status_code, r.data) == (204, b"")
    assert alice.get("/v1/clients/proj_node1").status_code == 404


@SLASHES
def test_actions_routes(alice, slash):
    r = alice.post("/v1/actions" + slash, action_body())
    assert r.status_code == 201
    action_id = r.get_json()["action_id"]
    assert list(r.get_json()) == ["action_id"]
    [doc] = alice.get("/v1/actions" + slash).get_json()["actions"]
    assert doc["action_id"] == action_id and doc["user_id"] == "alice"
    r = alice.get(f"/v1/actions/{action_id}{slash}")
    assert r.status_code == 200 and r.get_json()["_version"] == 1
    r = alice.patch(f"/v1/actions/{action_id}{slash}", {"max_retries": 4})
    assert (r.status_code, r.get_json()) == (200, {"action_id": action_id, "version": 2})
    r = alice.post(f"/v1/actions/{action_id}{slash}", action_body(backup_name="other"))
    assert (r.status_code, r.get_json()) == (201, {"action_id": action_id, "version": 3})
    got = alice.get(f"/v1/actions/{action_id}").get_json()
    assert got["freezer_action"]["backup_name"] == "other" and got["max_retries"] == 1
    r = alice.delete(f"/v1/actions/{action_id}{slash}")
    assert (r.status_code, r.data) == (204, b"")
    assert alice.get(f"/v1/actions/{action_id}").status_code == 404


def test_action_replace_creates_with_the_chosen_id(alice):
    r = alice.post("/v1/actions/my-action", action_body())
    assert (r.status_code, r.get_json()) == (201, {"action_id": "my-action", "version": 1})
    assert alice.get("/v1/actions/my-action").get_json()["user_id"] == "alice"


def test_action_create_with_an_existing_id_is_409(alice):
    alice.create("actions", dict(action_body(), action_id="a1"))
    r = alice.post("/v1/actions/", dict(action_body(), action_id="a1"))
    assert r.status_code == 409 and r.get_json()["title"] == "Document already existing"


@SLASHES
def test_jobs_routes(alice, slash):
    r = alice.post("/v1/jobs" + slash, job_body())
    assert r.status_code == 201 and list(r.get_json()) == ["job_id"]
    job_id = r.get_json()["job_id"]
    [doc] = alice.get("/v1/jobs" + slash).get_json()["jobs"]
    assert doc["job_id"] == job_id
    r = alice.get(f"/v1/jobs/{job_id}{slash}")
    assert r.status_code == 200 and r.get_json()["_version"] == 1
    r = alice.patch(f"/v1/jobs/{job_id}{slash}", {"description": "patched"})
    assert (r.status_code, r.get_json()) == (200, {"job_id": job_id, "version": 2})
    r = alice.post(f"/v1/jobs/{job_id}{slash}", job_body(description="replaced"))
    assert (r.status_code, r.get_json()) == (201, {"job_id": job_id, "version": 3})
    r = alice.post(f"/v1/jobs/{job_id}/event{slash}", {"start": None})
    assert (r.status_code, r.get_json()) == (202, {"result": "success"})
    r = alice.delete(f"/v1/jobs/{job_id}{slash}")
    assert (r.status_code, r.data) == (204, b"")
    assert alice.get(f"/v1/jobs/{job_id}").status_code == 404


def test_job_replace_on_a_new_id_creates_version_1(alice):
    r = alice.post("/v1/jobs/job-7", job_body())
    assert (r.status_code, r.get_json()) == (201, {"job_id": "job-7", "version": 1})
    assert alice.get("/v1/jobs/job-7").get_json()["client_id"] == "proj_node1"


@SLASHES
def test_backups_routes(alice, slash):
    r = alice.post("/v1/backups" + slash, backup_body())
    assert r.status_code == 201
    backup_id = r.get_json()["backup_id"]
    assert backup_id == "/srv/backups_node1_data_1795744129_0"
    [doc] = alice.get("/v1/backups" + slash).get_json()["backups"]
    assert doc["backup_id"] == backup_id and doc["user_name"] == "alice"
    assert doc["backup_metadata"] == backup_body()
    # the id holds slashes (a container path): sent as-is and URL-encoded, both work
    for path in (f"/v1/backups/{backup_id}", "/v1/backups/%2Fsrv%2Fbackups_node1_data_1795744129_0"):
        r = alice.get(path)
        assert r.status_code == 200, (path, r.status_code)
        assert r.get_json()["backup_id"] == backup_id and r.get_json()["_version"] == 1
    r = alice.delete(f"/v1/backups/{backup_id}")
    assert (r.status_code, r.data) == (204, b"")
    assert alice.get(f"/v1/backups/{backup_id}").status_code == 404


def test_backup_with_the_seed_field_names(alice):
    """python-freezerclient posts `timestamp`/`level` (the seed's names)."""
    body = {"container": "fc-cont", "hostname": "e2e-host", "backup_name": "fc-backup",
            "timestamp": 1700000000, "level": 0, "mode": "fs"}
    r = alice.post("/v1/backups/", body)
    assert r.status_code == 201
    assert r.get_json() == {"backup_id": "fc-cont_e2e-host_fc-backup_1700000000_0"}


def test_backup_posted_without_content_type(alice):
    r = alice.post("/v1/backups", backup_body(), content_type=None)
    assert r.status_code == 201


def test_duplicate_backup_is_409(alice):
    assert alice.post("/v1/backups/", backup_body()).status_code == 201
    r = alice.post("/v1/backups/", backup_body())
    assert r.status_code == 409 and r.get_json()["title"] == "Document already existing"
    assert len(alice.get("/v1/backups").get_json()["backups"]) == 1


def test_duplicate_client_is_409_but_another_user_may_reuse_the_id(alice, bob):
    assert alice.post("/v1/clients/", client_body()).status_code == 201
    r = alice.post("/v1/clients/", client_body())
    assert r.status_code == 409 and "proj_node1" in r.get_json()["description"]
    assert bob.post("/v1/clients/", client_body()).status_code == 201


@pytest.mark.parametrize("path", ["/v1/jobs/j1", "/v1/actions/a1", "/v1/clients/c1",
                                  "/v1/backups/b1", "/v1/jobs", "/v1/backups"])
def test_put_is_405_json(alice, path):
    r = alice.put(path, {"a": 1})
    assert r.status_code == 405
    body = r.get_json()
    assert body["title"] == "Bad Method" and body["code"] == 405
    assert "PUT" not in r.headers["Allow"]


@pytest.mark.parametrize("method,path", [("PATCH", "/v1/backups/b1"), ("POST", "/v1/backups/b1"),
                                         ("POST", "/v1/clients/c1"), ("DELETE", "/v1/jobs")])
def test_routes_the_original_lacks_are_405(alice, method, path):
    r = alice.call(method, path, {"a": 1})
    assert r.status_code == 405 and r.get_json()["code"] == 405


@pytest.mark.parametrize("path", ["/v1/nothing", "/v1/jobs/j1/nothing", "/v1/backupz/"])
def test_unknown_path_is_404_json(alice, path):
    r = alice.get(path)
    assert r.status_code == 404
    assert r.get_json()["title"] == "Not Found"


@pytest.mark.parametrize("path", ["/v1/jobs/", "/v1/jobs/j1", "/v1/backups", "/v1"])
def test_html_only_accept_is_406(alice, path):
    r = alice.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 406
    assert r.get_json() == {"title": "Media type not acceptable", "code": 406,
                            "description": "Freezer-api only supports responses encoded as JSON."}


@pytest.mark.parametrize("accept", ["*/*", "application/*", "application/json",
                                    "text/html, */*;q=0.1"])
def test_accept_admitting_json_is_fine(alice, accept):
    assert alice.get("/v1/jobs", headers={"Accept": accept}).status_code == 200


def test_no_accept_header_is_fine(client):
    r = client.get("/v1/jobs", headers={"X-User-Id": "alice"})
    assert r.status_code == 200 and r.get_json() == {"jobs": []}


@pytest.mark.parametrize("collection", ["backups", "clients", "actions", "jobs"])
def test_empty_lists(alice, collection):
    r = alice.get(f"/v1/{collection}/?limit=10&offset=0")
    assert (r.status_code, r.get_json()) == (200, {collection: []})


@pytest.mark.parametrize("collection", ["backups", "clients", "actions", "jobs"])
def test_every_v1_route_needs_an_identity(client, collection):
    r = client.get(f"/v1/{collection}/", headers={"Accept": "application/json"})
    assert r.status_code == 401
    assert r.get_json()["title"] == "Unauthorized"


def test_missing_documents_are_404_json(alice):
    for path in ("/v1/jobs/nope", "/v1/actions/nope", "/v1/clients/nope", "/v1/backups/nope"):
        r = alice.get(path)
        assert r.status_code == 404 and r.get_json()["code"] == 404, path
        assert alice.delete(path).status_code == 404, path
    assert alice.patch("/v1/jobs/nope", {"description": "x"}).status_code == 404
    assert alice.patch("/v1/actions/nope", {"max_retries": 1}).status_code == 404
    assert alice.patch("/v1/clients/nope", {"description": "x"}).status_code == 404
    assert alice.post("/v1/jobs/nope/event", {"start": None}).status_code == 404


def test_openapi_describes_every_route(client):
    spec = client.get("/v1/openapi.json").get_json()
    paths = spec["paths"]
    for path in ("/v1/backups", "/v1/backups/{backup_id}", "/v1/clients", "/v1/clients/{client_id}",
                 "/v1/actions", "/v1/actions/{action_id}", "/v1/jobs", "/v1/jobs/{job_id}",
                 "/v1/jobs/{job_id}/event"):
        assert path in paths, path
    assert "Job" in spec["components"]["schemas"]
