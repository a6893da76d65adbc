"""Keystone for tests: the real keystonemiddleware auth_token in front of the app, with
Keystone's answer for a token stubbed where auth_token asks for it (fetch_token).

    @pytest.fixture
    def app_config():
        return keystone_stub.APP_CONFIG

    def test_x(app, client, keystone_tokens):   # keystone_tokens: {token: (user id, roles)}
        client.get("/v1/jobs", headers={"X-Auth-Token": keystone_stub.token_for(USER)})
"""
import pytest

#: where auth_token would find Keystone (never contacted: fetch_token is stubbed)
AUTHTOKEN_CONF = {"www_authenticate_uri": "http://keystone.example/identity",
                  "auth_url": "http://keystone.example/identity"}
APP_CONFIG = {"AUTH_MODE": "keystone", "KEYSTONE_AUTHTOKEN": AUTHTOKEN_CONF}
USER = "4b7c1e0d9a8f4e6b8c2d1a0f9e8d7c6b"
PROJECT = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


def token_for(user_id: str, roles=("member",), project_id: str = PROJECT) -> str:
    return f"tok:{user_id}:{','.join(roles)}:{project_id}"


def _keystone_answer(token_id: str) -> dict | None:
    """What Keystone v3 answers for a project-scoped token made by token_for()."""
    parts = token_id.split(":")
    if len(parts) != 4 or parts[0] != "tok":
        return None
    _, user_id, roles, project_id = parts
    domain = {"id": "default", "name": "Default"}
    return {"token": {
        "methods": ["password"], "issued_at": "2026-01-01T00:00:00.000000Z",
        "expires_at": "2099-01-01T00:00:00.000000Z",
        "user": {"id": user_id, "name": f"name-of-{user_id}", "domain": domain},
        "project": {"id": project_id, "name": "demo", "domain": domain},
        "roles": [{"id": f"r{i}", "name": name} for i, name in enumerate(roles.split(","))
                  if name],
        "catalog": []}}


@pytest.fixture
def keystone(monkeypatch):
    """Stub Keystone's token validation for every auth_token of this test."""
    auth_token = pytest.importorskip("keystonemiddleware.auth_token")
    from keystonemiddleware.auth_token import _exceptions

    def fetch_token(self, token_id, **kwargs):
        answer = _keystone_answer(token_id)
        if answer is None:
            raise _exceptions.InvalidToken("unknown token")
        return answer

    monkeypatch.setattr(auth_token.AuthProtocol, "fetch_token", fetch_token)
