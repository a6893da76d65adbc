"""Property 11, clean ids: NUL and control characters are refused (400, nothing written) in
every id a route takes from its path, in every id field of a document, in what builds a
backup id, and in the ids callers and operators are known by."""
import json
import re

import pytest

from app.extensions import db
from app.services import schemas
from app.services.ids import has_control
from tests.builders import action_body, backup_body, client_body, job_body
from tests.api.test_auth_matrix import owned_rows

BAD = ["a\x00b", "a\nb", "abc\n", "\x1f", "a\x7fb", "a\x85b", "a\u202eb", "a\u200bb",
       "a\u2028b", "a\ufeffb"]
_ARG = re.compile(r"<(?:([^:<>]+):)?([^<>]+)>")


def routes_with_ids(app):
    """(rule, method, argument names) of every route of the app with a path argument:
    /v1, /v2 and the dashboard (a new route is covered the day it is added)."""
    from werkzeug.routing.converters import NumberConverter, UUIDConverter
    found = []
    for rule in app.url_map.iter_rules():
        names = [name for name, converter in rule._converters.items()
                 if not isinstance(converter, (NumberConverter, UUIDConverter))]
        if not names or rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method, names))
    return found


def test_the_rule_knows_every_kind_of_control_character():
    assert all(has_control(value) for value in BAD)
    assert not any(has_control(v) for v in ("node1", "/srv/backups", "é-ü_ß", "日本", "a b"))


def test_every_path_id_of_every_route_refuses_control_characters(app, client, alice, signed_in):
    before = owned_rows()
    wrong = []
    routes = routes_with_ids(app)
    assert any(rule.rule.startswith("/v1/") for rule, _, _ in routes)
    for rule, method, names in routes:
        for bad in ("a\x00b", "abc\n", "a\u202eb"):
            text = bad.replace("\n", "%0A").replace("\x00", "%00")
            path = _ARG.sub(lambda m: text if m.group(2) in names else "1", rule.rule)
            r = client.open(path, method=method, json={},
                            headers={**alice.headers(), "X-CSRFToken": "unused"})
            if r.status_code != 400:
                wrong.append(f"{method} {rule.rule} with {bad!r}: {r.status_code}")
    assert wrong == []
    assert owned_rows() == before


def _pattern_fields(schema, prefix=""):
    """Every field of a document schema that a pattern restricts (ids, hostnames, backup
    id parts), as dotted names."""
    out = []
    for name, spec in (schema.get("properties") or {}).items():
        patterned = "pattern" in spec or any("pattern" in s for s in spec.get("allOf", []))
        if patterned and spec.get("type") == "string":
            out.append(prefix + name)
    return out


def _set(body, dotted, value):
    node = body
    *parents, last = dotted.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    node[last] = value


# each document kind: the route that stores it, a valid body, where its schema sits in it
DOCUMENTS = {
    "job": ("/v1/jobs", job_body, schemas.JOB, ""),
    "job action": ("/v1/jobs", job_body, schemas.JOB_ACTION, "job_actions.0."),
    "action": ("/v1/actions", action_body, schemas.ACTION, ""),
    "session": ("/v1/sessions", lambda: {"schedule": {}}, schemas.SESSION, ""),
    "client": ("/v1/clients", client_body, schemas.CLIENT_INFO, ""),
    "backup": ("/v1/backups", backup_body, schemas.BACKUP_METADATA, ""),
}


def body_cases():
    for kind, (path, make, schema, prefix) in DOCUMENTS.items():
        for field in _pattern_fields(schema):
            yield pytest.param(path, make, prefix + field, id=f"{kind}.{field}")


def test_the_cases_cover_the_backup_id_parts():
    names = {case.id for case in body_cases()}
    assert {"backup.container", "backup.hostname", "backup.backup_name"} <= names
    assert {"action.action_id", "client.client_id", "job action.action_id"} <= names


@pytest.mark.parametrize("path, make, field", list(body_cases()))
def test_every_id_field_refuses_control_characters(app, alice, path, make, field):
    body = make()
    r = alice.post(path, body)
    assert r.status_code == 201, (r.status_code, r.get_json())  # the valid body is stored
    for bad in ("abc\n", "a\x00b", "a\u202eb"):
        body = make()
        _set(body, field, bad)
        r = alice.post(path, body)
        # refused, or a field the server sets itself (user_id, a new job's session_id...)
        assert r.status_code in (400, 201), (field, bad, r.status_code, r.get_json())
        assert r.get_json()["code"] == 400 if r.status_code == 400 else True
    stored = [text for rows in owned_rows().values() for row in rows for text in _strings(row)]
    assert not any(has_control(text) for text in stored), field


def _strings(value):
    """Every string in a row, inside its JSON documents too."""
    if isinstance(value, (tuple, list)):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, str):
        yield value
        if value[:1] in "{[":
            try:
                yield from _strings(json.loads(value))
            except ValueError:
                pass


# --- the requests of the review, and the ids callers are known by -----------------------

def test_a_trailing_line_break_no_longer_passes_as_an_id(alice):
    """Python's `$` matched before a final newline: "job\\n" was a valid job id."""
    assert alice.post("/v1/jobs/job%0A", job_body()).status_code == 400
    assert alice.post("/v1/actions", {**action_body(), "action_id": "act\n"}).status_code == 400
    assert alice.post("/v1/clients", client_body(client_id="node1\n")).status_code == 400


def test_a_backup_id_is_never_built_from_a_nul(alice):
    for field in ("container", "hostname", "backup_name"):
        r = alice.post("/v1/backups", backup_body(**{field: "part\x00"}))
        assert r.status_code == 400, field
        assert field in r.get_json()["description"]
    assert alice.get("/v1/backups").get_json() == {"backups": []}


def test_a_session_start_naming_a_job_id_with_a_nul_is_refused(alice):
    session_id = alice.create("sessions", {"schedule": {}})
    r = alice.post(f"/v1/sessions/{session_id}/action",
                   {"start": {"job_id": "j\x00", "current_tag": 0}})
    assert r.status_code == 400


@pytest.mark.parametrize("user_id", ["al\x00ice", "al\x1bice", "alice\u202e"])
def test_a_caller_id_with_a_control_character_is_no_identity(client, user_id):
    # as a WSGI server hands it over (the test client refuses line breaks in headers)
    r = client.get("/v1/jobs", environ_overrides={"HTTP_X_USER_ID": user_id},
                   headers={"Accept": "application/json"})
    assert r.status_code == 401


@pytest.mark.parametrize("username, user_id", [("alice\n", None), ("alice", "owner\n"),
                                               ("al\x00ice", None)])
def test_operators_are_not_created_with_control_characters(app, username, user_id):
    from app.auth import accounts
    from app.services.errors import BadRequest
    with pytest.raises(BadRequest):
        accounts.create(username, "a-long-enough-password", user_id=user_id)
    db.session.rollback()
