"""API tokens on /v1 (AUTH_MODE=token): both header forms, stored only as a hash, compared in
constant time, revocable, last use recorded at most once a minute."""
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.auth import tokens
from app.extensions import db
from app.models import ApiToken, User
from app import clock
from tests.builders import PASSWORD, ApiUser, api_token, backup_body, client_body, operator

T0 = 1_795_744_000


@pytest.fixture
def app_config():
    return {"AUTH_MODE": "token"}


@pytest.fixture
def carol(client):
    operator("carol")
    return ApiUser(client, None, "carol", token=api_token("carol", "node1"))


def test_x_auth_token_and_bearer_both_identify_the_operator(client, carol):
    owner = db.session.scalar(select(User.user_id).where(User.username == "carol"))
    assert carol.post("/v1/clients/", client_body()).status_code == 201
    for headers in ({"X-Auth-Token": carol.token}, {"Authorization": f"Bearer {carol.token}"},
                    {"Authorization": f"bearer   {carol.token}  "}):
        r = client.get("/v1/clients/proj_node1", headers=headers)
        assert r.status_code == 200, headers
        assert r.get_json()["user_id"] == owner


def test_a_backup_takes_owner_and_user_name_from_the_token_not_the_body(carol):
    owner = db.session.scalar(select(User.user_id).where(User.username == "carol"))
    carol.create("backups", {"user_id": "mallory", "user_name": "mallory",
                             **backup_body()})
    backup = carol.get("/v1/backups").get_json()["backups"][0]
    assert backup["user_id"] == owner
    assert backup["user_name"] == "carol"


def test_tokens_and_passwords_are_never_stored_in_clear(carol):
    rows = [tuple(r) for r in db.session.execute(text("SELECT * FROM api_tokens"))]
    rows += [tuple(r) for r in db.session.execute(text("SELECT * FROM users"))]
    flat = " ".join(str(v) for row in rows for v in row)
    assert carol.token not in flat
    assert PASSWORD not in flat
    stored = db.session.scalar(select(ApiToken.token_hash))
    assert stored == hashlib.sha256(carol.token.encode()).hexdigest()
    assert db.session.scalar(select(User.password_hash)).startswith("$argon2id$")


def test_tokens_are_compared_in_constant_time(carol, monkeypatch):
    calls = []

    def spy(a, b):
        calls.append((a, b))
        return a == b
    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    assert carol.get("/v1/clients").status_code == 200
    assert calls == [(hashlib.sha256(carol.token.encode()).hexdigest(),) * 2]


def test_each_token_is_random_and_shown_once(app):
    operator("carol")
    plains = {api_token("carol") for _ in range(5)}
    assert len(plains) == 5 and all(len(p) >= 43 for p in plains)


def test_a_revoked_token_stops_working_and_others_keep_working(client, carol):
    other = api_token("carol", "node2")
    row = db.session.scalar(select(ApiToken).where(ApiToken.label == "node1"))
    tokens.revoke(row.id)
    db.session.commit()
    assert carol.get("/v1/clients").status_code == 401
    assert client.get("/v1/clients", headers={"X-Auth-Token": other}).status_code == 200


def test_last_used_is_recorded_at_most_once_a_minute(carol):
    def last_used():
        db.session.expire_all()
        value = db.session.scalar(select(ApiToken.last_used_at))
        db.session.rollback()
        return value

    clock.freeze(T0)
    assert last_used() is None
    assert carol.get("/v1/clients").status_code == 200
    first = last_used()
    assert first == clock.utcnow()
    clock.freeze(T0 + 59)
    assert carol.get("/v1/jobs").status_code == 200
    assert carol.get("/v1/clients/none").status_code == 404  # a refused request counts too
    assert last_used() == first
    clock.freeze(T0 + 61)
    assert carol.get("/v1/clients/none").status_code == 404
    assert last_used() == first + timedelta(seconds=61)


def test_the_last_use_write_does_not_block_a_writing_request(carol):
    """POSTs take the write lock at their first query (SQLite: BEGIN IMMEDIATE); the
    last-use update runs after the request's transaction, so it cannot wait on it."""
    clock.freeze(T0)
    assert carol.post("/v1/clients/", client_body()).status_code == 201
    assert db.session.scalar(select(ApiToken.last_used_at)) is not None


def test_an_admin_operator_has_the_admin_role(app):
    from app.auth.identity import current_identity
    operator("root", is_admin=True)
    token = api_token("root")
    with app.test_request_context("/v1/jobs", headers={"X-Auth-Token": token}):
        me = current_identity()
    assert me.roles == ("admin",) and me.user_name == "root"
