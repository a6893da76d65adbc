"""AUTH_MODE=token: the Keystone v3 token route the freezer CLI and schedulers authenticate at
(app/auth/keystone_tokens.py). An API token is the only credential it takes: as the `token`
method, or as the `password` of the operator it was issued to."""
import pytest
from freezerclient.v1.client import Client

from app.auth import tokens
from app.extensions import db
from tests.builders import PASSWORD, api_token, operator


@pytest.fixture
def app_config():
    return {"AUTH_MODE": "token"}


@pytest.fixture
def token(app):
    operator("alice", user_id="alice-owner")
    return api_token("alice", "scheduler")


def auth(client, identity, scope=None):
    body = {"auth": {"identity": identity}}
    if scope:
        body["auth"]["scope"] = scope
    return client.post("/identity/v3/auth/tokens", json=body)


def password(name, secret):
    return {"methods": ["password"],
            "password": {"user": {"name": name, "password": secret, "domain": {"id": "default"}}}}


def test_discovery_documents(client):
    r = client.get("/identity")
    assert r.status_code == 300
    assert r.get_json()["versions"]["values"][0]["links"][0]["href"] == \
        "http://localhost/identity/v3/"
    assert client.get("/identity/v3").get_json()["version"]["id"] == "v3.14"


def test_the_token_method_answers_the_same_token_with_project_and_catalog(client, token):
    r = auth(client, {"methods": ["token"], "token": {"id": token}})
    assert r.status_code == 201 and r.headers["X-Subject-Token"] == token
    body = r.get_json()["token"]
    assert body["user"] == {"id": "alice-owner", "name": "alice", "domain": body["user"]["domain"],
                            "password_expires_at": None}
    assert body["project"]["id"] == "alice-owner"
    assert [r["name"] for r in body["roles"]] == ["member", "reader"]
    backup = next(s for s in body["catalog"] if s["type"] == "backup")
    assert {e["url"] for e in backup["endpoints"]} == {"http://localhost"}
    # the answered token works on the API
    assert client.get("/v1/jobs", headers={"X-Auth-Token": token}).status_code == 200


def test_the_password_method_takes_one_of_the_named_operators_api_tokens(client, token):
    r = auth(client, password("alice", token), {"project": {"name": "alice-owner",
                                                             "domain": {"id": "default"}}})
    assert r.status_code == 201 and r.headers["X-Subject-Token"] == token
    operator("bob")
    assert auth(client, password("bob", token)).status_code == 401      # not bob's token
    assert auth(client, password("alice", PASSWORD)).status_code == 401  # sign-in password: no


def test_refusals_are_401_json_and_nothing_else(client, token):
    for body in (None, [], {"auth": []}, {"auth": {"identity": {"methods": "token"}}},
                 {"auth": {"identity": {"methods": ["totp"]}}},
                 {"auth": {"identity": {"methods": ["token"], "token": {"id": 7}}}},
                 {"auth": {"identity": {"methods": ["password"], "password": "x"}}}):
        r = client.post("/identity/v3/auth/tokens", json=body)
        assert r.status_code == 401, body
        assert r.get_json()["error"]["code"] == 401 and "X-Subject-Token" not in r.headers
    assert auth(client, {"methods": ["token"], "token": {"id": "nope"}}).status_code == 401
    other = auth(client, {"methods": ["token"], "token": {"id": token}},
                 {"project": {"id": "someone-elses"}})
    assert other.status_code == 401


def test_a_revoked_token_no_longer_authenticates(client, token):
    tokens.revoke(tokens.resolve(token)[0].id)
    db.session.commit()
    assert auth(client, {"methods": ["token"], "token": {"id": token}}).status_code == 401


@pytest.mark.parametrize("mode", ["noauth", "keystone"])
def test_only_token_mode_has_it(mode, database_url):
    from tests.conftest import _base_config
    from app import create_app
    config = {**_base_config(database_url), "AUTH_MODE": mode}
    if mode == "keystone":
        pytest.importorskip("keystonemiddleware")
        config["KEYSTONE_AUTHTOKEN"] = {"www_authenticate_uri": "http://ks.example",
                                              "auth_url": "http://ks.example"}
    app = create_app(config)
    assert "keystone_tokens" not in app.blueprints


def test_the_v1_library_authenticates_here_with_a_token(live_token_server):
    """python-freezerclient 6.2.0 (keystoneauth1 underneath) with OS_AUTH_URL pointing here,
    the API found in the catalog: what the freezer CLI and 18.0.0 scheduler do."""
    url, token = live_token_server
    c = Client(opts=None, token=token, auth_url=url + "/identity/v3")
    assert c.endpoint == url
    assert c.clients.create({"client_id": "p_host", "hostname": "host"}) == "p_host"
    assert [x["client"]["client_id"] for x in c.clients.list()] == ["p_host"]


def test_wrong_tokens_count_against_the_address_as_on_v1(app, client, token):
    app.config["API_TOKEN_LIMIT_PER_ADDRESS"] = "3 per minute"
    for _ in range(3):
        assert auth(client, password("alice", "guess")).status_code == 401
    refused = auth(client, {"methods": ["token"], "token": {"id": "guess"}})
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert client.get("/v1/jobs", headers={"X-Auth-Token": "guess"}).status_code == 429
