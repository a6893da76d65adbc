"""AUTH_MODE=keystone: behind the real keystonemiddleware auth_token (Keystone's answer
stubbed, tests/keystone_stub.py); identity is what auth_token validated, nothing else."""
import pytest

from tests import keystone_stub
from tests.builders import client_body
from tests.keystone_stub import USER, keystone, token_for  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("keystone")


@pytest.fixture
def app_config():
    return keystone_stub.APP_CONFIG


def call(client, method, path, headers, body=None):
    return client.open(path, method=method, json=body,
                       headers={"Accept": "application/json", **headers})


def test_a_valid_keystone_token_owns_what_it_creates(client):
    me = {"X-Auth-Token": token_for(USER)}
    assert call(client, "POST", "/v1/clients/", me, client_body()).status_code == 201
    r = call(client, "GET", "/v1/clients/proj_node1", me)
    assert r.status_code == 200
    assert r.get_json()["user_id"] == USER


def test_roles_are_read_as_keystone_sends_them(app):
    client = app.test_client()
    with client:  # keeps the request context, so the identity the view saw can be read
        r = call(client, "GET", "/v1/jobs",
                 {"X-Auth-Token": token_for(USER, roles=("Member", "Admin", "reader"))})
        assert r.status_code == 200
        from flask import request
        me = request.environ["freezer.identity"]
    assert me.roles == ("member", "admin", "reader")
    assert me.user_id == USER and me.user_name == f"name-of-{USER}"


@pytest.mark.parametrize("status", [None, "Invalid", "Confirmed", "confirmed", ""])
def test_identity_headers_a_client_sends_are_never_believed(client, status):
    forged = {"X-User-Id": USER, "X-Roles": "admin", "X-Project-Id": "p"}
    if status is not None:
        forged["X-Identity-Status"] = status
    for token in (None, "made-up"):
        headers = {**forged, **({"X-Auth-Token": token} if token else {})}
        for method, path in (("GET", "/v1/jobs"), ("POST", "/v1/clients/"), ("GET", "/v1")):
            r = call(client, method, path, headers, client_body() if method == "POST" else None)
            assert r.status_code == 401, (status, token, path)
            assert r.get_json()["title"] == "Unauthorized"


def test_a_keystone_user_id_off_the_id_pattern_is_refused(client):
    for user_id in ("a b", "x" * 256, "a\x7fb"):
        r = call(client, "GET", "/v1/jobs", {"X-Auth-Token": token_for(user_id)})
        assert r.status_code == 401, user_id


def test_an_api_token_alone_is_not_enough_in_keystone_mode(app, client):
    from tests.builders import api_token, operator
    operator("carol")
    r = call(client, "GET", "/v1/jobs", {"X-Auth-Token": api_token("carol")})
    assert r.status_code == 401


def test_another_keystone_user_sees_nothing_of_the_first(client):
    me = {"X-Auth-Token": token_for(USER)}
    assert call(client, "POST", "/v1/clients/", me, client_body()).status_code == 201
    other = {"X-Auth-Token": token_for("ffffffffffffffffffffffffffffffff")}
    assert call(client, "GET", "/v1/clients/proj_node1", other).status_code == 404
    assert call(client, "GET", "/v1/clients", other).get_json() == {"clients": []}


def test_versions_and_dashboard_sign_in_need_no_keystone_token(client):
    assert client.get("/", headers={"Accept": "application/json"}).status_code == 300
    assert client.get("/auth/login").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_answers_of_auth_token_carry_the_request_id_and_security_headers(client):
    """The layer outside auth_token (app/ops/edge.py) marks its answers as any other."""
    from app.security_headers import CSP
    for token in ("made-up", token_for(USER)):
        r = call(client, "GET", "/v1/jobs/", {"X-Auth-Token": token,
                                               "X-OpenStack-Request-Id": "req-agent-1"})
        assert r.status_code == (401 if token == "made-up" else 200)
        assert r.headers["x-openstack-request-id"] == "req-agent-1"
        assert r.headers["Content-Security-Policy"] == CSP
