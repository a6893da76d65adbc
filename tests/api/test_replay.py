"""Replay of the captured agent traffic (tests/fixtures/agent-traffic, a copy of ../shared/fixtures; README there):
python-freezerclient 6.2.0's 29 calls and the freezer scheduler 18.0.0 run with the harness
that set it up. Same requests, same order, the clock at the recorded times; ids we answer
replace the recorded ones. Status codes and envelope shapes must match upstream, apart from
the differences the fixture README documents (404 bodies, backup ids, `version` values,
`project_id: null`).

"""
import json
import os

import pytest

from app import clock
from tests.builders import AGENT_TRAFFIC, ApiUser

FIXTURES = AGENT_TRAFFIC  # a copy of ../shared/fixtures/agent-traffic, kept in the repo
ID_KEYS = ("job_id", "session_id", "action_id", "backup_id", "client_id")
T0 = 1795744120  # epoch second at the proxy's t=0 (close to the recorded time_* values)
# keys upstream answers that we deliberately do not store: `project_id` (README); an
# action's `timeout`/`mandatory` are column defaults of upstream's SQL backend, not part of
# the document (the reference engine stores the document as posted)
NOT_OURS = {"project_id", "timeout", "mandatory"}


def load(name):
    path = os.path.join(FIXTURES, name)
    with open(path) as fh:
        return [json.loads(line) for line in fh]


def is_session_step(x):
    return x["path"].startswith("/v1/sessions")


def harness_poll(x):
    """The harness polls GET /v1/jobs/{id} every 0.5 s; keep only its checkpoints."""
    return (x["who"] == "harness" and x["method"] == "GET" and x["path"].startswith("/v1/jobs/")
            and x["seq"] not in (13, 14, 87, 88))


class Replay:
    def __init__(self, user):
        self.user = user
        self.ids = {}  # recorded id -> our id

    # --- ids ------------------------------------------------------------------------------
    def learn(self, recorded, ours):
        """Walk the recorded answer and ours side by side; every id key whose values
        differ teaches a mapping (job_actions' action ids, backup ids, ...)."""
        if isinstance(recorded, dict) and isinstance(ours, dict):
            for key, value in recorded.items():
                if key not in ours:
                    continue
                if key in ID_KEYS and isinstance(value, str) and isinstance(ours[key], str):
                    if value and value != ours[key]:
                        self.ids.setdefault(value, ours[key])
                else:
                    self.learn(value, ours[key])
        elif isinstance(recorded, list) and isinstance(ours, list):
            for a, b in zip(recorded, ours):
                self.learn(a, b)

    def swap(self, value):
        if isinstance(value, str):
            return self.ids.get(value, value)
        if isinstance(value, dict):
            return {self.swap(k): self.swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.swap(v) for v in value]
        return value

    def swap_path(self, path):
        for old in sorted(self.ids, key=len, reverse=True):
            path = path.replace(old, self.ids[old])
        return path

    # --- one exchange -------------------------------------------------------------------------
    def send(self, x):
        clock.freeze(T0 + x["t"])
        headers = {k: v for k, v in x["request_headers"].items() if k in ("Accept",)}
        body = x["request_body"]
        raw = json.dumps(self.swap(body)) if body is not None else None
        r = self.user.call(x["method"], self.swap_path(x["path"]), raw=raw, headers=headers,
                           content_type=x["request_headers"].get("Content-Type"))
        answer = r.get_json(silent=True) if r.data else None
        check(x, r.status_code, answer)
        if answer is not None and x["response_body"] is not None:
            self.learn(x["response_body"], answer)
        return answer


def check(x, status, answer):
    where = f'seq {x["seq"]} {x["who"]} {x["method"]} {x["path"]}'
    assert status == x["status"], (where, status, answer)
    recorded = x["response_body"]
    if status == 204:
        assert answer is None, where
        return
    if status == 404:  # ours carries a JSON error body, upstream's was empty
        assert answer["code"] == 404, where
        return
    if status >= 400:  # the same error, in our shape (title, description, code)
        assert answer["code"] == status and answer["title"] == recorded["title"], (where, answer)
        return
    assert isinstance(answer, dict), where
    if x["method"] in ("POST", "PATCH") and set(recorded) <= set(ID_KEYS) | {"version"}:
        # create / replace / patch answers: the same keys (values differ, README)
        assert set(answer) == set(recorded), (where, answer)
        if "version" in answer:
            assert isinstance(answer["version"], int) and answer["version"] >= 1, where
        return
    if x["path"].rstrip("/").endswith(("/event", "/action")):  # exact answers
        assert answer == recorded, (where, answer)
        return
    [(name, items)] = recorded.items() if len(recorded) == 1 and isinstance(
        next(iter(recorded.values())), list) else [(None, None)]
    if name is not None:  # a list envelope
        assert list(answer) == [name], (where, answer)
        assert len(answer[name]) == len(items), (where, len(answer[name]), len(items))
        for theirs, ours in zip(items, answer[name]):
            same_shape(where, theirs, ours)
        return
    same_shape(where, recorded, answer)  # an item GET
    assert isinstance(answer.get("_version"), int), where


