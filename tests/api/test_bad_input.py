"""Bad input answers a 4xx Freezer JSON error (title + description), never a 500, and writes
nothing; odd but valid strings are stored and returned verbatim."""
import json

import pytest

from tests.builders import action_body, backup_body, client_body, job_body

COLLECTIONS = ("jobs", "actions", "clients", "backups")


def assert_error(r, status):
    assert r.status_code == status, (r.status_code, r.data[:300])
    body = r.get_json()
    assert body["title"] and body["description"] and body["code"] == status
    return body


def assert_nothing_written(user):
    for name in COLLECTIONS:
        assert user.get(f"/v1/{name}/?limit=1000").get_json() == {name: []}, name


@pytest.mark.parametrize("collection", COLLECTIONS)
@pytest.mark.parametrize("raw", ['{"a": ', "{'single': 1}", "nul", '{"a": 1}}', "\xff\xfe",
                                 '{"a": NaN}', '{"a": [Infinity]}', '{"a": -Infinity}',
                                 '{"a": 1e400}'])
def test_malformed_json_is_400(alice, collection, raw):
    assert_error(alice.post(f"/v1/{collection}/", raw=raw), 400)
    assert_error(alice.get(f"/v1/{collection}/", raw=raw), 400)
    assert_nothing_written(alice)


def test_malformed_json_on_item_routes(alice):
    job_id = alice.create("jobs", job_body())
    for method, path in (("PATCH", f"/v1/jobs/{job_id}"), ("POST", f"/v1/jobs/{job_id}"),
                         ("POST", f"/v1/jobs/{job_id}/event")):
        assert_error(alice.call(method, path, raw="{oops"), 400)
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["_version"] == 1


@pytest.mark.parametrize("collection", COLLECTIONS)
@pytest.mark.parametrize("body", [None, {}, [], "text", 42, [{"client_id": "x"}]])
def test_missing_or_non_object_bodies_are_400(alice, collection, body):
    raw = "" if body is None else None
    assert_error(alice.post(f"/v1/{collection}/", body, raw=raw), 400)
    assert_nothing_written(alice)


@pytest.mark.parametrize("collection,body,field", [
    ("jobs", job_body(client_id=5), "client_id"),
    ("jobs", job_body(job_actions="x"), "job_actions"),
    ("jobs", job_body(schedule={"status": "sleeping"}), "job_schedule.status"),
    ("jobs", job_body(schedule={"event": "launch"}), "job_schedule.event"),
    ("jobs", job_body(schedule={"result": "great"}), "job_schedule.result"),
    ("jobs", job_body(schedule={"current_pid": "12"}), "job_schedule.current_pid"),
    ("jobs", job_body(schedule={"current_pid": 1.5}), "job_schedule.current_pid"),
    ("jobs", job_body(schedule={"schedule_interval": "3 fortnights"}),
     "job_schedule.schedule_interval"),
    ("jobs", job_body(schedule={"unknown": 1}), "job_schedule"),
    ("jobs", job_body(surprise=1), "body"),
    ("jobs", job_body(session_tag="1"), "session_tag"),
    ("jobs", job_body(description=None), "description"),
    ("jobs", job_body(actions=[{"freezer_action": {"action": 44}}]),
     "job_actions.0.freezer_action.action"),
    ("jobs", job_body(actions=[{"freezer_action": {"action": "backup"}, "max_retries": "3"}]),
     "job_actions.0.max_retries"),
    ("actions", dict(action_body(), action=44), "action"),
    ("actions", {"max_retries": 1}, "freezer_action"),
    ("actions", dict(action_body(), mandatory="yes"), "mandatory"),
    ("clients", client_body(supported_actions=["fly"]), "supported_actions.0"),
    ("clients", {"hostname": "node1"}, "client_id"),
    ("clients", client_body("bad%id$"), "client_id"),
    ("clients", client_body(is_central="yes"), "is_central"),
    ("backups", backup_body(container=""), "container"),
    ("backups", backup_body(time_stamp="soon"), "time_stamp"),
    ("backups", backup_body(curr_backup_level=-1), "curr_backup_level"),
    ("backups", {"container": "c", "backup_name": "n", "time_stamp": 1}, "hostname"),
    # what the indexed columns cannot hold (BIGINT, INT, VARCHAR(255)) is a 400, not a 500
    ("backups", backup_body(time_stamp=2 ** 70), "time_stamp"),
    ("backups", backup_body(time_stamp=-2 ** 70), "time_stamp"),
    ("backups", backup_body(curr_backup_level=2 ** 40), "curr_backup_level"),
    ("backups", backup_body(job_id="j" * 256), "job_id"),
    ("backups", backup_body(hostname="h" * 256), "hostname"),
    ("clients", client_body("p_" + "h" * 300), "client_id"),
])
def test_wrong_types_and_unknown_enum_values_are_400_naming_the_field(
        alice, collection, body, field):
    err = assert_error(alice.post(f"/v1/{collection}/", body), 400)
    assert field in err.get("errors", {}) or field in err["description"], err
    assert_nothing_written(alice)


