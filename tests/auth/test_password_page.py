"""An operator changes their own password on the dashboard: the current one is asked for,
mistakes come back beside the field, other sessions end, this one stays, API tokens keep
working, and guessing the current password is throttled like sign-in."""
import pytest

from tests.builders import PASSWORD, ApiUser, api_token, csrf_token, operator, sign_in

NEW = "a much better passphrase"


def change(client, current, new, again=None):
    page = client.get("/auth/password")
    assert page.status_code == 200
    return client.post("/auth/password", data={
        "current": current, "new": new, "again": new if again is None else again,
        "csrf_token": csrf_token(page.text)})


def test_a_changed_password_signs_in_and_the_old_one_does_not(app, signed_in):
    r = change(signed_in, PASSWORD, NEW)
    assert r.status_code == 303 and r.headers["Location"] == "/auth/password"
    assert "Your password is changed" in signed_in.get("/auth/password").text
    assert signed_in.get("/auth/tokens").status_code == 200  # this session stays
    assert sign_in(app.test_client(), "alice", PASSWORD).status_code == 401
    assert sign_in(app.test_client(), "alice", NEW).status_code == 302


def test_other_sessions_end_and_api_tokens_keep_working(app, signed_in):
    app.config["AUTH_MODE"] = "token"
    token = api_token("alice")
    other = app.test_client()
    assert sign_in(other, "alice").status_code == 302
    assert other.get("/auth/tokens").status_code == 200
    assert change(signed_in, PASSWORD, NEW).status_code == 303
    assert other.get("/auth/tokens").status_code == 302  # back to the sign-in page
    assert ApiUser(app.test_client(), "alice", token=token).get("/v1/jobs").status_code == 200


@pytest.mark.parametrize("current,new,again,field,message", [
    ("not it at all", NEW, NEW, "current", "This is not your current password."),
    (PASSWORD, NEW, NEW + "x", "again", "The two new passwords differ."),
    (PASSWORD, "short", "short", "new", "at least"),
    ("", NEW, NEW, "current", "This field is required."),
])
def test_mistakes_come_back_beside_the_field_and_change_nothing(app, signed_in, current, new,
                                                                 again, field, message):
    r = change(signed_in, current, new, again)
    assert r.status_code == 400
    assert f'id="{field}-error"' in r.text and message in r.text
    assert NEW not in r.text and PASSWORD not in r.text  # no password echoed back
    assert sign_in(app.test_client(), "alice", PASSWORD).status_code == 302


@pytest.mark.parametrize("app_config", [{"LOGIN_LIMIT_PER_USER": "3 per minute"}])
def test_guessing_the_current_password_is_throttled(app, signed_in):
    for _ in range(3):
        assert change(signed_in, "guess", NEW).status_code == 400
    r = change(signed_in, PASSWORD, NEW)  # even the right one, until the window passes
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text
    # the same counter as sign-in's: guesses here use up that operator's sign-ins too
    assert sign_in(app.test_client(), "alice", PASSWORD).status_code == 429
    assert still_the_password(PASSWORD)


def still_the_password(password):
    from app.auth import accounts, passwords
    return passwords.verify(accounts.find("alice").password_hash, password)


def test_the_page_needs_a_signed_in_operator_and_csrf(app, client, signed_in):
    assert client.application.test_client().get("/auth/password").status_code == 302
    r = signed_in.post("/auth/password", data={"current": PASSWORD, "new": NEW, "again": NEW})
    assert r.status_code == 400
    assert sign_in(app.test_client(), "alice", PASSWORD).status_code == 302
