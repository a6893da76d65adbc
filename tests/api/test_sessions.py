"""Sessions (freezer-v1.md §8, DECISIONS.md "Sessions"): documents, membership and the
start/end handshake, with the clock set by the tests (never slept through)."""
import pytest

from app import clock
from tests.builders import job_body

T0 = 1_795_744_000


def session_body(**extra):
    """What the e2e harness sent (scheduler-18.0.0.jsonl seq 8)."""
    body = {"description": "e2e session", "hold_off": 120,
            "schedule": {"schedule_date": "2026-11-27T01:48:47", "event": "start"}}
    body.update(extra)
    return body


def new_session(user, **extra):
    return user.create("sessions", session_body(**extra))


def new_job(user, client_id="proj_node1"):
    return user.create("jobs", job_body(client_id=client_id))


def add(user, sid, jid):
    r = user.put(f"/v1/sessions/{sid}/jobs/{jid}")
    assert r.status_code == 204, r.get_json()
    assert r.data == b""


def action(user, sid, name, **params):
    return user.post(f"/v1/sessions/{sid}/action", {name: params})


def start(user, sid, jid, tag):
    r = action(user, sid, "start", job_id=jid, current_tag=tag)
    assert r.status_code == 202, r.get_json()
    return r.get_json()


def end(user, sid, jid, result, tag=0):
    r = action(user, sid, "end", job_id=jid, current_tag=tag, result=result)
    assert r.status_code == 202, r.get_json()
    return r.get_json()