@pytest.mark.parametrize("patch", [
    {"job_schedule": {"status": "sleeping"}}, {"job_schedule": "running"},
    {"surprise": 1}, {"session_tag": "x"}, {"job_actions": [{"max_retries": 1}]},
    {"client_id": "bad%id"}, [], "x"])
def test_bad_job_patch_is_400_and_changes_nothing(alice, patch):
    job_id = alice.create("jobs", job_body())
    before = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert_error(alice.patch(f"/v1/jobs/{job_id}", patch), 400)
    assert alice.get(f"/v1/jobs/{job_id}").get_json() == before
    assert len(alice.get("/v1/actions").get_json()["actions"]) == 1


@pytest.mark.parametrize("patch", [{"client_id": "other"}, {"supported_modes": ["warp"]},
                                   {"unknown": 1}, {"description": 5}])
def test_bad_client_patch_is_400(alice, patch):
    alice.post("/v1/clients/", client_body())
    assert_error(alice.patch("/v1/clients/proj_node1", patch), 400)
    assert alice.get("/v1/clients/proj_node1").get_json()["_version"] == 1


@pytest.mark.parametrize("query", ["limit=0", "limit=-1", "limit=1001", "limit=x", "offset=-1",
                                   "offset=y", "limit=1.5", "limit="])
@pytest.mark.parametrize("collection", COLLECTIONS)
def test_bad_paging_is_400(alice, collection, query):
    err = assert_error(alice.get(f"/v1/{collection}/?{query}"), 400)
    assert err["title"] == "Invalid parameter"
    assert query.split("=")[0] in err["errors"]


@pytest.mark.parametrize("collection,body", [
    ("jobs", {"match": [{"session_tag": 2 ** 70}]}),
    ("jobs", {"match_not": [{"session_tag": -2 ** 70}]}),
    ("backups", {"time_after": 2 ** 70}),
    ("backups", {"time_before": str(2 ** 64)}),
])
def test_out_of_range_search_numbers_are_400(alice, collection, body):
    assert_error(alice.get(f"/v1/{collection}/", body), 400)


def test_big_numbers_that_fit_are_fine(alice):
    assert alice.post("/v1/backups/", backup_body(time_stamp=2 ** 63 - 1)).status_code == 201
    assert alice.get("/v1/backups/", {"time_after": 2 ** 63 - 1}).status_code == 200
    job_id = alice.create("jobs", job_body(schedule={"current_pid": 2 ** 70}, session_tag=2 ** 62))
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]["current_pid"] == 2 ** 70


