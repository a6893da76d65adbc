"""Racing agents on one session, against a real gunicorn (4 workers) on MariaDB: the row
lock must make start, end, add and remove behave as if the requests came one by one.

Skipped on SQLite: there every writing request takes the database's write lock
(BEGIN IMMEDIATE), so nothing can interleave; the row locks are what needs proving."""
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.builders import job_body

from .server import start_on_a_free_port

AGENTS = 40


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    if not database_url.startswith("mysql"):
        pytest.skip("row-lock races need MariaDB/MySQL: run with TEST_DATABASE_URL "
                    "(make test-mariadb); on SQLite writing requests are serialised anyway")
    log = tmp_path_factory.mktemp("gunicorn") / "server.log"
    gunicorn = start_on_a_free_port(database_url, workers=4, log_path=str(log))
    try:
        yield gunicorn.base_url
    finally:
        gunicorn.__exit__()


class Agent:
    """One caller (noauth: X-User-Id) with its own HTTP connection."""

    def __init__(self, base_url, user_id):
        self.base_url, self.http = base_url, requests.Session()
        self.http.headers.update({"X-User-Id": user_id, "Accept": "application/json"})

    def call(self, method, path, body=None):
        r = self.http.request(method, self.base_url + path, json=body, timeout=60)
        return r.status_code, (r.json() if r.content else None)


