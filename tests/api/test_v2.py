"""/v2/{project_id}: every route, status and envelope; the project scope (users of a project
share v2 documents, not v1 ones; another project is never reached through v1 or v2); a
document written through one version seen through the other; bad input and bad path
projects (DECISIONS.md "Projects and v2")."""
import json

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Action, Backup, Client, Job, Session
from tests.builders import ApiUser, action_body, backup_body, client_body, job_body

P = "/v2/team"


@pytest.fixture
def ann(client):
    return ApiUser(client, "ann", project_id="team")


@pytest.fixture
def ben(client):
    return ApiUser(client, "ben", project_id="team")


@pytest.fixture
def eve(client):
    """Another project's user."""
    return ApiUser(client, "eve", project_id="other")


def count_rows(app):
    with app.app_context():
        return {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                for m in (Action, Backup, Client, Job, Session)}


def created(user, collection, body, prefix=P):
    r = user.post(f"{prefix}/{collection}/", body)
    assert r.status_code == 201, r.get_json()
    return next(iter(r.get_json().values()))


def test_every_v2_route_answers_its_status_and_envelope(ann):
    assert created(ann, "clients", client_body()) == "proj_node1"
    action_id = created(ann, "actions", action_body())
    job_id = created(ann, "jobs", job_body())
    session_id = created(ann, "sessions", {"schedule": {}})
    backup_id = created(ann, "backups", dict(backup_body(), status="creating"))
    for name in ("clients", "actions", "jobs", "sessions", "backups"):
        page = ann.get(f"{P}/{name}/?limit=10&offset=0")
        assert page.status_code == 200 and list(page.get_json()) == [name]
        assert all(d["project_id"] == "team" for d in page.get_json()[name])
    assert ann.get(f"{P}/clients/proj_node1").get_json()["client"]["is_central"] is False
    assert ann.patch(f"{P}/actions/{action_id}", {"max_retries": 4}).get_json() == \
        {"action_id": action_id, "version": 2}
    assert ann.post(f"{P}/actions/{action_id}", action_body()).status_code == 201
    assert ann.patch(f"{P}/jobs/{job_id}", {"description": "x"}).get_json()["version"] == 2
    assert ann.post(f"{P}/jobs/{job_id}", job_body()).status_code == 201
    assert ann.post(f"{P}/jobs/{job_id}/event", {"start": None}).get_json() == \
        {"result": "success"}
    assert ann.put(f"{P}/sessions/{session_id}/jobs/{job_id}").status_code == 204
    start = ann.post(f"{P}/sessions/{session_id}/action",
                     {"start": {"job_id": job_id, "current_tag": 0}})
    assert (start.status_code, start.get_json()) == (202, {"result": "success",
                                                           "session_tag": 1})
    assert ann.patch(f"{P}/sessions/{session_id}", {"description": "y"}).status_code == 200
    assert ann.delete(f"{P}/sessions/{session_id}/jobs/{job_id}").status_code == 204
    backup = ann.get(f"{P}/backups/{backup_id}").get_json()
    assert (len(backup_id), backup["status"], backup["backup_uuid"]) == (32, "creating", backup_id)
    patched = ann.patch(f"{P}/backups/{backup_id}", {"status": "available", "level": 1})
    assert patched.status_code == 200
    assert patched.get_json()["status"] == "available"
    assert patched.get_json()["backup_metadata"]["level"] == 1
    for path in (f"sessions/{session_id}", f"jobs/{job_id}", f"actions/{action_id}",
                 f"backups/{backup_id}", "clients/proj_node1"):
        assert ann.delete(f"{P}/{path}").status_code == 204, path
        missing = ann.get(f"{P}/{path}")
        assert missing.status_code == 404 and missing.get_json()["code"] == 404


def test_a_project_shares_v2_documents_but_not_v1_ones(ann, ben):
    job_id = created(ann, "jobs", job_body())
    seen = ben.get(f"{P}/jobs/{job_id}").get_json()
    assert seen["user_id"] == "ann" and seen["project_id"] == "team"
    assert ben.patch(f"{P}/jobs/{job_id}", {"description": "ben's"}).status_code == 200
    # the owner stays ann (the writer is not re-stamped, freezer-v2.md §14)
    assert ann.get(f"{P}/jobs/{job_id}").get_json()["user_id"] == "ann"
    assert ben.get(f"/v1/jobs/{job_id}").status_code == 404  # v1: per user
    assert ann.get(f"/v1/jobs/{job_id}").get_json()["description"] == "ben's"