def test_paging_edges_are_fine(alice):
    for _ in range(3):
        alice.create("jobs", job_body())
    assert len(alice.get("/v1/jobs?limit=1000").get_json()["jobs"]) == 3
    assert len(alice.get("/v1/jobs?limit=1").get_json()["jobs"]) == 1
    assert alice.get("/v1/jobs?offset=99").get_json() == {"jobs": []}


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_a_2mb_body_is_413_json(alice, collection):
    body = job_body(description="x" * (2 * 1024 * 1024))
    err = assert_error(alice.post(f"/v1/{collection}/", body), 413)
    assert err["title"] == "Request Entity Too Large"
    assert_error(alice.get(f"/v1/{collection}/", body), 413)
    assert_nothing_written(alice)


@pytest.mark.parametrize("collection", COLLECTIONS)
def test_1000_deep_json_is_400(alice, collection):
    deep = '{"a": ' * 1000 + "1" + "}" * 1000
    assert_error(alice.post(f"/v1/{collection}/", raw=deep), 400)
    deep_list = "[" * 1000 + "]" * 1000
    assert_error(alice.get(f"/v1/{collection}/", raw=deep_list), 400)
    assert_nothing_written(alice)


def test_deep_json_in_a_patch_is_400(alice):
    job_id = alice.create("jobs", job_body())
    deep = '{"job_schedule": ' * 1000 + "{}" + "}" * 1000
    assert_error(alice.patch(f"/v1/jobs/{job_id}", raw=deep), 400)
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["_version"] == 1


ODD = ["zoë ☃ 日本語 🚀", "Robert'); DROP TABLE jobs;--", "1' OR '1'='1", "\\\\n\\t\"quoted\"",
       "%_%", "<script>alert(1)</script>", "null"]


@pytest.mark.parametrize("text", ODD)
def test_unicode_and_sql_looking_strings_round_trip_verbatim(alice, text):
    job_id = alice.create("jobs", job_body(description=text, actions=[
        {"freezer_action": {"action": "backup", "mode": "fs", "backup_name": text,
                            "container": text, "path_to_backup": text}}]))
    job = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert job["description"] == text
    assert job["job_actions"][0]["freezer_action"]["backup_name"] == text
    [listed] = alice.get("/v1/jobs", {"match": [{"description": text}]}).get_json()["jobs"]
    assert listed["job_id"] == job_id

    action_id = alice.create("actions", {"freezer_action": {"backup_name": text}, "note": text})
    assert alice.get(f"/v1/actions/{action_id}").get_json()["note"] == text

    r = alice.post("/v1/backups/", backup_body(backup_name=text, note=text))
    assert r.status_code == 201
    backup = alice.get("/v1/backups", {"match": [{"backup_name": text}]}).get_json()["backups"]
    assert [b["backup_metadata"]["note"] for b in backup] == [text]

    r = alice.post("/v1/clients/", client_body(description=text))
    assert r.status_code == 201
    assert alice.get("/v1/clients/proj_node1").get_json()["client"]["description"] == text


def test_control_characters_round_trip(alice):
    text = "nul\u0000 bell\u0007 esc\u001b"
    job_id = alice.create("jobs", job_body(description=text))
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["description"] == text


def test_sql_looking_ids_in_paths_are_just_missing(alice):
    for path in ("/v1/jobs/1%27%20OR%20%271%27%3D%271", "/v1/backups/x%27%3B%20DROP%20TABLE",
                 "/v1/clients/%E2%98%83", "/v1/actions/%25"):
        assert_error(alice.get(path), 404)


def test_key_order_and_types_survive(alice):
    meta = {"z": 1, "a": [1, "2", None, True, 1.5], "m": {"y": {}, "b": []},
            "container": "c", "hostname": "h", "backup_name": "n", "time_stamp": 7}
    backup_id = alice.create("backups", meta)
    stored = alice.get(f"/v1/backups/{backup_id}").get_json()["backup_metadata"]
    assert json.dumps(stored) == json.dumps(meta)


