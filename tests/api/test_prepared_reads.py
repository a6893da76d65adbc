"""The agents' reads sent as prepared statements (app/connection.py `Prepared`): a poll on
indexed columns answers exactly what the general search answers, in v1 and v2, paged; a
statement whose values would need converting is refused before it ever runs."""
import pytest
from sqlalchemy import select

from app.connection import Prepared
from app.models import Job
from app.services import search as search_dsl
from tests.builders import job_body

POLL = {"match": [{"client_id": "proj_node1"}], "match_not": [{"status": "completed"}]}


@pytest.fixture
def jobs(alice, bob):
    made = []
    for i, status in enumerate(["completed", "scheduled", None, "running", "completed",
                                "stop", None, "scheduled"]):
        schedule = {"schedule_interval": "1 days"}
        if status is not None:
            schedule["status"] = status
        client = "proj_node1" if i % 4 != 3 else "proj_node2"
        made.append(alice.create("jobs", job_body(client_id=client, schedule=schedule)))
    bob.create("jobs", job_body(client_id="proj_node1"))  # another user's: never seen
    return made


def _ids(response, key="jobs"):
    assert response.status_code == 200, response.get_json()
    return [doc["job_id"] for doc in response.get_json()[key]]


@pytest.mark.parametrize("query", ["limit=10&offset=0", "limit=2&offset=0", "limit=2&offset=2",
                                   "limit=3&offset=4"])
def test_a_poll_answers_as_the_general_search(alice, jobs, monkeypatch, query):
    prepared = _ids(alice.get(f"/v1/jobs?{query}", POLL))
    monkeypatch.setattr(search_dsl, "column_shape", lambda model, search: None)
    general = _ids(alice.get(f"/v1/jobs?{query}", POLL))
    assert prepared == general
    if query == "limit=10&offset=0":
        # a job without a status is not a completed one; proj_node2's are not polled
        assert len(prepared) == 4 and set(prepared) <= set(jobs)


def test_a_v2_poll_answers_as_the_general_search(alice, jobs, monkeypatch):
    path = "/v2/alice/jobs?limit=10&offset=0"
    prepared = alice.get(path, POLL)
    monkeypatch.setattr(search_dsl, "column_shape", lambda model, search: None)
    general = alice.get(path, POLL)
    assert _ids(prepared) == _ids(general) and len(_ids(prepared)) == 4
    assert prepared.get_json() == general.get_json()


def test_an_item_get_answers_the_stored_document(alice, jobs):
    for job_id in jobs[:3]:
        got = alice.get(f"/v1/jobs/{job_id}").get_json()
        assert got["job_id"] == job_id and got["_version"] == 1
    assert alice.get("/v1/jobs/" + "0" * 32).status_code == 404


def test_a_statement_whose_values_need_converting_is_refused(app):
    decoded = Prepared(select(Job.__table__.c.doc).limit(1))  # JSON text decoded on the way out
    with app.test_request_context("/v1/jobs", method="GET"):
        with pytest.raises(TypeError, match="doc"):
            decoded.first({})
