"""Bob never lists, reads, patches, replaces, deletes or sends events to alice's documents:
each answers exactly as a missing document would (404) and alice's document is unchanged."""
import pytest

from tests.builders import action_body, backup_body, client_body, job_body


@pytest.fixture
def alices(alice):
    alice.post("/v1/clients/", client_body())
    return {
        "jobs": alice.create("jobs", job_body()),
        "actions": alice.create("actions", action_body()),
        "clients": "proj_node1",
        "backups": alice.create("backups", backup_body()),
    }


def snapshot(alice, alices):
    return {name: alice.get(f"/v1/{name}/{doc_id}").get_json() for name, doc_id in alices.items()}


@pytest.mark.parametrize("collection", ["jobs", "actions", "clients", "backups"])
def test_bob_lists_and_searches_nothing_of_alices(alices, bob, collection):
    assert bob.get(f"/v1/{collection}/").get_json() == {collection: []}
    assert bob.get(f"/v1/{collection}/", {"match": [{"user_id": "alice"}]}).get_json() == \
        {collection: []}
    assert bob.get(f"/v1/{collection}/?q=alice").get_json() == {collection: []}


def _requests(alices):
    job, action, client, backup = (alices[k] for k in ("jobs", "actions", "clients", "backups"))
    return [
        ("GET", f"/v1/jobs/{job}", None),
        ("PATCH", f"/v1/jobs/{job}", {"description": "bob was here"}),
        ("DELETE", f"/v1/jobs/{job}", None),
        ("POST", f"/v1/jobs/{job}/event", {"stop": None}),
        ("GET", f"/v1/actions/{action}", None),
        ("PATCH", f"/v1/actions/{action}", {"max_retries": 9}),
        ("DELETE", f"/v1/actions/{action}", None),
        ("GET", f"/v1/clients/{client}", None),
        ("PATCH", f"/v1/clients/{client}", {"description": "bob was here"}),
        ("DELETE", f"/v1/clients/{client}", None),
        ("GET", f"/v1/backups/{backup}", None),
        ("DELETE", f"/v1/backups/{backup}", None),
    ]


def test_bob_gets_404_for_everything_of_alices(alice, alices, bob):
    before = snapshot(alice, alices)
    for method, path, body in _requests(alices):
        r = bob.call(method, path, body)
        assert r.status_code == 404, (method, path, r.status_code)
        assert r.get_json()["title"] == "Not Found"
    assert snapshot(alice, alices) == before


def test_bob_replacing_alices_ids_creates_his_own_documents(alice, alices, bob):
    """POST on an item URL is create-or-replace: bob gets his own document under that id,
    alice's stays hers and unchanged."""
    before = snapshot(alice, alices)
    r = bob.post(f"/v1/jobs/{alices['jobs']}", job_body(description="bob's"))
    assert (r.status_code, r.get_json()["version"]) == (201, 1)
    r = bob.post(f"/v1/actions/{alices['actions']}", action_body(backup_name="bob"))
    assert (r.status_code, r.get_json()["version"]) == (201, 1)
    assert snapshot(alice, alices) == before
    assert bob.get(f"/v1/jobs/{alices['jobs']}").get_json()["description"] == "bob's"
    assert alice.get(f"/v1/jobs/{alices['jobs']}").get_json()["description"] == "nightly data"


def test_bob_cannot_reach_alices_action_through_a_job(alice, alices, bob):
    """Naming alice's action_id inside bob's job never touches alice's action."""
    before = snapshot(alice, alices)
    fa = dict(action_body()["freezer_action"], backup_name="bob")
    job_id = bob.create("jobs", job_body(actions=[{"freezer_action": fa,
                                                   "action_id": alices["actions"]}]))
    assert bob.get(f"/v1/jobs/{job_id}").get_json()["job_actions"][0]["user_id"] == "bob"
    assert snapshot(alice, alices) == before


def test_bob_polling_with_alices_client_id_sees_nothing(alices, bob):
    r = bob.get("/v1/jobs/?limit=10&offset=0", {"match": [{"client_id": "proj_node1"}],
                                               "match_not": [{"status": "completed"}]})
    assert r.get_json() == {"jobs": []}


def test_bob_registering_alices_client_id_makes_his_own(alice, alices, bob):
    assert bob.post("/v1/clients/", client_body(description="bob's")).status_code == 201
    assert bob.get("/v1/clients/proj_node1").get_json()["user_id"] == "bob"
    assert "description" not in alice.get("/v1/clients/proj_node1").get_json()["client"]


def test_bob_posting_the_same_backup_makes_his_own(alice, alices, bob):
    assert bob.post("/v1/backups/", backup_body()).status_code == 201
    assert len(alice.get("/v1/backups").get_json()["backups"]) == 1
    assert bob.get(f"/v1/backups/{alices['backups']}").get_json()["user_id"] == "bob"
