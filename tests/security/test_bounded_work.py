"""Property 2, bounded work per request: limits on search items (after `_all` expansion),
actions per job and stored document size, each a 400 naming its limit; and a cap on every
database statement of a request (DB_STATEMENT_TIMEOUT), so none outlives the request."""
import json
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.extensions import db
from app.services import limits
from app.statement_timeout import is_timeout
from tests.api.test_auth_matrix import owned_rows
from tests.builders import freezer_action, job_body

SEARCH_MAX = limits.DEFAULTS["SEARCH_MAX_ITEMS"]
ACTIONS_MAX = limits.DEFAULTS["JOB_MAX_ACTIONS"]
DOC_MAX = limits.DEFAULTS["DOCUMENT_MAX_BYTES"]
# the same limits hold on both APIs (they live in the services): v1, and v2 in alice's
# project (noauth: the caller's project is its user id)
PREFIXES = ("/v1", "/v2/alice")


def _refused(r, name):
    body = r.get_json()
    assert r.status_code == 400, (r.status_code, body)
    assert name in body["description"], body
    return body


def _actions(n, **extra):
    return [{"freezer_action": freezer_action(backup_name=f"b{i}", **extra)} for i in range(n)]


# --- search items -------------------------------------------------------------------------

def test_the_reviews_20000_item_search_is_refused_at_once(alice):
    """400 kB of `match` items through `_all` pinned a worker and a MariaDB core."""
    alice.create("jobs", job_body())
    items = json.dumps([{"client_id": f"c{i}"} for i in range(20_000)])
    started = time.monotonic()
    for prefix in PREFIXES:
        for path in ("/jobs", "/actions", "/sessions", "/backups", "/clients"):
            _refused(alice.get(prefix + path, {"match": [{"_all": items}]}), "SEARCH_MAX_ITEMS")
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("shape", ["match", "match_not", "_all", "mixed"])
def test_every_kind_of_search_item_counts(alice, shape):
    def body(n):
        if shape == "_all":
            return {"match": [{"_all": json.dumps([{"status": f"s{i}"} for i in range(n)])}]}
        if shape == "mixed":
            half = n // 2
            return {"match": [{"status": "x"}] * half + [{"_all": "text"}],
                    "match_not": [{"event": f"e{i}"} for i in range(n - half - 1)]}
        return {shape: [{"status": f"s{i}"} for i in range(n)]}
    assert alice.get("/v1/jobs", body(SEARCH_MAX)).status_code == 200
    _refused(alice.get("/v1/jobs", body(SEARCH_MAX + 1)), "SEARCH_MAX_ITEMS")


def test_query_filters_count_with_the_body(alice):
    body = {"match": [{"status": f"s{i}"} for i in range(SEARCH_MAX)]}
    assert alice.get("/v1/jobs", body).status_code == 200
    _refused(alice.get("/v1/jobs?client_id=node1", body), "SEARCH_MAX_ITEMS")


# --- actions per job and stored size -------------------------------------------------------

@pytest.mark.parametrize("count", [100, 200])
def test_the_reviews_jobs_with_many_actions_are_refused_naming_the_limit(alice, count):
    """100 actions with 100 kB of action_defaults stored ~20 MB; 200 answered a 503."""
    before = owned_rows()
    body = job_body(actions=_actions(count))
    body["action_defaults"] = {"path_to_backup": "p" * 1000, "blob": "d" * 100_000}
    for prefix in PREFIXES:
        for method, path in (("POST", "/jobs"), ("POST", "/jobs/many")):
            _refused(alice.call(method, prefix + path, body), "JOB_MAX_ACTIONS")
    assert owned_rows() == before


def test_a_job_at_the_action_limit_is_stored(alice):
    job_id = alice.create("jobs", job_body(actions=_actions(ACTIONS_MAX)))
    assert len(alice.get(f"/v1/jobs/{job_id}").get_json()["job_actions"]) == ACTIONS_MAX
    _refused(alice.patch(f"/v1/jobs/{job_id}", {"job_actions": _actions(ACTIONS_MAX + 1)}),
             "JOB_MAX_ACTIONS")