def session(user, sid):
    r = user.get(f"/v1/sessions/{sid}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


@pytest.fixture
def at():
    """Set the clock: at(t) makes every server-side `now` equal t."""
    clock.freeze(T0)
    return clock.freeze


# --- documents -------------------------------------------------------------------------

def test_create_fills_server_fields_and_ignores_supplied_ones(alice):
    r = alice.post("/v1/sessions/", session_body(session_id="mine", user_id="bob",
                                                 status="completed", jobs={"x": {}}))
    assert r.status_code == 201
    sid = r.get_json()["session_id"]
    assert sid != "mine" and len(sid) == 32
    doc = session(alice, sid)
    assert doc["user_id"] == "alice"
    assert doc["status"] == "active" and doc["result"] == ""
    assert doc["jobs"] == {}            # an object from creation, never a list
    assert doc["session_tag"] == 0
    assert doc["hold_off"] == 120
    assert doc["schedule"] == {"schedule_date": "2026-11-27T01:48:47", "event": "start"}
    assert doc["_version"] == 1


def test_create_defaults_hold_off_to_30_and_keeps_a_given_tag(alice):
    sid = alice.create("sessions", {"schedule": {"schedule_interval": "1 days"},
                                    "session_tag": 7})
    doc = session(alice, sid)
    assert doc["hold_off"] == 30 and doc["session_tag"] == 7


@pytest.mark.parametrize("body, field", [
    ({"description": "no schedule"}, "schedule"),
    (session_body(session_tag="ouch"), "session_tag"),
    (session_body(hold_off="soon"), "hold_off"),
    (session_body(schedule={"schedule_interval": "every day"}), "schedule.schedule_interval"),
    (session_body(schedule={"colour": "blue"}), "schedule"),
])
def test_create_rejects_invalid_documents(alice, body, field):
    r = alice.post("/v1/sessions/", body)
    assert r.status_code == 400
    answer = r.get_json()
    assert answer["title"] and answer["description"]
    assert field in answer["errors"]
    assert alice.get("/v1/sessions").get_json() == {"sessions": []}


@pytest.mark.parametrize("raw", ["", "{}", "[]", "{nope"])
def test_create_without_a_body_is_400(alice, raw):
    r = alice.post("/v1/sessions/", raw=raw)
    assert r.status_code == 400
    assert r.get_json()["description"]
    assert alice.get("/v1/sessions").get_json() == {"sessions": []}


def test_list_pages_in_creation_order_and_searches(alice):
    sids = [new_session(alice, description=f"s{i}") for i in range(5)]
    first = alice.get("/v1/sessions/?limit=3&offset=0").get_json()["sessions"]
    rest = alice.get("/v1/sessions/?limit=3&offset=3").get_json()["sessions"]
    assert [s["session_id"] for s in first + rest] == sids
    alice.patch(f"/v1/sessions/{sids[2]}", {"status": "completed"})
    found = alice.get("/v1/sessions", {"match": [{"status": "completed"}]}).get_json()
    assert [s["session_id"] for s in found["sessions"]] == [sids[2]]
    found = alice.get("/v1/sessions?status=active").get_json()["sessions"]
    assert len(found) == 4


def test_patch_merges_recursively(alice):
    sid = new_session(alice)
    r = alice.patch(f"/v1/sessions/{sid}", {"description": "new",
                                            "schedule": {"schedule_interval": "2 hours"},
                                            "session_id": "ignored", "user_id": "bob"})
    assert r.status_code == 200
    assert r.get_json() == {"session_id": sid, "version": 2}
    doc = session(alice, sid)
    assert doc["description"] == "new" and doc["user_id"] == "alice"
    assert doc["schedule"] == {"schedule_date": "2026-11-27T01:48:47", "event": "start",
                               "schedule_interval": "2 hours"}


def test_patch_merges_job_entries_per_field_but_adds_no_job(alice):
    sid, jid = new_session(alice), new_job(alice)
    add(alice, sid, jid)
    r = alice.patch(f"/v1/sessions/{sid}", {"jobs": {jid: {"status": "completed"}}})
    assert r.status_code == 200
    entry = session(alice, sid)["jobs"][jid]
    assert entry["status"] == "completed" and entry["client_id"] == "proj_node1"
    r = alice.patch(f"/v1/sessions/{sid}", {"jobs": {"f" * 32: {"status": "running"}}})
    assert r.status_code == 400
    assert "f" * 32 not in session(alice, sid)["jobs"]


def test_patch_rejects_bad_values(alice):
    sid = new_session(alice)
    for body in ({"session_tag": "ouch"}, {"jobs": []}, {"hold_off": -1}, [1]):
        r = alice.patch(f"/v1/sessions/{sid}", body)
        assert r.status_code == 400, body
        assert r.get_json()["description"]
    assert session(alice, sid)["_version"] == 1


def test_replace_creates_or_overwrites_and_keeps_the_members(alice):
    r = alice.post("/v1/sessions/chosen-id", {"session_tag": 3, "schedule": {}})
    assert r.status_code == 201 and r.get_json() == {"session_id": "chosen-id", "version": 1}
    jid = new_job(alice)
    add(alice, "chosen-id", jid)
    r = alice.post("/v1/sessions/chosen-id", {"session_tag": 4, "schedule": {},
                                              "description": "replaced"})
    assert r.status_code == 201 and r.get_json()["version"] == 3
    doc = session(alice, "chosen-id")
    assert doc["session_tag"] == 4 and doc["description"] == "replaced"
    assert list(doc["jobs"]) == [jid]
    r = alice.post("/v1/sessions/chosen-id", {"session_tag": 4, "schedule": {}})
    assert r.status_code == 201
    missing = alice.post("/v1/sessions/chosen-id", {"schedule": {}})
    assert missing.status_code == 400 and "session_tag" in missing.get_json()["errors"]
    stranger = alice.post("/v1/sessions/chosen-id",
                          {"session_tag": 4, "schedule": {}, "jobs": {"x" * 32: {}}})
    assert stranger.status_code == 400


def test_if_match_is_honoured(alice):
    sid = new_session(alice)
    r = alice.patch(f"/v1/sessions/{sid}", {"description": "x"}, headers={"If-Match": '"7"'})
    assert r.status_code == 412
    r = alice.patch(f"/v1/sessions/{sid}", {"description": "x"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200


def test_delete_detaches_the_jobs(alice):
    sid, jid = new_session(alice), new_job(alice)
    add(alice, sid, jid)
    assert alice.delete(f"/v1/sessions/{sid}").status_code == 204
    assert alice.get(f"/v1/sessions/{sid}").status_code == 404
    job = alice.get(f"/v1/jobs/{jid}").get_json()
    assert job["session_id"] == "" and job["session_tag"] == 0
    again = alice.delete(f"/v1/sessions/{sid}")
    assert again.status_code == 404 and again.get_json()["description"]


# --- membership (§8.7, §8.8) -----------------------------------------------------------

def test_add_job_links_both_documents(alice):
    sid = new_session(alice, session_tag=2)
    jid = new_job(alice)
    add(alice, sid, jid)
    entry = session(alice, sid)["jobs"][jid]
    assert entry == {"client_id": "proj_node1", "status": "", "result": "",
                     "time_started": -1, "time_ended": -1}
    job = alice.get(f"/v1/jobs/{jid}").get_json()
    assert job["session_id"] == sid and job["session_tag"] == 2
    # every key of the session's schedule overwrites the job's; the others survive
    assert job["job_schedule"]["schedule_date"] == "2026-11-27T01:48:47"
    assert job["job_schedule"]["event"] == "start"
    assert job["job_schedule"]["schedule_interval"] == "1 days"


def test_adding_again_refreshes_the_entry(alice):
    sid, jid = new_session(alice), new_job(alice)
    add(alice, sid, jid)
    alice.patch(f"/v1/jobs/{jid}", {"job_schedule": {"status": "scheduled"}})
    add(alice, sid, jid)
    doc = session(alice, sid)
    assert list(doc["jobs"]) == [jid] and doc["jobs"][jid]["status"] == "scheduled"


def test_a_job_moved_to_another_session_leaves_the_first(alice):
    first, second, jid = new_session(alice), new_session(alice), new_job(alice)
    add(alice, first, jid)
    add(alice, second, jid)
    assert session(alice, first)["jobs"] == {}
    assert list(session(alice, second)["jobs"]) == [jid]
    assert alice.get(f"/v1/jobs/{jid}").get_json()["session_id"] == second


def test_add_unknown_session_or_job_is_404_and_writes_nothing(alice):
    sid, jid = new_session(alice), new_job(alice)
    assert alice.put(f"/v1/sessions/{'0' * 32}/jobs/{jid}").status_code == 404
    assert alice.put(f"/v1/sessions/{sid}/jobs/{'0' * 32}").status_code == 404
    assert session(alice, sid)["_version"] == 1
    assert alice.get(f"/v1/jobs/{jid}").get_json()["session_id"] == ""


def test_remove_job_stops_and_detaches_it_and_is_idempotent(alice):
    sid, keep, jid = new_session(alice), new_job(alice), new_job(alice)
    add(alice, sid, keep)
    add(alice, sid, jid)
    r = alice.delete(f"/v1/sessions/{sid}/jobs/{jid}")
    assert r.status_code == 204 and r.data == b""
    assert list(session(alice, sid)["jobs"]) == [keep]
    job = alice.get(f"/v1/jobs/{jid}").get_json()
    assert job["session_id"] == "" and job["session_tag"] == 0
    assert job["job_schedule"]["event"] == "stop"
    version = job["_version"]
    # python-freezerclient retries until 204: a repeat changes nothing
    assert alice.delete(f"/v1/sessions/{sid}/jobs/{jid}").status_code == 204
    assert alice.get(f"/v1/jobs/{jid}").get_json()["_version"] == version
    assert alice.delete(f"/v1/sessions/{sid}/jobs/{'0' * 32}").status_code == 404
    assert alice.delete(f"/v1/sessions/{'0' * 32}/jobs/{jid}").status_code == 404


def test_deleting_a_job_removes_it_from_its_session(alice):
    sid, keep, jid = new_session(alice), new_job(alice), new_job(alice)
    add(alice, sid, keep)
    add(alice, sid, jid)
    assert alice.delete(f"/v1/jobs/{jid}").status_code == 204
    assert list(session(alice, sid)["jobs"]) == [keep]


def test_deleting_a_job_whose_session_id_was_patched_away_still_cleans_up(alice):
    sid, jid = new_session(alice), new_job(alice)
    add(alice, sid, jid)
    alice.patch(f"/v1/jobs/{jid}", {"session_id": ""})
    assert alice.delete(f"/v1/jobs/{jid}").status_code == 204
    assert session(alice, sid)["jobs"] == {}


# --- start / end (§8.9) ----------------------------------------------------------------

def test_worked_example(alice, at):
    """freezer-v1.md §8.9, step by step (hold_off 30, tag 0, jobs J1 and J2)."""
    sid = new_session(alice, hold_off=30)
    j1, j2, j3 = new_job(alice), new_job(alice), new_job(alice)
    add(alice, sid, j1)
    add(alice, sid, j2)

    at(1000)
    assert start(alice, sid, j1, 0) == {"result": "success", "session_tag": 1}
    doc = session(alice, sid)
    assert doc["status"] == "running" and doc["time_start"] == 1000
    assert doc["jobs"][j1]["status"] == "running" and doc["jobs"][j1]["time_started"] == 1000

    at(1010)
    assert start(alice, sid, j2, 0) == {"result": "success", "session_tag": 1}
    assert session(alice, sid)["jobs"][j2]["time_started"] == 1010

    at(1015)
    version = session(alice, sid)["_version"]
    assert start(alice, sid, j2, 1) == {"result": "hold-off", "session_tag": 1}
    assert session(alice, sid)["_version"] == version  # nothing written

    at(2000)
    assert start(alice, sid, j3, 0) == {"result": "out-of-sync", "session_tag": 1}
    too_high = action(alice, sid, "start", job_id=j1, current_tag=2)
    assert too_high.status_code == 400
    assert too_high.get_json()["description"] == \
        "requested tag value too high. Session Tag: 1 Job Tag: 2"
    assert session(alice, sid)["_version"] == version

    assert end(alice, sid, j1, "success", 1) == {"result": "success", "session_tag": 1}
    doc = session(alice, sid)
    assert doc["status"] == "running" and doc["jobs"][j1]["status"] == "completed"

    at(2005)
    assert end(alice, sid, j2, "fail", 1) == {"result": "success", "session_tag": 1}
    doc = session(alice, sid)
    assert (doc["status"], doc["result"], doc["time_end"]) == ("completed", "fail", 2005)
    assert doc["jobs"][j2] == {"client_id": "proj_node1", "status": "completed",
                               "result": "fail", "time_started": 1010, "time_ended": 2005}


def test_start_window_edge_is_inclusive(alice, at):
    sid, j1, j2 = new_session(alice, hold_off=30), new_job(alice), new_job(alice)
    add(alice, sid, j1)
    add(alice, sid, j2)
    start(alice, sid, j1, 0)                 # round 1 opens at T0
    at(T0 + 30)
    assert start(alice, sid, j2, 1) == {"result": "hold-off", "session_tag": 1}
    assert start(alice, sid, j2, 0) == {"result": "success", "session_tag": 1}
    at(T0 + 31)
    assert start(alice, sid, j2, 1) == {"result": "success", "session_tag": 2}
    assert session(alice, sid)["time_start"] == T0 + 31


def test_a_never_started_session_opens_a_round_at_once(alice, at):
    sid, jid = new_session(alice, hold_off=10**9), new_job(alice)
    add(alice, sid, jid)
    assert start(alice, sid, jid, 0) == {"result": "success", "session_tag": 1}


def test_numeric_string_tags_work(alice, at):
    sid, j1, j2 = new_session(alice), new_job(alice), new_job(alice)
    add(alice, sid, j1)
    add(alice, sid, j2)
    assert start(alice, sid, j1, "0") == {"result": "success", "session_tag": 1}
    assert start(alice, sid, j2, " 0 ") == {"result": "success", "session_tag": 1}
    assert start(alice, sid, j2, "1") == {"result": "hold-off", "session_tag": 1}
    assert action(alice, sid, "start", job_id=j2, current_tag="2").status_code == 400


def test_new_round_resets_the_result_and_reopens_a_completed_session(alice, at):
    sid, jid = new_session(alice, hold_off=30), new_job(alice)
    add(alice, sid, jid)
    start(alice, sid, jid, 0)
    end(alice, sid, jid, "fail")
    assert session(alice, sid)["status"] == "completed"
    at(T0 + 100)
    assert start(alice, sid, jid, 1) == {"result": "success", "session_tag": 2}
    doc = session(alice, sid)
    assert (doc["status"], doc["result"], doc["time_start"]) == ("running", "", T0 + 100)
    assert doc["jobs"][jid]["status"] == "running" and doc["jobs"][jid]["result"] == ""
    end(alice, sid, jid, "success")
    doc = session(alice, sid)
    assert (doc["status"], doc["result"], doc["time_end"]) == ("completed", "success", T0 + 100)


def test_start_of_a_job_outside_the_session(alice, at):
    sid, member, stranger = new_session(alice, hold_off=30), new_job(alice), new_job(alice)
    add(alice, sid, member)
    r = action(alice, sid, "start", job_id=stranger, current_tag=0)
    assert r.status_code == 400 and r.get_json()["description"] == "job_id not found in session"
    assert session(alice, sid)["session_tag"] == 0          # no round was opened
    start(alice, sid, member, 0)
    # checked only when marking: a hold-off answer needs no membership
    assert start(alice, sid, stranger, 1) == {"result": "hold-off", "session_tag": 1}
    assert action(alice, sid, "start", job_id=stranger, current_tag=0).status_code == 400


def test_end_of_a_job_outside_the_session_is_400(alice, at):
    sid, jid = new_session(alice), new_job(alice)
    r = action(alice, sid, "end", job_id=jid, current_tag=0, result="success")
    assert r.status_code == 400 and r.get_json()["description"] == "job_id not found in session"
    assert session(alice, sid)["_version"] == 1


def test_end_ignores_the_tag_and_leaves_the_tag_alone(alice, at):
    sid, jid = new_session(alice, session_tag=5), new_job(alice)
    add(alice, sid, jid)
    r = action(alice, sid, "end", job_id=jid, result="aborted")
    assert r.status_code == 202 and r.get_json() == {"result": "success", "session_tag": 5}
    doc = session(alice, sid)
    assert doc["jobs"][jid]["result"] == "aborted" and doc["result"] == "fail"


@pytest.mark.parametrize("entries, overall", [
    ([("completed", "success"), ("completed", "success")], "success"),
    ([("completed", "success"), ("running", "")], "running"),
    ([("completed", "fail"), ("running", "")], "running"),
    ([("completed", "success"), ("completed", "aborted")], "fail"),
    ([("", ""), ("completed", "fail")], "running"),
])
def test_overall_result(entries, overall):
    from app.services.sessions import overall_result
    jobs = {f"j{i}": {"status": s, "result": r} for i, (s, r) in enumerate(entries)}
    assert overall_result(jobs) == overall


def test_end_rolls_up_only_when_every_entry_completed(alice, at):
    sid = new_session(alice)
    jobs = [new_job(alice) for _ in range(3)]
    for jid in jobs:
        add(alice, sid, jid)
    start(alice, sid, jobs[0], 0)
    for jid in jobs[1:]:
        start(alice, sid, jid, 0)
    end(alice, sid, jobs[0], "fail")
    end(alice, sid, jobs[1], "success")
    assert session(alice, sid)["status"] == "running"
    at(T0 + 9)
    end(alice, sid, jobs[2], "success")
    doc = session(alice, sid)
    assert (doc["status"], doc["result"], doc["time_end"]) == ("completed", "fail", T0 + 9)
    # a late repeat of an end changes the entry only, never the finished session
    at(T0 + 20)
    end(alice, sid, jobs[0], "success")
    doc = session(alice, sid)
    assert (doc["status"], doc["result"], doc["time_end"]) == ("completed", "fail", T0 + 9)
    assert doc["jobs"][jobs[0]]["result"] == "success"


# --- bad input -------------------------------------------------------------------------

@pytest.mark.parametrize("body, field", [
    ({"start": {"current_tag": 0}}, "job_id"),
    ({"start": {"job_id": "J"}}, "current_tag"),
    ({"start": {"job_id": "J", "current_tag": "one"}}, "current_tag"),
    ({"start": {"job_id": "J", "current_tag": 1.5}}, "current_tag"),
    ({"start": {"job_id": "J", "current_tag": True}}, "current_tag"),
    ({"start": {"job_id": "J", "current_tag": None}}, "current_tag"),
    ({"start": {"job_id": 7, "current_tag": 0}}, "job_id"),
    ({"start": "J"}, "start"),
    ({"end": {"job_id": "J", "current_tag": 0}}, "result"),
    ({"end": {"job_id": "J", "current_tag": 0, "result": "great"}}, "result"),
    ({"end": {"job_id": "J", "current_tag": "x", "result": "success"}}, "current_tag"),
    ({"end": {"current_tag": 0, "result": "success"}}, "job_id"),
])
def test_bad_action_parameters_are_400_and_write_nothing(alice, body, field):
    sid, jid = new_session(alice), new_job(alice)
    add(alice, sid, jid)
    for params in body.values():
        if isinstance(params, dict) and params.get("job_id") == "J":
            params["job_id"] = jid
    r = alice.post(f"/v1/sessions/{sid}/action", body)
    assert r.status_code == 400, r.get_json()
    answer = r.get_json()
    assert answer["title"] and answer["description"] and field in answer["errors"]
    assert session(alice, sid)["_version"] == 2


@pytest.mark.parametrize("raw", ["", "{}", "[]", '"start"', "{bad json"])
def test_empty_or_malformed_action_body_is_400(alice, raw):
    sid = new_session(alice)
    r = alice.post(f"/v1/sessions/{sid}/action", raw=raw)
    assert r.status_code == 400 and r.get_json()["description"]


def test_unknown_action_is_405(alice):
    sid = new_session(alice)
    r = alice.post(f"/v1/sessions/{sid}/action", {"pause": {"job_id": "x"}})
    assert r.status_code == 405
    assert r.get_json()["title"] == "Bad Method"
    assert "Bad Action Method" in r.get_json()["description"]


def test_action_on_a_missing_session_is_404(alice):
    r = alice.post(f"/v1/sessions/{'0' * 32}/action", {"start": {"job_id": "x",
                                                                 "current_tag": 0}})
    assert r.status_code == 404 and r.get_json()["description"]


# --- isolation -------------------------------------------------------------------------

def test_bob_cannot_see_change_join_or_act_on_alices_session(alice, bob, at):
    sid, jid = new_session(alice), new_job(alice)
    add(alice, sid, jid)
    bobs_job = new_job(bob)
    before = session(alice, sid)

    assert bob.get(f"/v1/sessions/{sid}").status_code == 404
    assert bob.get("/v1/sessions").get_json() == {"sessions": []}
    assert bob.get("/v1/sessions", {"match": [{"session_id": sid}]}).get_json() == \
        {"sessions": []}
    assert bob.patch(f"/v1/sessions/{sid}", {"description": "mine"}).status_code == 404
    assert bob.delete(f"/v1/sessions/{sid}").status_code == 404
    assert bob.put(f"/v1/sessions/{sid}/jobs/{bobs_job}").status_code == 404
    assert bob.put(f"/v1/sessions/{sid}/jobs/{jid}").status_code == 404
    assert bob.delete(f"/v1/sessions/{sid}/jobs/{jid}").status_code == 404
    for body in ({"start": {"job_id": jid, "current_tag": 0}},
                 {"end": {"job_id": jid, "current_tag": 0, "result": "fail"}},
                 {"pause": {}}):
        assert bob.post(f"/v1/sessions/{sid}/action", body).status_code == 404
    # bob's own session cannot take alice's job either
    own = new_session(bob)
    assert bob.put(f"/v1/sessions/{own}/jobs/{jid}").status_code == 404
    # replacing by id makes bob his own session, leaving alice's untouched
    assert bob.post(f"/v1/sessions/{sid}", {"session_tag": 9, "schedule": {}}).status_code == 201

    assert session(alice, sid) == before
    assert alice.get(f"/v1/jobs/{jid}").get_json()["session_id"] == sid
    assert bob.get(f"/v1/jobs/{bobs_job}").get_json()["session_id"] == ""


# --- deadlock victims ------------------------------------------------------------------

class _Deadlock(Exception):
    args = (1213, "Deadlock found when trying to get lock; try restarting transaction")


def test_a_deadlock_victim_is_run_again_once(alice, at, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from app.services import sessions as service
    sid, jid = new_session(alice), new_job(alice)
    add(alice, sid, jid)
    real, calls = service.act, []

    def act_after_a_deadlock(*args):
        calls.append(args)
        if len(calls) == 1:
            raise OperationalError("SELECT ... FOR UPDATE", {}, _Deadlock())
        return real(*args)

    monkeypatch.setattr(service, "act", act_after_a_deadlock)
    assert start(alice, sid, jid, 0) == {"result": "success", "session_tag": 1}
    assert len(calls) == 2
    assert session(alice, sid)["session_tag"] == 1

    def always_a_deadlock(*args):
        raise OperationalError("SELECT ... FOR UPDATE", {}, _Deadlock())

    monkeypatch.setattr(service, "act", always_a_deadlock)
    r = action(alice, sid, "end", job_id=jid, result="success")
    assert r.status_code == 503 and r.get_json()["description"]   # the agent retries
    assert session(alice, sid)["jobs"][jid]["status"] == "running"


# --- schedules are checked semantically, as for jobs -------------------------------------

@pytest.mark.parametrize("schedule, field", [
    ({"schedule_interval": "0 seconds"}, "schedule.schedule_interval"),
    ({"schedule_month": "2", "schedule_day": "30"}, "schedule.schedule_day"),
    ({"schedule_date": "2026-13-01T00:00:00"}, "schedule.schedule_date"),
])
def test_session_schedule_that_cannot_run_is_refused(alice, schedule, field):
    r = alice.post("/v1/sessions/", {"description": "s", "schedule": schedule})
    assert r.status_code == 400, r.get_json()
    assert any(key.startswith("schedule") for key in r.get_json()["errors"])
    assert alice.get("/v1/sessions/").get_json()["sessions"] == []


def test_session_patch_rechecks_a_changed_schedule(alice):
    sid = alice.create("sessions", {"description": "s", "schedule": {"schedule_interval": "1 days"}})
    r = alice.patch(f"/v1/sessions/{sid}", {"schedule": {"schedule_interval": "0 hours"}})
    assert r.status_code == 400
    assert alice.get(f"/v1/sessions/{sid}").get_json()["schedule"]["schedule_interval"] == "1 days"
    assert alice.patch(f"/v1/sessions/{sid}", {"description": "t"}).status_code == 200


# --- a job's session changes only through the session's routes ---------------------------

def test_a_stale_whole_job_patch_does_not_put_the_job_back_in_its_old_session(alice):
    """The 18.0.0 scheduler PATCHes the job back as it fetched it; if the job left its
    session meanwhile, the echoed session_id must not make the two documents disagree."""
    sid = alice.create("sessions", {"description": "s", "schedule": {"schedule_interval": "1 days"}})
    job_id = alice.create("jobs", job_body())
    assert alice.put(f"/v1/sessions/{sid}/jobs/{job_id}").status_code == 204
    fetched = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert fetched["session_id"] == sid
    assert alice.delete(f"/v1/sessions/{sid}/jobs/{job_id}").status_code == 204
    fetched["job_schedule"]["status"] = "running"
    assert alice.patch(f"/v1/jobs/{job_id}", fetched).status_code == 200
    job = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert job["session_id"] == "" and job["job_schedule"]["status"] == "running"
    assert job_id not in alice.get(f"/v1/sessions/{sid}").get_json()["jobs"]


def test_session_id_in_job_bodies_is_ignored(alice):
    sid = alice.create("sessions", {"description": "s", "schedule": {"schedule_interval": "1 days"}})
    job_id = alice.create("jobs", job_body(session_id=sid))
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["session_id"] == ""
    assert alice.patch(f"/v1/jobs/{job_id}", {"session_id": sid}).status_code == 200
    assert alice.post(f"/v1/jobs/{job_id}", job_body(session_id=sid)).status_code == 201
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["session_id"] == ""
    assert alice.get(f"/v1/sessions/{sid}").get_json()["jobs"] == {}
