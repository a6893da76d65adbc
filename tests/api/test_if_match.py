"""If-Match (RFC 9110, 13.1.1) wherever a document is changed: the strong comparison
(`W/"1"` never matches), `*` and lists, on replace, patch, delete, job events, session
actions and membership; a replace that would create matches nothing. A failed condition
changes nothing."""
import pytest

from tests.builders import action_body, backup_body, client_body, job_body

from .test_sessions import new_job, new_session, session_body

WEAK, STALE = {"If-Match": 'W/"1"'}, {"If-Match": '"7"'}
CURRENT, ANY, LIST = {"If-Match": '"1"'}, {"If-Match": "*"}, {"If-Match": '"5", "1"'}


def precondition_failed(response):
    assert response.status_code == 412, response.get_json()
    body = response.get_json()
    assert body["title"] == "Precondition Failed" and body["code"] == 412
    return body


def version(user, path):
    r = user.get(path)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["_version"]


DOCUMENTS = {
    "jobs": lambda u: u.create("jobs", job_body()),
    "actions": lambda u: u.create("actions", action_body()),
    "clients": lambda u: u.create("clients", client_body()),
    "backups": lambda u: u.create("backups", backup_body()),
    "sessions": lambda u: new_session(u),
}


@pytest.mark.parametrize("collection", sorted(DOCUMENTS))
def test_delete_honours_if_match_strongly(alice, collection):
    doc_id = DOCUMENTS[collection](alice)
    path = f"/v1/{collection}/{doc_id}"
    for headers in (WEAK, STALE):
        precondition_failed(alice.delete(path, headers=headers))
        assert alice.get(path).status_code == 200  # still there
    assert alice.delete(path, headers=LIST).status_code == 204
    assert alice.get(path).status_code == 404
    # without a document, the answer is what it would be without the condition
    assert alice.delete(path, headers=CURRENT).status_code == 404


def test_delete_of_a_session_member_with_a_stale_tag_leaves_the_session_alone(alice):
    sid, jid = new_session(alice), new_job(alice)
    assert alice.put(f"/v1/sessions/{sid}/jobs/{jid}").status_code == 204
    precondition_failed(alice.delete(f"/v1/jobs/{jid}", headers={"If-Match": '"1"'}))
    assert jid in alice.get(f"/v1/sessions/{sid}").get_json()["jobs"]  # rolled back whole
    assert alice.delete(f"/v1/jobs/{jid}", headers={"If-Match": '"2"'}).status_code == 204
    assert jid not in alice.get(f"/v1/sessions/{sid}").get_json()["jobs"]


@pytest.mark.parametrize("headers", [WEAK, STALE])
def test_patch_and_replace_compare_strongly(alice, headers):
    job_id = alice.create("jobs", job_body())
    precondition_failed(alice.patch(f"/v1/jobs/{job_id}", {"description": "x"},
                                    headers=headers))
    precondition_failed(alice.post(f"/v1/jobs/{job_id}", job_body(), headers=headers))
    assert version(alice, f"/v1/jobs/{job_id}") == 1
    r = alice.patch(f"/v1/jobs/{job_id}", {"description": "x"}, headers=CURRENT)
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'


REPLACE_BODIES = {"jobs": job_body, "actions": action_body,
                  "sessions": lambda: session_body(session_tag=0)}


@pytest.mark.parametrize("collection", sorted(REPLACE_BODIES))
@pytest.mark.parametrize("headers", [CURRENT, ANY])
def test_a_replace_that_would_create_matches_nothing(alice, collection, headers):
    path, body = f"/v1/{collection}/chosen-id", REPLACE_BODIES[collection]()
    precondition_failed(alice.post(path, body, headers=headers))
    assert alice.get(path).status_code == 404  # nothing was created
    assert alice.post(path, body).status_code == 201
    r = alice.post(path, body, headers=headers)  # now there is a version 1 to match
    assert r.status_code == 201 and r.headers["ETag"] == '"2"'


def test_job_events_honour_if_match(alice):
    job_id = alice.create("jobs", job_body())
    for headers in (WEAK, STALE):
        precondition_failed(alice.post(f"/v1/jobs/{job_id}/event", {"stop": None},
                                       headers=headers))
    job = alice.get(f"/v1/jobs/{job_id}").get_json()
    assert job["_version"] == 1 and job["job_schedule"].get("event") != "stop"
    r = alice.post(f"/v1/jobs/{job_id}/event", {"stop": None}, headers=CURRENT)
    assert r.status_code == 202 and r.get_json() == {"result": "success"}
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["job_schedule"]["event"] == "stop"


def test_session_actions_and_membership_honour_the_sessions_version(alice):
    sid, jid = new_session(alice), new_job(alice)
    precondition_failed(alice.put(f"/v1/sessions/{sid}/jobs/{jid}", headers=WEAK))
    assert alice.get(f"/v1/sessions/{sid}").get_json()["jobs"] == {}
    assert alice.put(f"/v1/sessions/{sid}/jobs/{jid}", headers=CURRENT).status_code == 204
    start = {"start": {"job_id": jid, "current_tag": 0}}
    precondition_failed(alice.post(f"/v1/sessions/{sid}/action", start, headers=CURRENT))
    r = alice.post(f"/v1/sessions/{sid}/action", start, headers={"If-Match": '"2"'})
    assert r.status_code == 202, r.get_json()
    now = version(alice, f"/v1/sessions/{sid}")
    precondition_failed(alice.delete(f"/v1/sessions/{sid}/jobs/{jid}", headers=CURRENT))
    assert jid in alice.get(f"/v1/sessions/{sid}").get_json()["jobs"]
    r = alice.delete(f"/v1/sessions/{sid}/jobs/{jid}", headers={"If-Match": f'"{now}"'})
    assert r.status_code == 204
