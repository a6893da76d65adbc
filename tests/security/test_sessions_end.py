"""Property 4: a dashboard session ends on the server. Sign-out, a password change and
disabling the operator end it for every copy of its cookie; so do the idle timeout and the
absolute lifetime (both configurable); sign-in rotates the CSRF token."""
import time

import pytest

from app.auth import accounts
from app.extensions import db
from app import clock
from tests.builders import PASSWORD, csrf_token, operator, sign_in

COOKIE = "session"


@pytest.fixture
def app_config():
    return {"SESSION_IDLE_MINUTES": 30, "SESSION_MAX_HOURS": 8}


@pytest.fixture
def carol(app):
    return operator("carol")


def signed_in(client) -> bool:
    return client.get("/auth/tokens").status_code == 200


def copy_of(app, client):
    """Another browser holding a copy of `client`'s cookie (what an attacker captured)."""
    other = app.test_client()
    other.set_cookie(COOKIE, client.get_cookie(COOKIE).value)
    return other


def at(minutes: float) -> None:
    clock.freeze(START + minutes * 60)


START = time.time()


def test_a_cookie_captured_before_sign_out_stops_working(app, client, carol):
    """The review's request: the cookie still worked for 31 days after sign-out."""
    assert sign_in(client, "carol").status_code == 302
    captured = copy_of(app, client)
    assert signed_in(captured)
    page = client.get("/auth/logout")
    assert client.post("/auth/logout", data={"csrf_token": csrf_token(page.text)}).status_code == 302
    assert not signed_in(captured)
    assert not signed_in(client)


def test_signing_out_one_session_leaves_the_operators_others(app, carol):
    first, second = app.test_client(), app.test_client()
    sign_in(first, "carol")
    sign_in(second, "carol")
    page = first.get("/auth/logout")
    first.post("/auth/logout", data={"csrf_token": csrf_token(page.text)})
    assert not signed_in(first) and signed_in(second)


def test_a_password_change_ends_every_session_of_that_operator(app, client, carol):
    operator("dave")
    dave = app.test_client()
    sign_in(client, "carol")
    sign_in(dave, "dave")
    captured = copy_of(app, client)
    accounts.set_password("carol", "a brand new password")
    db.session.commit()
    assert not signed_in(client) and not signed_in(captured)
    assert signed_in(dave)
    assert sign_in(client, "carol", "a brand new password").status_code == 302


def test_disabling_the_operator_ends_their_sessions_at_once(app, client, carol):
    sign_in(client, "carol")
    captured = copy_of(app, client)
    accounts.disable("carol")
    db.session.commit()
    assert not signed_in(client) and not signed_in(captured)
    accounts.enable("carol")
    db.session.commit()
    assert not signed_in(captured)  # enabling does not bring an ended session back
    assert sign_in(client, "carol").status_code == 302


def test_the_idle_timeout_ends_an_unused_session(client, carol):
    at(0)
    sign_in(client, "carol")
    at(29)
    assert signed_in(client)       # use at minute 29 moves the idle window on
    at(58)
    assert signed_in(client)
    at(58 + 31)
    assert not signed_in(client)


def test_a_polling_page_is_not_activity(client, carol):
    at(0)
    sign_in(client, "carol")
    for minute in (10, 20, 29):
        at(minute)
        assert client.get("/auth/tokens", headers={"X-Freezer-Poll": "1"}).status_code == 200
    at(31)
    assert not signed_in(client)


def test_the_absolute_lifetime_ends_even_a_busy_session(client, carol):
    at(0)
    sign_in(client, "carol")
    for minute in range(20, 8 * 60, 20):
        at(minute)
        assert signed_in(client), minute
    at(8 * 60 + 1)
    assert not signed_in(client)


@pytest.mark.parametrize("app_config", [{"SESSION_IDLE_MINUTES": 5, "SESSION_MAX_HOURS": 1}])
def test_both_limits_are_configurable(client, carol):
    at(0)
    sign_in(client, "carol")
    at(4)
    assert signed_in(client)
    at(10)
    assert not signed_in(client)


def test_sign_in_rotates_the_csrf_token(client, carol):
    before = csrf_token(client.get("/auth/login").text)
    r = client.post("/auth/login", data={"username": "carol", "password": PASSWORD,
                                         "csrf_token": before})
    assert r.status_code == 302
    after = csrf_token(client.get("/auth/tokens").text)
    assert after != before
    # the token known before sign-in does not carry a signed-in form
    assert client.post("/auth/tokens", data={"label": "x", "csrf_token": before}).status_code == 400
    # the token of the signed-in page does: the token is made and the page redirects to show it
    assert client.post("/auth/tokens", data={"label": "x", "csrf_token": after}).status_code == 303


def test_a_new_sign_in_never_reuses_the_previous_cookie(app, client, carol):
    sign_in(client, "carol")
    first = client.get_cookie(COOKIE).value
    page = client.get("/auth/logout")
    client.post("/auth/logout", data={"csrf_token": csrf_token(page.text)})
    sign_in(client, "carol")
    assert client.get_cookie(COOKIE).value != first


def test_a_disabled_operator_cannot_sign_in(client, carol):
    accounts.disable("carol")
    db.session.commit()
    assert sign_in(client, "carol").status_code == 401
    assert not signed_in(client)