def test_action_defaults_copied_past_the_document_size_are_refused_before_copying(alice):
    before = owned_rows()
    body = job_body(actions=_actions(10))
    body["action_defaults"] = {"blob": "d" * (DOC_MAX // 5)}  # 10 copies: twice the limit
    _refused(alice.post("/v1/jobs", body), "DOCUMENT_MAX_BYTES")
    job_id = alice.create("jobs", job_body(actions=_actions(10)))
    _refused(alice.patch(f"/v1/jobs/{job_id}", {"action_defaults": body["action_defaults"]}),
             "DOCUMENT_MAX_BYTES")
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["_version"] == 1
    assert len(owned_rows()["jobs"]) == len(before["jobs"]) + 1


@pytest.mark.parametrize("path, body", [
    ("/v1/jobs", lambda big: job_body(description=big)),
    ("/v1/actions", lambda big: {"freezer_action": freezer_action(), "note": big}),
    ("/v1/sessions", lambda big: {"schedule": {}, "description": big}),
    ("/v1/clients", lambda big: {"client_id": "proj_node1", "hostname": "node1",
                                 "description": big}),
])
def test_no_document_is_stored_beyond_its_size_limit(alice, path, body):
    before = owned_rows()
    _refused(alice.post(path, body("x" * (DOC_MAX + 1))), "DOCUMENT_MAX_BYTES")
    _refused(alice.post(path.replace("/v1", "/v2/alice"), body("x" * (DOC_MAX + 1))),
             "DOCUMENT_MAX_BYTES")
    assert owned_rows() == before
    r = alice.post(path, body("x" * (DOC_MAX // 2)))
    assert r.status_code == 201, r.get_json()


def test_a_patch_cannot_grow_a_document_past_the_limit(alice):
    job_id = alice.create("jobs", job_body())
    half = "x" * (DOC_MAX // 2 + 10)
    assert alice.patch(f"/v1/jobs/{job_id}", {"description": half}).status_code == 200
    _refused(alice.patch(f"/v1/jobs/{job_id}", {"job_actions": [
        {"freezer_action": freezer_action(note=half)}]}), "DOCUMENT_MAX_BYTES")
    assert alice.get(f"/v1/jobs/{job_id}").get_json()["_version"] == 2


class TestConfigurable:
    @pytest.fixture
    def app_config(self):
        return {"SEARCH_MAX_ITEMS": 2, "JOB_MAX_ACTIONS": 1, "DOCUMENT_MAX_BYTES": 2000}

    def test_the_limits_are_read_from_the_configuration(self, alice):
        _refused(alice.get("/v1/jobs", {"match": [{"a": 1}, {"b": 2}, {"c": 3}]}),
                 "at most 2")
        _refused(alice.post("/v1/jobs", job_body(actions=_actions(2))), "at most 1")
        _refused(alice.post("/v1/jobs", job_body(description="x" * 2000)), "at most 2000")


# --- the statement cap ---------------------------------------------------------------------

def slow_statement() -> str:
    """A statement that runs for tens of seconds unless stopped (MariaDB caps recursive
    CTEs at 1000 rounds, SQLite has no SLEEP)."""
    if db.engine.dialect.name == "sqlite":
        return ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                "WHERE x < 200000000) SELECT COUNT(*) FROM c")
    return "SELECT SLEEP(30)"


class TestStatementCap:
    @pytest.fixture
    def app_config(self):
        return {"DB_STATEMENT_TIMEOUT": 0.5}

    def test_a_statement_of_a_request_is_stopped_at_the_cap(self, app):
        with app.test_request_context("/v1/jobs"):
            started = time.monotonic()
            with pytest.raises(OperationalError) as stopped:
                db.session.execute(text(slow_statement())).scalar()
            elapsed = time.monotonic() - started
            db.session.rollback()
        assert is_timeout(stopped.value), stopped.value
        assert elapsed < 5

    def test_a_stopped_statement_answers_503_naming_the_cap(self, app):
        def slow():
            db.session.execute(text(slow_statement())).scalar()
            return "finished"
        app.add_url_rule("/v1/test-slow", "test_slow", slow)
        started = time.monotonic()
        r = app.test_client().get("/v1/test-slow", headers={"X-User-Id": "alice",
                                                            "Accept": "application/json"})
        assert r.status_code == 503
        assert "DB_STATEMENT_TIMEOUT" in r.get_json()["description"]
        assert time.monotonic() - started < 5
        # the next request of the same process works
        assert app.test_client().get("/v1/jobs", headers={"X-User-Id": "alice"}).status_code == 200

    def test_quick_statements_and_writes_are_not_affected(self, alice):
        job_id = alice.create("jobs", job_body())
        assert alice.patch(f"/v1/jobs/{job_id}", {"description": "d"}).status_code == 200
        assert alice.delete(f"/v1/jobs/{job_id}").status_code == 204

    def test_outside_requests_nothing_is_capped(self, app):
        """Migrations, the CLI and the watcher run outside requests (in a thread of its
        own here: pytest-flask keeps a request context open in the test's)."""
        import threading
        elapsed = []

        def run():
            with app.app_context():
                started = time.monotonic()
                db.session.execute(text("SELECT SLEEP(1.2)" if db.engine.dialect.name != "sqlite"
                                        else slow_statement().replace("200000000", "6000000")))
                elapsed.append(time.monotonic() - started)
                db.session.remove()

        thread = threading.Thread(target=run)
        thread.start()
        thread.join(60)
        assert elapsed and elapsed[0] > 0.5  # ran past the cap
