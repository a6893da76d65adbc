"""Regressions for what the schemathesis run (test_hostile_input.py) found: each test pins
one finding, both what /v1/openapi.json says and what the server does."""
import pytest
from jsonschema import Draft4Validator

from tests.builders import action_body, backup_body, client_body, job_body


@pytest.fixture
def spec(alice):
    return alice.get("/v1/openapi.json").get_json()


def component(spec, name):
    return Draft4Validator(spec["components"]["schemas"][name])


def path_parameter(spec, path, name):
    item = spec["paths"][path]
    return next(p for p in item["parameters"] if p["name"] == name)


def assert_error(r, status):
    assert r.status_code == status, (r.status_code, r.data[:300])
    body = r.get_json()
    assert body["title"] and body["description"] and body["code"] == status


# Finding: GET /v1/backups?offset=<38 digits> answered 500 (SQLite integer overflow).
@pytest.mark.parametrize("collection", ["backups", "jobs", "actions", "clients", "sessions"])
def test_a_huge_offset_is_a_400_not_a_500(alice, collection):
    assert_error(alice.get(f"/v1/{collection}?offset=28055579188935597211775878242991341568"), 400)
    assert alice.get(f"/v1/{collection}?offset=2147483647").status_code == 200


# Finding: path ids were documented as any string, but storing under a bad id answers 400.
@pytest.mark.parametrize("path,name", [("/v1/actions/{action_id}", "action_id"),
                                       ("/v1/jobs/{job_id}", "job_id"),
                                       ("/v1/sessions/{session_id}", "session_id"),
                                       ("/v1/clients/{client_id}", "client_id")])
def test_path_ids_are_documented_with_the_pattern_the_server_enforces(spec, path, name):
    schema = path_parameter(spec, path, name)["schema"]
    assert schema["pattern"] and schema["maxLength"] == 255


# Finding: "Ê" in a path id was accepted although the published (ECMA, ASCII \w) pattern
# excludes it: ids are ASCII letters, digits, _ and - everywhere now.
@pytest.mark.parametrize("bad_id", ["\u00ca", "a b", "caf\u00e9"])
def test_a_non_ascii_or_spaced_id_is_refused_when_storing(alice, bad_id):
    assert_error(alice.post(f"/v1/actions/{bad_id}", action_body()), 400)
    assert_error(alice.post(f"/v1/jobs/{bad_id}", job_body()), 400)
    assert alice.get("/v1/actions").get_json() == {"actions": []}


def test_an_ascii_id_is_stored_under_the_path(alice):
    r = alice.post("/v1/actions/nightly_db-1", action_body())
    assert r.status_code == 201 and r.get_json()["action_id"] == "nightly_db-1"


# Finding: PATCH with {} answers 400 "Missing request body" but {} was documented as valid.
@pytest.mark.parametrize("name", ["ActionPatch", "ClientPatch"])
def test_an_empty_patch_is_documented_as_invalid(spec, name):
    assert not component(spec, name).is_valid({})


def test_an_empty_patch_is_refused(alice):
    action_id = alice.create("actions", action_body())
    assert_error(alice.patch(f"/v1/actions/{action_id}", {}), 400)
    alice.create("clients", client_body())
    assert_error(alice.patch("/v1/clients/proj_node1", {}), 400)


# Finding: backups need hostname|host_name and time_stamp|timestamp; the schema said neither.
def test_backup_metadata_documents_its_required_pairs(spec, alice):
    validator = component(spec, "BackupMetadata")
    for missing in ("hostname", "time_stamp"):
        body = backup_body()
        del body[missing]
        assert not validator.is_valid(body)
        assert_error(alice.post("/v1/backups", body), 400)
    seed_names = backup_body()
    seed_names["host_name"] = seed_names.pop("hostname")
    seed_names["timestamp"] = seed_names.pop("time_stamp")
    assert validator.is_valid(seed_names)
    assert alice.post("/v1/backups", seed_names).status_code == 201


# Finding: a job action without freezer_action answers 400 but was documented as valid.
def test_job_actions_document_freezer_action_as_required(spec, alice):
    body = job_body(actions=[{"max_retries": 1}])
    assert not component(spec, "JobCreate").is_valid(body)
    assert_error(alice.post("/v1/jobs", body), 400)


# Finding: fields the server fills in (owner, version, the id given in the path) are
# accepted and ignored, but only when they pass their rule ("session_id": "bad id!" was
# silently dropped): documented with that rule, and the answer follows the document.
def test_server_filled_fields_are_documented_as_ignored_and_are(spec, alice):
    create = component(spec, "ActionCreate")
    assert "action_id" not in create.schema.get("required", [])  # generated when absent
    assert "Ignored" in create.schema["properties"]["user_id"]["description"]
    body = dict(action_body(), user_id="someone-else", _version=7)
    assert create.is_valid(body)
    r = alice.post("/v1/actions", body)
    assert r.status_code == 201
    stored = alice.get(f"/v1/actions/{r.get_json()['action_id']}").get_json()
    assert stored["user_id"] == alice.user_id and stored["_version"] == 1
    bad = dict(action_body(), user_id="not an id!")
    assert not create.is_valid(bad)
    assert_error(alice.post("/v1/actions", bad), 400)

    replace = component(spec, "ActionReplace")
    assert replace.is_valid(dict(action_body(), action_id="other-id"))
    r = alice.post("/v1/actions/kept-id", dict(action_body(), action_id="other-id"))
    assert r.status_code == 201 and r.get_json()["action_id"] == "kept-id"
    assert not replace.is_valid(dict(action_body(), action_id="other id!"))
    assert_error(alice.post("/v1/actions/kept-id", dict(action_body(), action_id="other id!")),
                 400)
    session = spec["components"]["schemas"]["SessionReplace"]
    assert not {"session_id", "user_id"} & set(session.get("required", []))


# Finding: POST /v1/sessions with "jobs": <integer> was accepted (creation always starts
# with no jobs), while the schema said jobs must be an object.
def test_session_creation_documents_jobs_as_ignored_and_ignores_them(spec, alice):
    create = spec["components"]["schemas"]["SessionCreate"]
    assert "type" not in create["properties"]["jobs"]
    r = alice.post("/v1/sessions", {"jobs": -46635372, "description": "d",
                                    "schedule": {"schedule_interval": "1 days"}})
    assert r.status_code == 201, r.get_json()
    stored = alice.get(f"/v1/sessions/{r.get_json()['session_id']}").get_json()
    assert stored["jobs"] == {} and stored["user_id"] == alice.user_id


def test_an_empty_action_id_is_refused_not_replaced(alice):
    # schemathesis: "" violates the documented pattern; only an absent id is the server's to choose
    r = alice.post("/v1/actions/", {"action_id": "", "freezer_action": {"action": "backup"}})
    assert r.status_code == 400 and "action_id" in r.get_json()["errors"]
    assert alice.get("/v1/actions/").get_json()["actions"] == []


def test_a_huge_offset_on_a_jobs_runs_is_400_not_500(alice):
    # schemathesis: the run history had its own paging schema without the offset bound
    job_id = alice.create("jobs", job_body())
    r = alice.get(f"/v1/jobs/{job_id}/runs?limit=10&offset=656810508109994734459828695839277056")
    assert r.status_code == 400 and "offset" in r.get_json()["errors"]
