"""freezer-manage import --from URL, with a live server of our own as the source (v1 and v2)."""
import threading

import pytest
from werkzeug.serving import make_server

from tests.builders import ApiUser, api_token, backup_body, client_body, job_body, operator
from tests.ops.conftest import app_on, migrate

from .conftest import manage


@pytest.fixture
def source(tmp_path):
    """A live source with a project's documents, called with an API token."""
    url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    migrate(url)
    app = app_on(url, AUTH_MODE="token")
    with app.app_context():
        operator("erin", user_id="erin", project_id="proj-e")
        token = api_token("erin")
    with app.test_client() as http:
        erin = ApiUser(http, "erin", token=token)
        erin.create("clients", client_body())
        job_id = erin.create("jobs", job_body(description="nightly"))
        session_id = erin.create("sessions", {"description": "s", "hold_off": 5,
                                              "schedule": {}})
        assert erin.put(f"/v1/sessions/{session_id}/jobs/{job_id}").status_code in (200, 204)
        assert erin.post("/v1/backups/", backup_body(job_id=job_id)).status_code == 201
        erin.create("actions", {"freezer_action": {"action": "backup", "mode": "fs"}})
        listed = {kind: erin.get(f"/v1/{kind}?limit=100").get_json()[kind]
                  for kind in ("clients", "actions", "jobs", "sessions", "backups")}
    failing = set()  # requests (path?query) answering 500: a source failing halfway

    def wsgi(environ, start_response):
        asked = environ["PATH_INFO"] + "?" + environ.get("QUERY_STRING", "")
        if any(part in asked for part in failing):
            start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "application/json")])
            return [b'{"title": "Internal Server Error", "code": 500}']
        return app(environ, start_response)
    server = make_server("127.0.0.1", 0, wsgi, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "token": token, "listed": listed,
           "job_id": job_id, "session_id": session_id, "app": app, "failing": failing}
    server.shutdown()
    server.server_close()


def library(app):
    """{action_id: in_library} of the actions here: the one made alone is a library entry,
    the copy of the job's embedded action is not (services.actions.mark_imported)."""
    from app.models import Action
    with app.app_context():
        return {row.action_id: row.in_library for row in Action.query.all()}


def expected_library(source):
    job = next(iter(source["listed"]["jobs"]))
    copies = {a["action_id"] for a in job["job_actions"]}
    return {a["action_id"]: a["action_id"] not in copies for a in source["listed"]["actions"]}


@pytest.mark.parametrize("api", ["v2", "v1"])
def test_every_document_arrives_and_a_rerun_changes_nothing(app, client, database_url, source,
                                                            api):
    env = {"OS_PROJECT_ID": "proj-e"}
    r = manage(database_url, "import", "--from", source["url"], f"--token={source['token']}",
               "--api", api, **env)
    assert f"Freezer API {api}" in r.stdout
    assert r.returncode == 0, r.stderr
    for kind in ("clients", "actions", "jobs", "sessions", "backups"):
        assert f"{kind:<9} new {len(source['listed'][kind])}, updated 0" in r.stdout, r.stdout
    here = ApiUser(client, "erin", project_id="proj-e")
    for kind, docs in source["listed"].items():
        ours = here.get(f"/v1/{kind}?limit=100").get_json()[kind]
        assert sorted(map(repr, ours)) == sorted(map(repr, docs)), kind
    assert library(app) == expected_library(source) and sum(library(app).values()) == 1
    again = manage(database_url, "import", "--from", source["url"],
                   f"--token={source['token']}", "--api", api, **env)
    assert again.returncode == 0, again.stderr
    assert "new 1" not in again.stdout and "updated 1" not in again.stdout, again.stdout


def test_dry_run_writes_nothing(app, client, database_url, source):
    r = manage(database_url, "import", "--from", source["url"], f"--token={source['token']}",
               "--dry-run", OS_PROJECT_ID="proj-e")
    assert r.returncode == 0, r.stderr
    assert "Would import" in r.stdout and "jobs      new 1" in r.stdout
    assert ApiUser(client, "erin", project_id="proj-e").get("/v1/jobs").get_json()["jobs"] == []


def test_wrong_token_and_unreachable_source_fail_clearly(app, client, database_url, source):
    r = manage(database_url, "import", "--from", source["url"], "--token", "wrong",
               OS_PROJECT_ID="proj-e")
    assert r.returncode == 1 and "401" in r.stderr and "nothing was written" in r.stderr
    r = manage(database_url, "import", "--from", "http://127.0.0.1:9", "--token", "x")
    assert r.returncode == 1 and "unreachable" in r.stderr
    assert ApiUser(client, "erin", project_id="proj-e").get("/v1/jobs").get_json()["jobs"] == []


def test_a_source_failing_halfway_leaves_whole_documents_and_a_rerun_completes(
        app, client, database_url, source):
    # pages of one document: the clients and the first action are written, then the second
    # page of actions answers 500
    source["failing"].add("/actions?limit=1&offset=1")
    args = ("import", "--from", source["url"], f"--token={source['token']}", "--page-size", "1")
    r = manage(database_url, *args, OS_PROJECT_ID="proj-e")
    assert r.returncode == 1 and "answered 500" in r.stderr, r.stderr
    assert "2 documents above were written, each whole" in r.stderr, r.stderr
    assert "run it again" in r.stderr
    assert "clients   new 1," in r.stdout and "actions   new 1," in r.stdout, r.stdout
    here = ApiUser(client, "erin", project_id="proj-e")
    written = here.get("/v1/actions").get_json()["actions"]
    assert len(written) == 1 and written[0] in source["listed"]["actions"]
    assert here.get("/v1/jobs").get_json()["jobs"] == []
    source["failing"].clear()
    r = manage(database_url, *args, OS_PROJECT_ID="proj-e")
    assert r.returncode == 0, r.stderr
    assert "clients   new 0, updated 0, unchanged 1" in r.stdout, r.stdout
    assert "actions   new 1, updated 0, unchanged 1" in r.stdout, r.stdout
    for kind, docs in source["listed"].items():
        ours = here.get(f"/v1/{kind}?limit=100").get_json()[kind]
        assert sorted(map(repr, ours)) == sorted(map(repr, docs)), kind
    # the actions the failed run wrote are sorted by the rerun, once the jobs are here
    assert library(app) == expected_library(source)


def test_a_source_failing_before_any_page_writes_nothing(app, client, database_url, source):
    source["failing"].add("/clients")
    r = manage(database_url, "import", "--from", source["url"], f"--token={source['token']}",
               OS_PROJECT_ID="proj-e")
    assert r.returncode == 1 and "answered 500" in r.stderr and "nothing was written" in r.stderr
    assert ApiUser(client, "erin", project_id="proj-e").get("/v1/actions").get_json()[
        "actions"] == []
