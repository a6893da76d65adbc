"""Jobs as the agents use them: the scheduler's poll, its two kinds of PATCH, version
counters and If-Match, action_defaults, materialisation, the capability check, events."""
import pytest

from app import clock
from tests.builders import action_body, client_body, freezer_action, job_body

POLL = "/v1/jobs/?limit=10&offset={offset}"


def poll_body(client_id):
    return {"match_not": [{"status": "completed"}], "match": [{"client_id": client_id}]}


def poll_all(user, client_id):
    """What freezer-scheduler does: pages of 10 until a short page."""
    seen, offset = [], 0
    while True:
        r = user.get(POLL.format(offset=offset), poll_body(client_id))
        assert r.status_code == 200
        page = r.get_json()["jobs"]
        seen += [j["job_id"] for j in page]
        if len(page) < 10:
            return seen
        offset += len(page)


def test_scheduler_poll_pages_through_every_active_job_once(alice, bob):
    mine, others = [], []
    for i in range(25):
        mine.append(alice.create("jobs", job_body("proj_node1")))
        # interleave other clients' jobs and completed ones of the same client
        others.append(alice.create("jobs", job_body("proj_node2")))
        if i % 3 == 0:
            done = alice.create("jobs", job_body("proj_node1"))
            alice.patch(f"/v1/jobs/{done}", {"job_schedule": {"status": "completed"}})
        bob.create("jobs", job_body("proj_node1"))
    seen = poll_all(alice, "proj_node1")
    assert seen == mine  # every active job, once, in creation order


def test_poll_sees_a_job_again_when_it_leaves_completed(alice):
    job_id = alice.create("jobs", job_body())
    alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "completed"}})
    assert poll_all(alice, "proj_node1") == []
    alice.post(f"/v1/jobs/{job_id}/event", {"start": None})
    assert poll_all(alice, "proj_node1") == [job_id]


def test_poll_answer_carries_what_the_scheduler_reads(alice):
    job_id = alice.create("jobs", {"client_id": "proj_node1",
                                   "job_actions": [{"freezer_action": freezer_action()}]})
    [job] = alice.get(POLL.format(offset=0), poll_body("proj_node1")).get_json()["jobs"]
    assert job["job_id"] == job_id
    schedule = job["job_schedule"]
    assert (schedule["event"], schedule["status"], schedule["result"]) == ("", "", "")
    assert schedule["time_started"] == -1 and schedule["time_ended"] == -1
    assert job["session_id"] == "" and job["session_tag"] == 0


def test_partial_schedule_patch_keeps_the_other_schedule_keys(alice):
    job_id = alice.create("jobs", job_body(schedule={"schedule_interval": "1 days",
                                                     "schedule_start_date": "2026-01-01T00:00:00",
                                                     "event": "start"}))
    r = alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running"}})
    assert (r.status_code, r.get_json()) == (200, {"job_id": job_id, "version": 2})
    schedule = alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]
    assert schedule["status"] == "running"
    assert schedule["schedule_interval"] == "1 days"
    assert schedule["schedule_start_date"] == "2026-01-01T00:00:00"
    assert schedule["event"] == "start"
    assert schedule["time_created"] > 0


def test_whole_document_patch_as_the_scheduler_sends_it(alice):
    """The 3.0.0/18.0.0 scheduler sends back the job exactly as GET returned it, with
    `_version`, ids, `project_id: null` and job_actions carrying action_id/user_id."""
    alice.post("/v1/clients/", client_body())
    job_id = alice.create("jobs", job_body(schedule={"schedule_date": "2026-11-27T01:48:47",
                                                     "event": "start"}))
    job = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert job["_version"] == 1
    action_ids = [a["action_id"] for a in job["job_actions"]]
    job["project_id"] = None
    job["job_schedule"].update(event="", status="completed")
    r = alice.patch(f"/v1/jobs/{job_id}", job)
    assert (r.status_code, r.get_json()) == (200, {"job_id": job_id, "version": 2})
    # 21 ms later: running
    r = alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {
        "schedule_date": "2026-11-27T01:48:47", "event": "", "status": "running", "result": "",
        "time_started": 1795744128, "time_ended": -1}})
    assert r.get_json()["version"] == 3
    again = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert again["job_schedule"]["status"] == "running"
    assert again["job_schedule"]["schedule_date"] == "2026-11-27T01:48:47"  # verbatim
    assert [a["action_id"] for a in again["job_actions"]] == action_ids
    assert "project_id" not in again or again["project_id"] is not None
    assert again["_version"] == 3
    # the unchanged embedded action created no new action document
    assert len(alice.get("/v1/actions/").get_json()["actions"]) == 1
    # and the whole document as now returned is accepted again
    again["job_schedule"].update(status="completed", result="success", current_pid=8907)
    assert alice.patch(f"/v1/jobs/{job_id}", again).status_code == 200


