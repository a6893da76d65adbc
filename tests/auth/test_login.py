"""Dashboard sign-in: passwords checked, `next=` kept on this site, CSRF required, sign-out,
failed attempts throttled, cookie flags."""
import pytest

from tests.builders import PASSWORD, csrf_token, operator, sign_in


@pytest.fixture
def carol(app):
    return operator("carol")


def signed_in_as(client):
    r = client.get("/auth/tokens")
    return r.status_code == 200


def test_right_password_signs_in_and_lands_on_the_dashboard(client, carol):
    r = sign_in(client, "carol")
    assert r.status_code == 302
    assert r.headers["Location"] in ("/", "/auth/tokens")
    assert signed_in_as(client)


@pytest.mark.parametrize("username,password", [("carol", "wrong password"), ("nobody", PASSWORD),
                                               ("carol", ""), ("", PASSWORD),
                                               ("Carol", PASSWORD)])
def test_wrong_credentials_are_refused_alike(client, carol, username, password):
    r = sign_in(client, username, password)
    assert r.status_code == 401
    assert "Wrong username or password." in r.text
    assert PASSWORD not in r.text
    assert not signed_in_as(client)


def test_next_leads_back_to_the_page_asked_for(client, carol):
    r = client.get("/auth/tokens")
    assert r.status_code == 302 and r.headers["Location"].startswith("/auth/login?next=")
    r = sign_in(client, "carol", next="/auth/tokens?x=1")
    assert r.headers["Location"] == "/auth/tokens?x=1"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "\\\\evil.example", "http:evil.example", "javascript:alert(1)",
                                    "/\tevil", "///evil.example", "evil.example",
                                    "https:/evil.example", "/%0d%0aSet-Cookie:x=1"])
def test_next_cannot_leave_the_site(client, carol, target):
    r = sign_in(client, "carol", next=target)
    assert r.status_code == 302
    location = r.headers["Location"]
    assert location in ("/", "/auth/tokens") or (target.startswith("/%") and location == target)
    assert "evil" not in location or location == target


def test_a_form_without_its_csrf_token_is_refused(client, carol):
    client.get("/auth/login")
    r = client.post("/auth/login", data={"username": "carol", "password": PASSWORD})
    assert r.status_code == 400
    assert "CSRF" in r.text
    assert not signed_in_as(client)


def test_a_forged_csrf_token_is_refused(client, carol):
    client.get("/auth/login")
    r = client.post("/auth/login", data={"username": "carol", "password": PASSWORD,
                                         "csrf_token": "forged"})
    assert r.status_code == 400


def test_sign_out_needs_a_post_with_csrf_and_ends_the_session(client, carol):
    sign_in(client, "carol")
    page = client.get("/auth/logout")
    assert page.status_code == 200 and signed_in_as(client)  # a GET only offers the button
    assert client.post("/auth/logout").status_code == 400      # no CSRF token
    assert signed_in_as(client)
    r = client.post("/auth/logout", data={"csrf_token": csrf_token(page.text)})
    assert r.status_code == 302 and r.headers["Location"].startswith("/auth/login")
    assert not signed_in_as(client)


def test_changing_the_password_signs_out_other_sessions(app, client, carol):
    from app.auth import accounts
    from app.extensions import db
    sign_in(client, "carol")
    assert signed_in_as(client)
    accounts.set_password("carol", "a brand new password")
    db.session.commit()
    assert not signed_in_as(client)


def test_repeated_failures_are_throttled_even_for_the_right_password(client, carol):
    for _ in range(5):
        assert sign_in(client, "carol", "wrong password").status_code == 401
    throttled = sign_in(client, "carol", "wrong password")
    assert throttled.status_code == 429
    assert "Too many failed sign-ins" in throttled.text
    assert 0 < int(throttled.headers["Retry-After"]) <= 60
    assert sign_in(client, "carol").status_code == 429
    assert not signed_in_as(client)


def test_successful_sign_ins_are_not_counted(app, carol):
    for _ in range(8):
        assert sign_in(app.test_client(), "carol").status_code == 302


def test_throttling_one_username_leaves_others_alone(client, carol):
    operator("dave")
    for _ in range(6):
        sign_in(client, "carol", "wrong password")
    assert sign_in(client, "dave").status_code == 302


def test_session_cookie_is_httponly_and_samesite(client, carol):
    r = sign_in(client, "carol")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http (development): a Secure cookie would be lost


def test_session_cookie_is_secure_over_https(app, carol):
    client = app.test_client()
    page = client.get("/auth/login", base_url="https://freezer.example")
    r = client.post("/auth/login", base_url="https://freezer.example",
                    headers={"Referer": "https://freezer.example/auth/login"},
                    data={"username": "carol", "password": PASSWORD,
                          "csrf_token": csrf_token(page.text)})
    assert r.status_code == 302
    assert "Secure" in r.headers["Set-Cookie"]
