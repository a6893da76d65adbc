"""The app wrapped in the real keystonemiddleware auth_token (requirements-keystone.txt),
with Keystone's answer for a token stubbed where auth_token asks for it (fetch_token)."""
import pytest

auth_token = pytest.importorskip("keystonemiddleware.auth_token")

from app.auth import keystone  # noqa: E402
from tests.builders import client_body  # noqa: E402

USER = "4b7c1e0d9a8f4e6b8c2d1a0f9e8d7c6b"


@pytest.fixture
def app_config():
    return {"AUTH_MODE": "keystone"}


@pytest.fixture
def wrapped(app, monkeypatch):
    domain = {"id": "default", "name": "Default"}
    known = {"good-token": {"token": {   # what Keystone v3 answers for a project token
        "methods": ["password"], "issued_at": "2026-01-01T00:00:00.000000Z",
        "expires_at": "2099-01-01T00:00:00.000000Z",
        "user": {"id": USER, "name": "demo", "domain": domain},
        "project": {"id": "p1", "name": "demo", "domain": domain},
        "roles": [{"id": "r1", "name": "member"}], "catalog": []}}}

    def fetch_token(self, token_id, **kwargs):
        if token_id not in known:
            from keystonemiddleware.auth_token import _exceptions
            raise _exceptions.InvalidToken("unknown token")
        return known[token_id]

    monkeypatch.setattr(auth_token.AuthProtocol, "fetch_token", fetch_token)
    keystone.wrap(app, {"www_authenticate_uri": "http://keystone.example/identity",
                        "auth_url": "http://keystone.example/identity"})
    return app.test_client()


def test_a_valid_keystone_token_reaches_v1_as_its_user(wrapped):
    h = {"X-Auth-Token": "good-token", "Accept": "application/json"}
    assert wrapped.post("/v1/clients/", json=client_body(), headers=h).status_code == 201
    r = wrapped.get("/v1/clients/proj_node1", headers=h)
    assert r.status_code == 200 and r.get_json()["user_id"] == USER


def test_identity_headers_sent_by_a_client_are_not_trusted(wrapped):
    forged = {"X-Identity-Status": "Confirmed", "X-User-Id": USER, "X-Roles": "admin",
              "Accept": "application/json"}
    assert wrapped.get("/v1/jobs", headers=forged).status_code == 401
    forged["X-Auth-Token"] = "made-up"
    assert wrapped.get("/v1/jobs", headers=forged).status_code == 401


def test_versions_and_dashboard_sign_in_need_no_keystone_token(wrapped):
    assert wrapped.get("/", headers={"Accept": "application/json"}).status_code == 300
    assert wrapped.get("/auth/login").status_code == 200


def test_wrapping_refuses_another_auth_mode(app):
    app.config["AUTH_MODE"] = "token"
    with pytest.raises(RuntimeError):
        keystone.wrap(app, {})
