"""Every /v1 route, in AUTH_MODE=token (the default): no credentials, a revoked or unknown
token: 401 and nothing written; another operator's token on alice's documents: answered
exactly as a missing document (404) and alice's documents unchanged.

The routes come from app.url_map, so a route added later is covered without editing this
file; one with a new kind of id fails until ALICE_IDS below learns it."""
import re
import uuid

import pytest
from sqlalchemy import delete, select

from app.auth import PUBLIC_V1_ENDPOINTS, is_api_path
from app.extensions import db
from tests.builders import action_body, backup_body, client_body, job_body

from .test_sessions import session_body


@pytest.fixture
def app_config():
    return {"AUTH_MODE": "token"}


_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def v1_routes(app, prefix="/v1"):
    """(rule, method) for every /v1 route (or /v2, by prefix) that needs an identity."""
    found = []
    for rule in app.url_map.iter_rules():
        if not is_api_path(rule.rule) or rule.endpoint in PUBLIC_V1_ENDPOINTS or \
                not rule.rule.startswith(prefix):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method))
    assert len(found) > 20, "the /v1 routes were not found"
    return found


def url(rule, values):
    return _ARG.sub(lambda m: values[m.group(1)], rule.rule)


def owned_rows(user_id=None):
    """Every row of every table with an owner column (all owners when user_id is None)."""
    out = {}
    for table in db.metadata.sorted_tables:
        if "user_id" not in table.c:
            continue
        query = select(table).order_by(*table.primary_key.columns)
        if user_id is not None:
            query = query.where(table.c.user_id == user_id)
        out[table.name] = [tuple(row) for row in db.session.execute(query)]
    db.session.rollback()
    return out


def forget(user_id):
    """Remove everything user_id owns (bob's replace may create his own copy of an id)."""
    for table in reversed(db.metadata.sorted_tables):
        if "user_id" in table.c and table.name != "users":
            db.session.execute(delete(table).where(table.c.user_id == user_id))
    db.session.commit()


@pytest.fixture
def alice_docs(alice):
    """One document of every kind, owned by alice; returns {url argument: id}."""
    client_id = "proj_node1"
    assert alice.post("/v1/clients/", client_body()).status_code == 201
    ids = {"client_id": client_id,
           "action_id": alice.create("actions", action_body()),
           "job_id": alice.create("jobs", job_body(client_id=client_id)),
           "session_id": alice.create("sessions", session_body()),
           "backup_id": alice.create("backups", backup_body())}
    r = alice.put(f"/v1/sessions/{ids['session_id']}/jobs/{ids['job_id']}")
    assert r.status_code == 204
    return ids


def body_for(rule, method, ids):
    """A valid body for the route, so a refusal can only come from identity or ownership."""
    name = rule.rule
    if method in ("GET", "DELETE"):
        return None
    if name.endswith("/event"):
        return {"event": "start"}
    if name.endswith("/action"):
        return {"start": {"job_id": ids["job_id"], "current_tag": 0}}
    if name.startswith("/v1/clients"):
        return client_body() if method == "POST" else {"description": "changed by bob"}
    if name.startswith("/v1/actions"):
        return action_body(backup_name="bob")
    if name.startswith("/v1/jobs"):
        return job_body(client_id=ids["client_id"], description="bob's")
    if name.startswith("/v1/sessions"):
        return session_body(description="bob's") if "/jobs/" not in name else None
    if name.startswith("/v1/backups"):
        return backup_body(backup_name="bob")
    return {}


def test_every_route_refuses_missing_or_wrong_credentials(app, client, alice, alice_docs):
    from app.auth import tokens

    # hundreds of wrong tokens from one address: the per-address throttle (tested in
    # tests/security) would answer 429 long before the matrix is through
    app.config["API_TOKEN_LIMIT_PER_ADDRESS"] = "100000 per minute"
    revoked = alice.token
    tokens.revoke(tokens.resolve(revoked)[0].id)
    db.session.commit()
    attempts = {"no credentials": {},
                "revoked token": {"X-Auth-Token": revoked},
                "revoked bearer": {"Authorization": f"Bearer {revoked}"},
                "unknown token": {"X-Auth-Token": "x" * 43},
                "empty token": {"X-Auth-Token": ""},
                "basic auth": {"Authorization": "Basic YWxpY2U6YWxpY2U="},
                "noauth header": {"X-User-Id": "alice"},
                "keystone headers": {"X-Identity-Status": "Confirmed", "X-User-Id": "alice"}}
    before = owned_rows()
    wrong = []
    for rule, method in v1_routes(app) + v1_routes(app, "/v2"):
        for query in ("", "?limit=0&offset=-1"):  # 401 comes before argument checks
            path = url(rule, {**alice_docs, "project_id": "alice"}) + query
            for name, headers in attempts.items():
                r = client.open(path, method=method, json=body_for(rule, method, alice_docs),
                                headers={"Accept": "application/json", **headers})
                body = r.get_json(silent=True) or {}
                if r.status_code != 401 or not body.get("title") or not body.get("description"):
                    wrong.append(f"{method} {path} with {name}: {r.status_code} {body}")
                elif r.headers.get("WWW-Authenticate") is None:
                    wrong.append(f"{method} {path} with {name}: no WWW-Authenticate")
    assert wrong == []
    assert owned_rows() == before


def test_another_operators_token_sees_alices_documents_as_missing(app, alice, bob, alice_docs):
    fresh = {name: f"missing-{uuid.uuid4().hex[:8]}" for name in alice_docs}
    alice_before = owned_rows("alice")
    wrong = []
    for rule, method in v1_routes(app):
        args = set(_ARG.findall(rule.rule))
        if not args:
            continue  # collections: bob works in his own scope
        unknown = args - set(alice_docs)
        assert not unknown, f"{rule.rule}: teach alice_docs an id for {unknown}"
        answers = []
        for values in (alice_docs, fresh):
            forget("bob")
            r = bob.call(method, url(rule, values), body_for(rule, method, alice_docs))
            answers.append((r.status_code, (r.get_json(silent=True) or {}).get("title")))
        on_alices, on_missing = answers
        replace = method == "POST" and rule.rule.count("/") == 3  # POST /v1/<kind>/<id>
        if on_alices != on_missing or (not replace and on_alices[0] != 404):
            wrong.append(f"{method} {rule.rule}: on alice's {on_alices}, on a missing id "
                         f"{on_missing}")
    assert wrong == []
    assert owned_rows("alice") == alice_before


def test_an_operators_token_reaches_its_own_documents(alice, alice_docs):
    for kind, key in (("clients", "client_id"), ("actions", "action_id"), ("jobs", "job_id"),
                      ("sessions", "session_id"), ("backups", "backup_id")):
        r = alice.get(f"/v1/{kind}/{alice_docs[key]}")
        assert r.status_code == 200, (kind, r.get_json())
        assert r.get_json()["user_id"] == "alice"
