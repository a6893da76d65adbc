"""The search DSL (freezer-v1.md §2.4 as DECISIONS.md settles it), run in SQL before paging."""
import json
from urllib.parse import urlencode

import pytest

from tests.builders import backup_body, client_body, freezer_action, job_body


def ids(response, collection="jobs", key="job_id"):
    assert response.status_code == 200, response.get_json()
    return [d[key] for d in response.get_json()[collection]]


@pytest.fixture
def three_jobs(alice):
    a = alice.create("jobs", job_body("proj_node1", description="alpha nightly",
                                      schedule={"status": "running"}))
    b = alice.create("jobs", job_body("proj_node2", description="beta weekly",
                                      schedule={"status": "completed"},
                                      actions=[{"freezer_action": freezer_action(mode="mysql",
                                                                                 backup_name="db")}]))
    c = alice.create("jobs", job_body("proj_node1", description="gamma",
                                      schedule={"status": "completed"}, session_tag=3))
    return a, b, c


def test_match_items_are_anded(alice, three_jobs):
    a, b, c = three_jobs
    assert ids(alice.get("/v1/jobs", {"match": [{"client_id": "proj_node1"}]})) == [a, c]
    assert ids(alice.get("/v1/jobs", {"match": [{"client_id": "proj_node1"},
                                                {"status": "completed"}]})) == [c]
    # several keys in one item are ANDed too
    assert ids(alice.get("/v1/jobs", {"match": [{"client_id": "proj_node1",
                                                 "status": "running"}]})) == [a]


def test_match_not_excludes(alice, three_jobs):
    a, b, c = three_jobs
    assert ids(alice.get("/v1/jobs", {"match_not": [{"status": "completed"}]})) == [a]
    assert ids(alice.get("/v1/jobs", {"match_not": [{"status": "completed"},
                                                    {"client_id": "proj_node1"}]})) == []


def test_bare_keys_match_at_any_depth(alice, three_jobs):
    a, b, c = three_jobs
    # `mode` lives in job_actions[].freezer_action.mode
    assert ids(alice.get("/v1/jobs", {"match": [{"mode": "mysql"}]})) == [b]
    assert ids(alice.get("/v1/jobs", {"match": [{"backup_name": "data"}]})) == [a, c]
    assert ids(alice.get("/v1/jobs", {"match_not": [{"mode": "mysql"}]})) == [a, c]
    # numbers compare as numbers
    assert ids(alice.get("/v1/jobs", {"match": [{"session_tag": 3}]})) == [c]
    assert ids(alice.get("/v1/jobs", {"match": [{"session_tag": "3"}]})) == []


def test_dotted_paths(alice, three_jobs):
    a, b, c = three_jobs
    assert ids(alice.get("/v1/jobs", {"match": [{"job_schedule.status": "running"}]})) == [a]
    assert ids(alice.get("/v1/jobs", {"match": [{"description": "beta weekly"}]})) == [b]
    assert ids(alice.get("/v1/jobs", {"match": [{"job_schedule.nothing": "x"}]})) == []


@pytest.mark.parametrize("term", ["École", "école", "ÉCOLE", "éCOLE"])
def test_text_search_folds_case_beyond_ascii(alice, term):
    """Upper-case non-ASCII text is found whatever the case typed (SQLite folded ASCII only)."""
    ecole = alice.create("jobs", job_body(description="Sauvegarde École Ωmega"))
    alice.create("jobs", job_body(description="ecole without the accent"))
    assert ids(alice.get("/v1/jobs", {"match": [{"_all": term}]})) == [ecole]
    assert ids(alice.get("/v1/jobs?" + urlencode({"q": term}))) == [ecole]
    assert ids(alice.get("/v1/jobs", {"match": [{"_all": "ωMEGA"}]})) == [ecole]


def test_all_as_a_json_list_of_match_items(alice, three_jobs):
    a, b, c = three_jobs
    text = json.dumps([{"client_id": "proj_node1"}, {"status": "completed"}])
    assert ids(alice.get("/v1/jobs", {"match": [{"_all": text}]})) == [c]


def test_all_as_text_is_a_case_insensitive_search(alice, three_jobs):
    a, b, c = three_jobs
    assert ids(alice.get("/v1/jobs", {"match": [{"_all": "WEEKLY"}]})) == [b]
    assert ids(alice.get("/v1/jobs", {"match": [{"_all": "nightly"}]})) == [a]
    assert ids(alice.get("/v1/jobs", {"match": [{"_all": "nothing-like-it"}]})) == []
    # LIKE wildcards are literal
    assert ids(alice.get("/v1/jobs", {"match": [{"_all": "%"}]})) == []
    assert ids(alice.get("/v1/jobs", {"match": [{"_all": "a_p"}]})) == []  # not "alpha"


def test_query_string_filters(alice, three_jobs):
    a, b, c = three_jobs
    assert ids(alice.get("/v1/jobs?client_id=proj_node1&status=completed")) == [c]
    assert ids(alice.get("/v1/jobs?q=Gamma")) == [c]
    assert ids(alice.get("/v1/jobs?client_id=proj_node2")) == [b]