def test_patch_ignores_ids_and_version_in_the_body(alice):
    job_id = alice.create("jobs", job_body())
    r = alice.patch(f"/v1/jobs/{job_id}", {"job_id": "other", "user_id": "mallory",
                                           "_version": 99, "description": "x"})
    assert r.get_json() == {"job_id": job_id, "version": 2}
    job = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert (job["job_id"], job["user_id"], job["description"]) == (job_id, "alice", "x")


def test_patch_replaces_arrays_and_stores_any_enum_valid_status(alice):
    job_id = alice.create("jobs", job_body())
    for status in ("completed", "running", "scheduled", "stop", "aborting", "removed", ""):
        r = alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": status}})
        assert r.status_code == 200
        assert alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]["status"] == status


def test_version_counter_and_etag(alice):
    job_id = alice.create("jobs", job_body())
    for version in (2, 3, 4):
        r = alice.patch(f"/v1/jobs/{job_id}", {"description": f"v{version}"})
        assert r.get_json()["version"] == version and r.headers["ETag"] == f'"{version}"'
    r = alice.get(f"/v1/jobs/{job_id}")
    assert r.get_json()["_version"] == 4 and r.headers["ETag"] == '"4"'


def test_if_match(alice):
    job_id = alice.create("jobs", job_body())
    r = alice.patch(f"/v1/jobs/{job_id}", {"description": "a"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200
    r = alice.patch(f"/v1/jobs/{job_id}", {"description": "b"}, headers={"If-Match": '"1"'})
    assert r.status_code == 412 and r.get_json()["title"] == "Precondition Failed"
    job = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert (job["description"], job["_version"]) == ("a", 2)
    assert alice.patch(f"/v1/jobs/{job_id}", {"description": "c"},
                       headers={"If-Match": "*"}).status_code == 200
    r = alice.post(f"/v1/jobs/{job_id}", job_body(), headers={"If-Match": '"2"'})
    assert r.status_code == 412


def test_action_defaults_fill_only_missing_or_null_values(alice):
    body = job_body(actions=[
        {"freezer_action": {"action": "backup", "mode": "fs", "path_to_backup": "/a",
                            "backup_name": "a", "container": None}},
        {"freezer_action": {"action": "backup", "mode": "fs", "path_to_backup": "/b",
                            "backup_name": "b", "container": "mine", "log_file": ""}},
    ], action_defaults={"container": "shared", "storage": "local", "log_file": "/var/log/x"})
    job_id = alice.create("jobs", body)
    job = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert "action_defaults" not in job
    first, second = (a["freezer_action"] for a in job["job_actions"])
    assert (first["container"], first["storage"], first["log_file"]) == ("shared", "local",
                                                                          "/var/log/x")
    assert (second["container"], second["storage"], second["log_file"]) == ("mine", "local", "")


def test_action_defaults_must_be_an_object(alice):
    r = alice.post("/v1/jobs/", job_body(action_defaults=["x"]))
    assert r.status_code == 400 and "action_defaults" in r.get_json()["errors"]
    assert alice.get("/v1/jobs").get_json()["jobs"] == []


def test_action_defaults_in_a_patch_apply_to_the_stored_actions(alice):
    job_id = alice.create("jobs", job_body())
    r = alice.patch(f"/v1/jobs/{job_id}", {"action_defaults": {"compression": "zstd"}})
    assert r.status_code == 200
    job = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert job["job_actions"][0]["freezer_action"]["compression"] == "zstd"
    assert "action_defaults" not in job


def test_materialisation(alice):
    """Embedded actions become action documents; an unchanged one is reused; a changed one
    gets a fresh id (the original answered 400); a named, unknown one keeps its id."""
    stored = alice.create("actions", action_body())
    fa = action_body()["freezer_action"]
    job_id = alice.create("jobs", job_body(actions=[
        {"freezer_action": dict(fa), "action_id": stored},             # unchanged
        {"freezer_action": dict(fa, backup_name="new")},              # no id
        {"freezer_action": dict(fa, backup_name="changed"), "action_id": stored},  # changed
        {"freezer_action": dict(fa), "action_id": "chosen-id"},       # unknown id
    ]))
    job = alice.get(f"/v1/jobs/{job_id}").get_json()
    ids = [a["action_id"] for a in job["job_actions"]]
    assert ids[0] == stored and ids[3] == "chosen-id"
    assert ids[1] and ids[2] and len(set(ids)) == 4
    assert all(a["user_id"] == "alice" for a in job["job_actions"])
    actions = {a["action_id"]: a for a in alice.get("/v1/actions/?limit=100").get_json()["actions"]}
    assert set(actions) == set(ids)
    assert actions[stored]["freezer_action"]["backup_name"] == "data"  # not overwritten
    assert actions[ids[2]]["freezer_action"]["backup_name"] == "changed"
    assert actions[ids[1]]["freezer_action"]["backup_name"] == "new"


def test_job_action_without_freezer_action_is_400_and_writes_nothing(alice):
    r = alice.post("/v1/jobs/", job_body(actions=[{"max_retries": 1}]))
    assert r.status_code == 400
    assert alice.get("/v1/jobs").get_json()["jobs"] == []
    assert alice.get("/v1/actions").get_json()["actions"] == []


def test_invalid_job_leaves_no_actions_behind(alice):
    r = alice.post("/v1/jobs/", job_body(job_schedule={"status": "nonsense"}))
    assert r.status_code == 400
    assert alice.get("/v1/actions").get_json()["actions"] == []


@pytest.mark.parametrize("key,value,capability", [
    ("action", "exec", "action"), ("mode", "mysql", "mode"),
    ("storage", "swift", "storage"), ("engine_name", "rsync", "engine")])
def test_capability_check_refuses_what_the_client_cannot_run(alice, key, value, capability):
    alice.post("/v1/clients/", client_body(full=False, supported_actions=["backup"],
                                           supported_modes=["fs"], supported_storages=["local"],
                                           supported_engines=["tar"]))
    r = alice.post("/v1/jobs/", job_body(actions=[{"freezer_action": freezer_action(**{key: value})}]))
    assert r.status_code == 422
    assert r.get_json()["description"] == f"Client proj_node1 does not support {capability}: {value}"
    assert alice.get("/v1/jobs").get_json()["jobs"] == []
    assert alice.get("/v1/actions").get_json()["actions"] == []


def test_capability_check_on_patch_and_replace(alice):
    alice.post("/v1/clients/", client_body(full=False, supported_actions=["backup"]))
    job_id = alice.create("jobs", job_body())
    bad = [{"freezer_action": freezer_action(action="exec")}]
    assert alice.patch(f"/v1/jobs/{job_id}", {"job_actions": bad}).status_code == 422
    assert alice.post(f"/v1/jobs/{job_id}", job_body(actions=bad)).status_code == 422
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["_version"] == 1


def test_capability_check_passes_for_unregistered_clients_and_missing_lists(alice):
    assert alice.post("/v1/jobs/", job_body("proj_unknown", actions=[
        {"freezer_action": freezer_action(action="exec")}])).status_code == 201
    alice.post("/v1/clients/", client_body(full=False))  # declares nothing
    assert alice.post("/v1/jobs/", job_body(actions=[
        {"freezer_action": freezer_action(mode="nova")}])).status_code == 201


def test_capability_check_uses_the_callers_client_only(alice, bob):
    bob.post("/v1/clients/", client_body(full=False, supported_actions=["backup"]))
    assert alice.post("/v1/jobs/", job_body(actions=[
        {"freezer_action": freezer_action(action="exec")}])).status_code == 201


def event(user, job_id, name):
    r = user.post(f"/v1/jobs/{job_id}/event", {name: None})
    assert r.status_code == 202
    return r.get_json()["result"]


def test_job_events_and_their_result_strings(alice):
    job_id = alice.create("jobs", job_body())
    assert event(alice, job_id, "start") == "success"
    assert event(alice, job_id, "start") == "start already requested"
    assert event(alice, job_id, "stop") == "success"
    assert event(alice, job_id, "stop") == "stop already requested"
    assert event(alice, job_id, "abort") == "success"
    assert event(alice, job_id, "abort") == "abort already requested"
    assert event(alice, job_id, "start") == "success"
    job = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert job["job_schedule"]["event"] == "start" and job["_version"] == 5


def test_start_resets_status_and_result_so_a_finished_job_reruns(alice):
    job_id = alice.create("jobs", job_body())
    alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "completed", "result": "fail"}})
    event(alice, job_id, "start")
    schedule = alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]
    assert (schedule["event"], schedule["status"], schedule["result"]) == ("start", "", "")


