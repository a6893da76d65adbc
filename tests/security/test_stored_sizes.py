"""Property 8, no 500 from stored sizes: every stored value is checked against its column
(as MariaDB stores it) before it is written. The cases come from the models' columns: a
new column is covered the day it is added, and a document column written from a request
must be given a request below (or be named as set by the server)."""
import pytest

from app.extensions import db
from app.models.document import DocumentMixin
from app.services import stored_sizes
from tests.api.test_auth_matrix import owned_rows
from tests.builders import action_body, backup_body, client_body, job_body


def sized_columns():
    """(model, attribute, kind, limit) of every sized column of every model."""
    out = []
    for mapper in sorted(db.Model.registry.mappers, key=lambda m: m.class_.__name__):
        for key, _column, kind, limit in stored_sizes.column_rules(mapper):
            if kind != "document":
                out.append((mapper.class_, key, kind, limit))
    return out


def _too_large(kind, limit):
    if kind == "chars":
        return "a" * (limit + 1), "a" * limit
    if kind == "bytes":
        return "é" * (limit // 2 + 1), "é" * (limit // 2)   # 2 bytes each in UTF-8
    return 2 ** limit, 2 ** limit - 1


@pytest.mark.parametrize("model, key, kind, limit", [
    pytest.param(*case, id=f"{case[0].__tablename__}.{case[1]}") for case in sized_columns()
    if not (case[2] == "bytes" and case[3] > 2 ** 24)])   # LONGTEXT: 4 GiB, not testable
def test_every_sized_column_refuses_what_does_not_fit(app, model, key, kind, limit):
    over, at_limit = _too_large(kind, limit)
    row = model()
    setattr(row, key, at_limit)
    assert key not in stored_sizes.problems(row, only_changed=False)
    setattr(row, key, over)
    assert key in stored_sizes.problems(row, only_changed=False)


def test_the_guard_sees_every_table():
    tables = {model.__tablename__ for model, *_ in sized_columns()}
    assert tables >= {"jobs", "sessions", "backups", "clients", "actions", "users", "api_tokens"}


# --- through the API: every document column a request writes ---------------------------

# column -> (method, path, body with the value put where the request carries it)
REQUESTS = {
    # a new session's status and result are the server's; PATCH writes them as sent
    ("sessions", "status"): ("PATCH", "/v1/sessions/{session}", lambda v: {"status": v}),
    ("sessions", "result"): ("PATCH", "/v1/sessions/{session}", lambda v: {"result": v}),
    ("sessions", "session_id"): ("POST", "/v1/sessions/{v}", lambda v: {"schedule": {},
                                                                        "session_tag": 0}),
    ("jobs", "job_id"): ("POST", "/v1/jobs/{v}", lambda v: job_body()),
    ("jobs", "client_id"): ("POST", "/v1/jobs", lambda v: job_body(client_id=v)),
    ("jobs", "status"): ("POST", "/v1/jobs", lambda v: job_body(schedule={"status": v})),
    ("jobs", "event"): ("POST", "/v1/jobs", lambda v: job_body(schedule={"event": v})),
    ("jobs", "result"): ("POST", "/v1/jobs", lambda v: job_body(schedule={"result": v})),
    ("actions", "action_id"): ("POST", "/v1/actions", lambda v: {**action_body(),
                                                                 "action_id": v}),
    ("clients", "client_id"): ("POST", "/v1/clients", lambda v: client_body(client_id=v)),
    ("clients", "hostname"): ("POST", "/v1/clients", lambda v: client_body(hostname=v)),
    ("backups", "container"): ("POST", "/v1/backups", lambda v: backup_body(container=v)),
    ("backups", "hostname"): ("POST", "/v1/backups", lambda v: backup_body(hostname=v)),
    ("backups", "backup_name"): ("POST", "/v1/backups", lambda v: backup_body(backup_name=v)),
    ("backups", "job_id"): ("POST", "/v1/backups", lambda v: backup_body(job_id=v)),
}
# written by the server from what it has already checked: the caller's id, a digest, the
# session routes, the id and the set key built from checked parts (a key too long becomes a
# prefix and a digest); an action's name comes from the dashboard's form alone (100 chars)
SERVER_SET = {("jobs", "session_id"), ("backups", "id_hash"), ("backups", "backup_id"),
              ("backups", "set_key"), ("actions", "name")}


def document_columns():
    return [(model.__tablename__, key, kind, limit) for model, key, kind, limit in sized_columns()
            if issubclass(model, DocumentMixin) and kind == "chars"
            and key not in ("user_id", "project_id")]  # the caller's scope


def test_every_document_column_is_written_by_a_case_here():
    missing = {(t, k) for t, k, *_ in document_columns()} - set(REQUESTS) - SERVER_SET
    assert missing == set(), "add a request that writes these columns to REQUESTS"


@pytest.mark.parametrize("table, key, kind, limit", document_columns(),
                         ids=lambda v: str(v) if isinstance(v, str) else "")
def test_a_value_longer_than_its_column_is_a_400_never_a_500(app, alice, table, key, kind,
                                                             limit):
    if (table, key) in SERVER_SET:
        pytest.skip("set by the server")
    method, path, body = REQUESTS[(table, key)]
    session = alice.create("sessions", {"schedule": {}}) if "{session}" in path else None
    before = owned_rows()
    value = "a" * (limit + 1)
    r = alice.call(method, path.format(v=value, session=session), body(value))
    assert r.status_code == 400, (r.status_code, r.get_json())
    assert r.get_json()["code"] == 400 and r.get_json()["description"]
    assert owned_rows() == before


def test_a_session_status_of_50_characters_is_refused_not_a_500(alice):
    """The review's request: a 500 on MariaDB (data too long for sessions.status)."""
    session_id = alice.create("sessions", {"schedule": {}})
    for method, path in (("PATCH", f"/v1/sessions/{session_id}"),
                         ("POST", f"/v1/sessions/{session_id}")):
        r = alice.call(method, path, {"schedule": {}, "session_tag": 0, "status": "s" * 50})
        assert r.status_code == 400, (method, r.get_json())
        assert "status" in r.get_json()["description"] and "16" in r.get_json()["description"]
    stored = alice.get(f"/v1/sessions/{session_id}").get_json()
    assert stored["status"] != "s" * 50 and stored["_version"] == 1


def test_a_session_status_that_fits_is_stored(alice):
    session_id = alice.create("sessions", {"schedule": {}})
    assert alice.patch(f"/v1/sessions/{session_id}", {"status": "s" * 16}).status_code == 200
    assert alice.get(f"/v1/sessions/{session_id}").get_json()["status"] == "s" * 16


def test_a_value_left_for_the_commit_is_refused_there_too(app, client):
    """A view that answers 200 with a change not yet flushed: the request's commit flushes
    it, the same check refuses it, and the answer is that 400 (nothing stored)."""
    from app.models import Session

    def leave_pending():
        row = Session(user_id="alice")
        row.set_doc({"session_id": "pending", "status": "s" * 50})
        db.session.add(row)  # no flush: the commit does it
        return "ok"
    app.add_url_rule("/v1/test-pending", "test_pending", leave_pending)
    r = client.get("/v1/test-pending", headers={"X-User-Id": "alice"})
    assert r.status_code == 400 and "sessions.status" in r.get_json()["description"]
    assert owned_rows()["sessions"] == []
