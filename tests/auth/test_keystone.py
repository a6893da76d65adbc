"""AUTH_MODE=keystone: behind keystonemiddleware's auth_token, which validates X-Auth-Token
and sets these headers; only X-Identity-Status: Confirmed is trusted."""
import pytest

from tests.builders import client_body


@pytest.fixture
def app_config():
    return {"AUTH_MODE": "keystone"}


CONFIRMED = {"X-Identity-Status": "Confirmed", "X-User-Id": "4b7c1e0d9a8f4e6b8c2d1a0f9e8d7c6b",
             "X-User-Name": "demo", "X-Roles": "Member,Admin, reader",
             "X-Project-Id": "a1b2c3", "X-Auth-Token": "gAAAAA-keystone-token"}


def call(client, method, path, headers, body=None):
    return client.open(path, method=method, json=body,
                       headers={"Accept": "application/json", **headers})


def test_confirmed_identity_owns_what_it_creates(client):
    assert call(client, "POST", "/v1/clients/", CONFIRMED, client_body()).status_code == 201
    r = call(client, "GET", "/v1/clients/proj_node1", CONFIRMED)
    assert r.status_code == 200
    assert r.get_json()["user_id"] == CONFIRMED["X-User-Id"]


def test_roles_are_read_as_keystone_sends_them(app):
    from app.auth.identity import current_identity
    with app.test_request_context("/v1/jobs", headers=CONFIRMED):
        me = current_identity()
    assert me.roles == ("member", "admin", "reader") and me.user_name == "demo"


@pytest.mark.parametrize("status", [None, "Invalid", "confirmed", "", "Confirmed "])
def test_headers_without_confirmed_status_are_refused(client, status):
    headers = {k: v for k, v in CONFIRMED.items() if k != "X-Identity-Status"}
    if status is not None:
        headers["X-Identity-Status"] = status
    for method, path in (("GET", "/v1/jobs"), ("POST", "/v1/clients/"), ("GET", "/v1")):
        r = call(client, method, path, headers, client_body() if method == "POST" else None)
        assert r.status_code == 401, (status, path)
        assert r.get_json()["title"] == "Unauthorized"


def test_confirmed_without_a_usable_user_id_is_refused(client):
    for user_id in ("", "   ", "a b", "x" * 256):
        r = call(client, "GET", "/v1/jobs", {**CONFIRMED, "X-User-Id": user_id})
        assert r.status_code == 401


def test_an_api_token_alone_is_not_enough_in_keystone_mode(app, client):
    from tests.builders import api_token, operator
    operator("carol")
    r = call(client, "GET", "/v1/jobs", {"X-Auth-Token": api_token("carol")})
    assert r.status_code == 401


def test_another_keystone_user_sees_nothing_of_the_first(client):
    assert call(client, "POST", "/v1/clients/", CONFIRMED, client_body()).status_code == 201
    other = {**CONFIRMED, "X-User-Id": "ffffffffffffffffffffffffffffffff"}
    assert call(client, "GET", "/v1/clients/proj_node1", other).status_code == 404
    assert call(client, "GET", "/v1/clients", other).get_json() == {"clients": []}