def test_one_version_sees_what_the_other_wrote(ann):
    v1_job = ann.create("jobs", job_body())
    v2_job = created(ann, "jobs", job_body())
    assert ann.get(f"{P}/jobs/{v1_job}").status_code == 200
    assert ann.get(f"/v1/jobs/{v2_job}").status_code == 200
    v1_backup = ann.create("backups", backup_body())
    listed = {b["backup_id"]: b for b in ann.get(f"{P}/backups/").get_json()["backups"]}
    assert listed[v1_backup]["status"] == "available"
    assert listed[v1_backup]["backup_uuid"] == v1_backup
    v2_backup = created(ann, "backups", backup_body(backup_name="other"))
    assert {b["backup_id"] for b in ann.get("/v1/backups/").get_json()["backups"]} == \
        {v1_backup, v2_backup}


def test_a_session_started_through_v1_ends_through_v2(ann, ben):
    job_id = ann.create("jobs", job_body())
    session_id = ann.create("sessions", {"schedule": {}})
    assert ann.put(f"/v1/sessions/{session_id}/jobs/{job_id}").status_code == 204
    start = ann.post(f"/v1/sessions/{session_id}/action",
                     {"start": {"job_id": job_id, "current_tag": 0}})
    assert start.get_json() == {"result": "success", "session_tag": 1}
    end = ben.post(f"{P}/sessions/{session_id}/action",
                   {"end": {"job_id": job_id, "current_tag": 1, "result": "success"}})
    assert (end.status_code, end.get_json()) == (202, {"result": "success", "session_tag": 1})
    session = ann.get(f"/v1/sessions/{session_id}").get_json()
    assert (session["status"], session["result"]) == ("completed", "success")


def test_another_project_is_never_reached(app, ann, eve):
    created(ann, "clients", client_body())
    job_id = created(ann, "jobs", job_body())
    action_id = created(ann, "actions", action_body())
    backup_id = created(ann, "backups", backup_body())
    before = count_rows(app)
    for method, path, body in (("GET", "jobs/", None), ("GET", f"jobs/{job_id}", None),
                               ("PATCH", f"jobs/{job_id}", {"description": "eve"}),
                               ("DELETE", f"jobs/{job_id}", None),
                               ("POST", "jobs/", job_body()),
                               ("POST", f"actions/{action_id}", action_body()),
                               ("GET", f"backups/{backup_id}", None),
                               ("GET", "clients/?all_projects=true", None)):
        r = eve.call(method, f"{P}/{path}", body)
        assert r.status_code == 403, (method, path, r.get_json())
        assert "not your project" in r.get_json()["description"]
    # her own project, and v1: ann's ids are ids nobody has
    assert eve.get(f"/v2/other/jobs/{job_id}").status_code == 404
    assert eve.get(f"/v1/jobs/{job_id}").status_code == 404
    assert eve.get("/v2/other/jobs/?all_projects=True").get_json() == {"jobs": []}
    assert eve.get("/v2/other/clients/").get_json() == {"clients": []}
    assert count_rows(app) == before
    # the same id in another project is another document
    assert eve.post(f"/v2/other/jobs/{job_id}", job_body()).status_code == 201
    assert ann.get(f"{P}/jobs/{job_id}").get_json()["description"] == "nightly data"


def test_admin_and_service_callers_address_any_project(client, ann):
    job_id = created(ann, "jobs", job_body())
    for roles in ("admin", "service"):
        root = ApiUser(client, f"root-{roles}", project_id="ops", roles=roles)
        assert root.get(f"{P}/jobs/{job_id}").status_code == 200
        listed = root.get("/v2/ops/jobs/?all_projects=true").get_json()["jobs"]
        assert [j["job_id"] for j in listed] == [job_id]
        assert root.get("/v2/ops/jobs/").get_json() == {"jobs": []}


def test_central_clients_need_a_privileged_caller(client, ann):
    central = dict(client_body("central_node", "central"), is_central=True)
    refused = ann.post(f"{P}/clients/", central)
    assert refused.status_code == 403
    root = ApiUser(client, "root", project_id="ops", roles="admin")
    assert created(root, "clients", central, "/v2/ops") == "central_node"
    assert ann.get(f"{P}/clients/").get_json() == {"clients": []}  # not a tenant's to see
    listed = root.get(f"{P}/clients/").get_json()["clients"]
    assert [c["client"]["client_id"] for c in listed] == ["central_node"]
    assert root.delete(f"{P}/clients/central_node").status_code == 403  # only ops deletes it
    assert root.delete("/v2/ops/clients/central_node").status_code == 204