def test_an_unpaired_surrogate_escape_is_malformed_json_not_a_500(alice):
    # valid JSON text, but "\ud800" alone is no Unicode character: no database stores it
    raw = json.dumps(job_body(description="nightly \ud800"))
    err = assert_error(alice.post("/v1/jobs/", raw=raw), 400)
    assert err["title"] == "Malformed JSON" and "surrogate" in err["description"]
    assert_nothing_written(alice)


SURROGATE_BODIES = {
    # the bytes of a lone surrogate, which json reads with surrogatepass
    "UTF-8 bytes": json.dumps(job_body(description="nightly X")).encode().replace(
        b"X", "\ud800".encode("utf-8", "surrogatepass")),
    # UTF-16 (json reads it by its NULs): the escape, and the code unit itself
    "UTF-16 escape": json.dumps(job_body(description="nightly \ud800")).encode("utf-16-le"),
    "UTF-16 unit": json.dumps(job_body(description="nightly \ud800"), ensure_ascii=False)
    .encode("utf-16-le", "surrogatepass"),
}


@pytest.mark.parametrize("encoding", sorted(SURROGATE_BODIES))
def test_a_lone_surrogate_however_encoded_is_malformed_json(alice, encoding):
    err = assert_error(alice.post("/v1/jobs/", raw=SURROGATE_BODIES[encoding]), 400)
    assert err["title"] == "Malformed JSON" and "surrogate" in err["description"]
    assert_nothing_written(alice)


def test_a_body_nested_too_deep_is_refused_and_brackets_in_text_are_not_depth(alice):
    deep = job_body()
    deep["job_actions"][0]["freezer_action"]["nested"] = json.loads("[" * 70 + "]" * 70)
    err = assert_error(alice.post("/v1/jobs/", deep), 400)
    assert "nested more than 64 levels deep" in err["description"]
    assert_nothing_written(alice)
    shallow = job_body(description="[{" * 80)  # brackets inside a string nest nothing
    assert alice.post("/v1/jobs/", shallow).status_code == 201


IGNORED_IDS = [("POST", "/v1/jobs", "jobs", "session_id"), ("POST", "/v1/jobs", "jobs", "job_id"),
               ("POST", "/v1/jobs", "jobs", "user_id"),
               ("POST", "/v1/jobs/chosen", "jobs", "session_id"),
               ("PATCH", "/v1/jobs/{job}", "jobs", "session_id"),
               ("PATCH", "/v1/jobs/{job}", "jobs", "job_id"),
               ("POST", "/v1/sessions", "sessions", "session_id"),
               ("POST", "/v1/sessions/chosen", "sessions", "user_id"),
               ("PATCH", "/v1/sessions/{session}", "sessions", "session_id"),
               ("POST", "/v1/actions", "actions", "user_id"),
               ("POST", "/v1/actions/chosen", "actions", "action_id"),
               ("PATCH", "/v1/actions/{action}", "actions", "action_id")]


@pytest.mark.parametrize("method, path, kind, key", IGNORED_IDS)
def test_ids_the_server_ignores_are_still_validated(alice, method, path, kind, key):
    """The server sets these ids itself, but a malformed one is a mistake to report (400
    naming it), not something to drop silently and answer 201."""
    stored = {"job": alice.create("jobs", job_body()),
              "session": alice.create("sessions", {"session_tag": 0, "schedule": {}}),
              "action": alice.create("actions", action_body())}
    bodies = {"jobs": job_body(), "sessions": {"session_tag": 0, "schedule": {}},
              "actions": action_body()}
    before = {name: alice.get(f"/v1/{name}?limit=100").get_json() for name in bodies}
    body = dict(bodies[kind], **{key: "bad id!"})
    error = assert_error(alice.call(method, path.format(**stored), body), 400)
    assert key in error["errors"]
    assert {name: alice.get(f"/v1/{name}?limit=100").get_json() for name in bodies} == before
    # a well-formed one is ignored as before
    r = alice.call(method, path.format(**stored), dict(bodies[kind], **{key: "fine_id"}))
    assert r.status_code in (200, 201), r.get_json()