def test_filtering_happens_before_paging(alice):
    wanted = []
    for i in range(12):
        alice.create("jobs", job_body("proj_other"))
        wanted.append(alice.create("jobs", job_body("proj_node1")))
    body = {"match": [{"client_id": "proj_node1"}]}
    first = ids(alice.get("/v1/jobs?limit=5&offset=0", body))
    second = ids(alice.get("/v1/jobs?limit=5&offset=5", body))
    third = ids(alice.get("/v1/jobs?limit=5&offset=10", body))
    assert first + second + third == wanted
    assert ids(alice.get("/v1/jobs?limit=5&offset=12", body)) == []


def test_empty_or_keyless_search_bodies_return_everything(alice, three_jobs):
    for body in ({}, {"match": []}, {"match_not": []}, {"other": 1}):
        assert len(ids(alice.get("/v1/jobs", body))) == 3


def test_backups_time_after_and_time_before(alice):
    for ts in (100, 200, 300):
        alice.post("/v1/backups/", backup_body(time_stamp=ts))
    # python-freezerclient names: timestamp (the seed's)
    alice.post("/v1/backups/", {"container": "c", "hostname": "h", "backup_name": "n",
                                "timestamp": 250, "level": 1})

    def stamps(body):
        r = alice.get("/v1/backups?limit=100", body)
        assert r.status_code == 200
        return sorted(b["backup_metadata"].get("time_stamp", b["backup_metadata"].get("timestamp"))
                      for b in r.get_json()["backups"])

    assert stamps({"time_after": 200}) == [200, 250, 300]
    assert stamps({"time_before": 200}) == [100, 200]
    assert stamps({"time_after": 150, "time_before": 260}) == [200, 250]
    assert stamps({"time_after": "150"}) == [200, 250, 300]
    r = alice.get("/v1/backups", {"time_after": "yesterday"})
    assert r.status_code == 400


def test_backup_search_on_metadata_fields(alice):
    alice.post("/v1/backups/", backup_body(job_id="job-1"))
    alice.post("/v1/backups/", backup_body(hostname="node2", job_id="job-2"))
    got = ids(alice.get("/v1/backups", {"match": [{"job_id": "job-2"}]}), "backups", "backup_id")
    assert got == ["/srv/backups_node2_data_1795744129_0"]
    got = ids(alice.get("/v1/backups?hostname=node1"), "backups", "backup_id")
    assert got == ["/srv/backups_node1_data_1795744129_0"]
    got = ids(alice.get("/v1/backups", {"match": [{"backup_metadata.hostname": "node2"}]}),
              "backups", "backup_id")
    assert got == ["/srv/backups_node2_data_1795744129_0"]


def test_clients_search(alice):
    alice.post("/v1/clients/", client_body("proj_node1", "node1"))
    alice.post("/v1/clients/", client_body("proj_node2", "node2", full=False,
                                           supported_actions=["backup"]))
    r = alice.get("/v1/clients", {"match": [{"client_id": "proj_node2"}]})
    assert [c["client"]["client_id"] for c in r.get_json()["clients"]] == ["proj_node2"]
    # a value inside a list (supported_actions) matches
    r = alice.get("/v1/clients", {"match": [{"supported_actions": "exec"}]})
    assert [c["client"]["client_id"] for c in r.get_json()["clients"]] == ["proj_node1"]


@pytest.mark.parametrize("body", [
    "a string", [1, 2], {"match": "status"}, {"match": [1]}, {"match": [{"a b": 1}]},
    {"match": [{"status": {"nested": 1}}]}, {"match_not": [["x"]]}])
def test_malformed_search_is_400(alice, body):
    r = alice.get("/v1/jobs", body)
    assert r.status_code == 400
    assert r.get_json()["title"] and r.get_json()["description"]


def test_search_values_with_quotes_and_sql(alice):
    tricky = "x' OR '1'='1"
    job_id = alice.create("jobs", job_body(description=tricky))
    alice.create("jobs", job_body(description="plain"))
    assert ids(alice.get("/v1/jobs", {"match": [{"description": tricky}]})) == [job_id]
    assert ids(alice.get("/v1/jobs", {"match": [{"_all": "' or '1'='1"}]})) == [job_id]
    assert ids(alice.get("/v1/jobs", {"match": [{"description": 'say "hi"'}]})) == []


def test_json_types_compare_exactly(alice):
    """true is not 1, "1" is not 1, null only matches null: the same on both engines."""
    flag = alice.create("actions", {"freezer_action": {"action": "backup"}, "flag": True,
                                    "note": None, "retries": 1, "ratio": 1.5})
    count = alice.create("actions", {"freezer_action": {"action": "backup"}, "flag": 1,
                                     "note": "null", "retries": "1", "ratio": 1})

    def found(body):
        return ids(alice.get("/v1/actions", body), "actions", "action_id")

    assert found({"match": [{"flag": True}]}) == [flag]
    assert found({"match": [{"flag": 1}]}) == [count]
    assert found({"match": [{"flag": False}]}) == []
    assert found({"match": [{"note": None}]}) == [flag]
    assert found({"match": [{"note": "null"}]}) == [count]
    assert found({"match": [{"retries": 1}]}) == [flag]
    assert found({"match": [{"retries": "1"}]}) == [count]
    assert found({"match": [{"ratio": 1.5}]}) == [flag]
    assert found({"match": [{"freezer_action.action": "backup"}, {"flag": True}]}) == [flag]