def test_registering_again_through_v2_updates_the_client(ann):
    assert ann.post(f"{P}/clients/", client_body(description="one")).status_code == 201
    again = ann.post(f"{P}/clients/", client_body(description="two", supported_modes=["fs"]))
    assert again.status_code == 201
    info = ann.get(f"{P}/clients/proj_node1").get_json()["client"]
    assert (info["description"], info["supported_modes"]) == ("two", ["fs"])
    assert ann.post("/v1/clients/", client_body()).status_code == 409  # v1 as before


@pytest.mark.parametrize("project", ["bad%20project", "a.b", "x" * 256, "%C3%A9", "team%0A"])
def test_a_malformed_path_project_is_400(ann, project):
    r = ann.get(f"/v2/{project}/jobs/")
    assert r.status_code == 400 and list(r.get_json()["errors"]) == ["project_id"]


def test_without_credentials_v2_is_401_before_anything(client):
    r = client.get("/v2/bad%20project/jobs/", headers={"Accept": "application/json"})
    assert r.status_code == 401 and r.get_json()["code"] == 401
    assert client.get("/v2", headers={"Accept": "application/json"}).status_code == 401


@pytest.mark.parametrize("method, path, body", [
    ("POST", "backups/", {"container": "c", "hostname": "h"}),               # no backup_name
    ("POST", "backups/", {"backup_name": "b"}),                              # available: where?
    ("POST", "backups/", {"backup_name": "b", "status": "lost"}),
    ("POST", "jobs/", {"job_actions": "nope"}),
    ("POST", "clients/", {"client_id": "bad id!"}),
    ("POST", "sessions/", []),
    ("GET", "jobs/?all_projects=perhaps", None),
    ("GET", "jobs/?limit=0", None),
    ("POST", "actions/", "not json"),
])
def test_bad_input_on_v2_is_a_4xx_json_error_and_writes_nothing(app, ann, method, path, body):
    before = count_rows(app)
    raw = body if isinstance(body, str) else None
    r = ann.call(method, f"{P}/{path}", None if raw else body, raw=raw)
    assert 400 <= r.status_code < 500, r.status_code
    assert set(r.get_json()) >= {"title", "description", "code"}
    assert count_rows(app) == before


def test_backup_patch_of_a_missing_backup_is_404_and_v1_has_none(ann):
    assert ann.patch(f"{P}/backups/{'0' * 32}", {"status": "error"}).status_code == 404
    backup_id = ann.create("backups", backup_body())
    assert ann.patch(f"/v1/backups/{backup_id}", {"status": "error"}).status_code == 405


def test_home_document(ann):
    home = ann.get("/v2")
    assert home.status_code == 200 and home.mimetype == "application/json-home"
    resources = json.loads(home.data)["resources"]
    assert resources["rel/jobs"]["href-template"] == "/v2/{project_id}/jobs/{job_id}"
    assert "PATCH" in resources["rel/backups"]["hints"]["allow"]


def test_no_foreign_current_pid_is_shown(client, ann):
    root = ApiUser(client, "root", project_id="ops", roles="admin")
    created(root, "clients", dict(client_body("central_node", "central"), is_central=True),
            "/v2/ops")
    created(ann, "clients", client_body())
    theirs = created(ann, "jobs", job_body(client_id="central_node"))
    ours = created(ann, "jobs", job_body())
    running = {"job_schedule": {"status": "running", "current_pid": 4242}}
    for job_id in (theirs, ours):
        assert root.patch(f"{P}/jobs/{job_id}", running).status_code == 200
    listed = {j["job_id"]: j["job_schedule"] for j in ann.get(f"{P}/jobs/").get_json()["jobs"]}
    assert "current_pid" not in listed[theirs] and listed[ours]["current_pid"] == 4242
    assert "current_pid" not in ann.get(f"{P}/jobs/{theirs}").get_json()["job_schedule"]
    assert root.get(f"{P}/jobs/{theirs}").get_json()["job_schedule"]["current_pid"] == 4242
    assert "current_pid" not in ann.get(f"/v1/jobs/{theirs}").get_json()["job_schedule"]
    assert ann.get(f"/v1/jobs/{ours}").get_json()["job_schedule"]["current_pid"] == 4242