def all_at_once(calls):
    """Run the calls in AGENTS threads released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def alice(server):
    return Agent(server, f"race-{uuid.uuid4().hex[:12]}")


def created(answer):
    status, body = answer
    assert status == 201, body
    return next(iter(body.values()))


def new_session(agent, **extra):
    return created(agent.call("POST", "/v1/sessions/", {"schedule": {"event": "start"},
                                                       "hold_off": 3600, **extra}))


def new_jobs(agent, n):
    return [created(agent.call("POST", "/v1/jobs/", job_body(client_id=f"proj_node{i}")))
            for i in range(n)]


def add_all_at_once(agent, sid, jobs):
    answers = all_at_once([lambda j=j: agent.call("PUT", f"/v1/sessions/{sid}/jobs/{j}")
                           for j in jobs])
    assert [status for status, _ in answers] == [204] * len(jobs), answers


def get(agent, path):
    status, body = agent.call("GET", path)
    assert status == 200, body
    return body


def test_racing_adds_lose_no_job(alice):
    sid, jobs = new_session(alice, session_tag=3), new_jobs(alice, AGENTS)
    add_all_at_once(alice, sid, jobs)
    doc = get(alice, f"/v1/sessions/{sid}")
    assert sorted(doc["jobs"]) == sorted(jobs)
    assert doc["_version"] == 1 + AGENTS
    for jid in jobs:
        job = get(alice, f"/v1/jobs/{jid}")
        assert (job["session_id"], job["session_tag"]) == (sid, 3)


def test_forty_agents_starting_with_the_same_tag_open_exactly_one_round(alice):
    sid, jobs = new_session(alice), new_jobs(alice, AGENTS)
    add_all_at_once(alice, sid, jobs)

    answers = all_at_once([lambda j=j: alice.call("POST", f"/v1/sessions/{sid}/action",
                                                  {"start": {"job_id": j, "current_tag": 0}})
                           for j in jobs])
    # one opens round 1; the others find it open (their tag 0 < 1, inside the hold-off):
    # success with the tag to adopt
    assert answers == [(202, {"result": "success", "session_tag": 1})] * AGENTS
    doc = get(alice, f"/v1/sessions/{sid}")
    assert doc["session_tag"] == 1 and doc["status"] == "running"
    assert all(e["status"] == "running" and e["time_started"] >= doc["time_start"]
               for e in doc["jobs"].values())
    assert doc["_version"] == 1 + 2 * AGENTS  # every start wrote once, none was lost

    # the same agents again, now with the adopted tag: inside the window no new round
    answers = all_at_once([lambda j=j: alice.call("POST", f"/v1/sessions/{sid}/action",
                                                  {"start": {"job_id": j, "current_tag": "1"}})
                           for j in jobs])
    assert answers == [(202, {"result": "hold-off", "session_tag": 1})] * AGENTS
    assert get(alice, f"/v1/sessions/{sid}")["_version"] == 1 + 2 * AGENTS


def test_forty_jobs_ending_at_once_are_all_recorded_and_rolled_up(alice):
    mixed, clean = new_session(alice), new_session(alice)
    mixed_jobs, clean_jobs = new_jobs(alice, AGENTS // 2), new_jobs(alice, AGENTS // 2)
    add_all_at_once(alice, mixed, mixed_jobs)
    add_all_at_once(alice, clean, clean_jobs)
    for sid, jobs in ((mixed, mixed_jobs), (clean, clean_jobs)):
        for jid in jobs:
            status, body = alice.call("POST", f"/v1/sessions/{sid}/action",
                                      {"start": {"job_id": jid, "current_tag": 0}})
            assert status == 202 and body["result"] == "success", body
    results = {jid: ("success", "fail", "aborted")[i % 3] for i, jid in enumerate(mixed_jobs)}
    results.update({jid: "success" for jid in clean_jobs})

    calls = [lambda s=sid, j=jid: alice.call("POST", f"/v1/sessions/{s}/action",
                                             {"end": {"job_id": j, "current_tag": 1,
                                                      "result": results[j]}})
             for sid, jobs in ((mixed, mixed_jobs), (clean, clean_jobs)) for jid in jobs]
    answers = all_at_once(calls)
    assert answers == [(202, {"result": "success", "session_tag": 1})] * AGENTS

    for sid, jobs, overall in ((mixed, mixed_jobs, "fail"), (clean, clean_jobs, "success")):
        doc = get(alice, f"/v1/sessions/{sid}")
        assert {j: (e["status"], e["result"]) for j, e in doc["jobs"].items()} == \
            {j: ("completed", results[j]) for j in jobs}
        assert (doc["status"], doc["result"]) == ("completed", overall)
        assert doc["time_end"] >= max(e["time_ended"] for e in doc["jobs"].values())
        assert doc["_version"] == 1 + 3 * len(jobs)


def test_deletes_racing_starts_and_removals_leave_both_documents_agreeing(alice):
    sid, jobs = new_session(alice), new_jobs(alice, AGENTS)
    add_all_at_once(alice, sid, jobs)
    deleted, removed, starting = jobs[:14], jobs[14:27], jobs[27:]
    calls = [lambda j=j: alice.call("DELETE", f"/v1/jobs/{j}") for j in deleted]
    calls += [lambda j=j: alice.call("DELETE", f"/v1/sessions/{sid}/jobs/{j}") for j in removed]
    calls += [lambda j=j: alice.call("POST", f"/v1/sessions/{sid}/action",
                                     {"start": {"job_id": j, "current_tag": 0}})
              for j in starting]
    answers = all_at_once(calls)
    assert [s for s, _ in answers] == [204] * 27 + [202] * len(starting), answers

    doc = get(alice, f"/v1/sessions/{sid}")
    assert sorted(doc["jobs"]) == sorted(starting)
    assert all(e["status"] == "running" for e in doc["jobs"].values())
    for jid in deleted:
        assert alice.call("GET", f"/v1/jobs/{jid}")[0] == 404
    for jid in removed:
        job = get(alice, f"/v1/jobs/{jid}")
        assert job["session_id"] == "" and job["job_schedule"]["event"] == "stop"
    for jid in starting:
        assert get(alice, f"/v1/jobs/{jid}")["session_id"] == sid


def test_moving_jobs_between_sessions_concurrently_keeps_each_in_exactly_one(alice):
    first, second = new_session(alice), new_session(alice)
    jobs = new_jobs(alice, AGENTS // 2)
    add_all_at_once(alice, first, jobs)
    # every job is added to the second session and re-added to the first, all at once
    calls = [lambda j=j: alice.call("PUT", f"/v1/sessions/{second}/jobs/{j}") for j in jobs]
    calls += [lambda j=j: alice.call("PUT", f"/v1/sessions/{first}/jobs/{j}") for j in jobs]
    answers = all_at_once(calls)
    assert [s for s, _ in answers] == [204] * len(calls), answers
    members = {sid: set(get(alice, f"/v1/sessions/{sid}")["jobs"]) for sid in (first, second)}
    assert members[first] | members[second] == set(jobs)
    assert not members[first] & members[second]
    for jid in jobs:
        named = get(alice, f"/v1/jobs/{jid}")["session_id"]
        assert jid in members[named]