def test_stop_leaves_status_and_result_alone(alice):
    job_id = alice.create("jobs", job_body())
    alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running", "result": ""}})
    event(alice, job_id, "stop")
    schedule = alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]
    assert (schedule["event"], schedule["status"]) == ("stop", "running")


@pytest.mark.parametrize("body", [None, {}, [], "start", {"remove": None}, {"launch": None}])
def test_bad_events_are_400(alice, body):
    job_id = alice.create("jobs", job_body())
    r = alice.post(f"/v1/jobs/{job_id}/event", body)
    assert r.status_code == 400 and r.get_json()["title"] == "Bad request format"
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["_version"] == 1


def test_job_create_fills_the_time_fields_and_ignores_a_given_job_id(alice):
    clock.freeze(1795744000)
    r = alice.post("/v1/jobs/", job_body(job_id="mine", schedule={
        "time_created": 5, "time_started": 5, "time_ended": 5, "status": "stop"}))
    job = alice.get(f"/v1/jobs/{r.get_json()['job_id']}").get_json()
    assert job["job_id"] != "mine" and len(job["job_id"]) == 32
    assert job["job_schedule"] == {"time_created": 1795744000, "time_started": -1,
                                   "time_ended": -1, "status": "stop", "event": "",
                                   "result": ""}


def test_job_client_id_is_validated(alice):
    for bad in ("bad%project$id_host.domain.tld", "proj_bad_hostname.bad/domain.b", ""):
        assert alice.post("/v1/jobs/", job_body(bad)).status_code == 400, bad
    assert alice.post("/v1/jobs/", job_body("padawan-ccp-c1-m1-mgmt")).status_code == 201