def same_shape(where, theirs, ours):
    """Every top-level key upstream answered is in ours (minus what we do not store); for
    jobs, the schedule keys the scheduler reads with hard lookups exist."""
    missing = set(theirs) - set(ours) - NOT_OURS
    assert not missing, (where, missing)
    if "job_schedule" in theirs:
        for key in ("event", "status", "result"):
            assert key in ours["job_schedule"], (where, key)


def replay(client, name, user_id, with_sessions):
    user = ApiUser(client, user_id)
    run = Replay(user)
    sent = 0
    for x in load(name):
        if harness_poll(x) or (is_session_step(x) and not with_sessions):
            continue
        run.send(x)
        sent += 1
    return run, sent


CLIENT_USER = "client-user-1"
SCHEDULER_USER = "e2e-user-7e9e0bf2"


@pytest.mark.parametrize("with_sessions", [False, True], ids=["without-sessions", "all"])
def test_python_freezerclient_traffic(client, with_sessions):
    run, sent = replay(client, "python-freezerclient-6.2.0.jsonl", CLIENT_USER, with_sessions)
    assert sent == (29 if with_sessions else 21)
    # everything the script created, it deleted
    user = run.user
    for name in ("jobs", "actions", "clients", "backups"):
        remaining = user.get(f"/v1/{name}/").get_json()[name]
        # the job's embedded action stays (upstream too: only the posted action is deleted)
        assert len(remaining) == (1 if name == "actions" else 0), (name, remaining)


@pytest.mark.parametrize("with_sessions", [False, True], ids=["without-sessions", "all"])
def test_scheduler_run(client, with_sessions):
    run, sent = replay(client, "scheduler-18.0.0.jsonl", SCHEDULER_USER, with_sessions)
    assert sent > 17  # the scheduler's 17 lines and the harness around them


def test_scheduler_lines_are_all_replayed(client):
    """The scheduler's own 17 lines (registration, 3 polls, 8 PATCHes, 4 session actions,
    1 backup) are all in the replay above and answer as upstream did."""
    lines = [x for x in load("scheduler-18.0.0.jsonl") if x["who"] == "scheduler"]
    assert len(lines) == 17
    assert {(x["method"], x["status"]) for x in lines} == {
        ("POST", 201), ("GET", 200), ("PATCH", 200), ("POST", 202)}


def test_scheduler_polls_see_the_jobs_then_none(client):
    """Seq 30: the two jobs come back to the poll; seq 64: none, both completed."""
    user = ApiUser(client, SCHEDULER_USER)
    run = Replay(user)
    answers = {}
    for x in load("scheduler-18.0.0.jsonl"):
        if harness_poll(x) or (is_session_step(x) and user.get("/v1/sessions").status_code == 404):
            continue
        answers[x["seq"]] = run.send(x)
    assert answers[6] == {"jobs": []}
    polled = answers[30]["jobs"]
    assert [j["job_id"] for j in polled] == [run.ids[x] for x in (
        "71f5b05c7633405088f1eedb4c931943", "6d3a9ffe4a604be9b6d1ab4ae9721fee")]
    assert all(j["job_schedule"]["event"] == "start" for j in polled)
    assert answers[64] == {"jobs": []}
    # seq 42: the backup posted by the scheduler carries the seed id and the identity
    backup = answers[85]["backups"][0]
    assert backup["user_name"] == SCHEDULER_USER and backup["user_id"] == SCHEDULER_USER
    assert backup["backup_id"] == "/srv/e2e/container_e2e-host_e2e-9182c694_1795744129_0"
    # the final whole-document PATCHes stored completed/success (seq 87/88 checkpoints)
    for seq in (87, 88):
        schedule = answers[seq]["job_schedule"]
        assert (schedule["status"], schedule["result"]) == ("completed", "success")
        assert schedule["schedule_date"] == "2026-11-27T01:48:47"  # verbatim
