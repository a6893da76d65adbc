"""The operator's API tokens page: create (shown once), list (label, created, last used),
revoke; only one's own tokens."""
import re

from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken
from tests.builders import ApiUser, api_token, csrf_token, operator, sign_in


def create(client, label):
    page = client.get("/auth/tokens")
    r = client.post("/auth/tokens", data={"label": label, "csrf_token": csrf_token(page.text)})
    assert r.status_code == 303 and r.headers["Location"] == "/auth/tokens"  # redirect after POST
    r = client.get("/auth/tokens")
    assert r.status_code == 200
    return r, re.search(r'<output id="new-token">([^<]+)</output>', r.text).group(1)


def test_a_new_token_is_shown_once_and_works_on_the_api(app, signed_in):
    app.config["AUTH_MODE"] = "token"
    r, token = create(signed_in, "scheduler on node1")
    assert "shown only once" in r.text
    assert "scheduler on node1" in r.text
    assert token not in signed_in.get("/auth/tokens").text
    api = ApiUser(app.test_client(), "alice", token=token)
    assert api.get("/v1/jobs").status_code == 200


def test_the_list_shows_label_created_and_last_used(app, signed_in):
    app.config["AUTH_MODE"] = "token"
    _, token = create(signed_in, "node1")
    page = signed_in.get("/auth/tokens").text
    assert "node1" in page and "never" in page and "active" in page
    app.test_client().get("/v1/jobs", headers={"X-Auth-Token": token})
    row = db.session.scalar(select(ApiToken))
    db.session.rollback()
    assert row.last_used_at.strftime("%Y-%m-%d %H:%M") in signed_in.get("/auth/tokens").text


def test_revoking_a_token_makes_the_api_refuse_it(app, signed_in):
    app.config["AUTH_MODE"] = "token"
    _, token = create(signed_in, "old laptop")
    token_id = db.session.scalar(select(ApiToken.id))
    db.session.rollback()
    page = signed_in.get("/auth/tokens")
    r = signed_in.post(f"/auth/tokens/{token_id}/revoke",
                       data={"csrf_token": csrf_token(page.text)})
    assert r.status_code == 302
    assert "revoked" in signed_in.get("/auth/tokens").text
    assert app.test_client().get("/v1/jobs", headers={"X-Auth-Token": token}).status_code == 401


def test_an_operator_cannot_revoke_or_see_anothers_token(app, client):
    operator("bob")
    bobs = api_token("bob", "bob's agent")
    token_id = db.session.scalar(select(ApiToken.id))
    db.session.rollback()
    operator("alice", user_id="alice")
    sign_in(client, "alice")
    page = client.get("/auth/tokens")
    assert "bob&#39;s agent" not in page.text and "bob's agent" not in page.text
    r = client.post(f"/auth/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(page.text)})
    assert r.status_code == 404
    assert db.session.scalar(select(ApiToken.revoked_at)) is None
    app.config["AUTH_MODE"] = "token"
    assert app.test_client().get("/v1/jobs", headers={"X-Auth-Token": bobs}).status_code == 200


def test_creating_or_revoking_without_csrf_is_refused(signed_in):
    assert signed_in.post("/auth/tokens", data={"label": "x"}).status_code == 400
    assert db.session.scalar(select(ApiToken)) is None


def test_a_too_long_label_is_refused(signed_in):
    page = signed_in.get("/auth/tokens")
    r = signed_in.post("/auth/tokens", data={"label": "x" * 101,
                                             "csrf_token": csrf_token(page.text)})
    assert r.status_code == 400
    assert db.session.scalar(select(ApiToken)) is None


def test_reloading_after_creating_a_token_makes_no_second_one(app, signed_in):
    """The browser reloads the page it was redirected to: a GET, which shows no token."""
    app.config["AUTH_MODE"] = "token"
    _, token = create(signed_in, "once")
    again = signed_in.get("/auth/tokens")  # the reload
    assert token not in again.text and "shown only once" not in again.text
    assert len(db.session.scalars(select(ApiToken)).all()) == 1
    db.session.rollback()


def test_revoke_asks_first_naming_the_token(app, signed_in):
    app.config["AUTH_MODE"] = "token"
    _, token = create(signed_in, "build server")
    token_id = db.session.scalar(select(ApiToken.id))
    db.session.rollback()
    page = signed_in.get("/auth/tokens").text
    assert f'href="/auth/tokens/{token_id}/revoke">Revoke…</a>' in page
    ask = signed_in.get(f"/auth/tokens/{token_id}/revoke")
    assert ask.status_code == 200 and "Revoke this token?" in ask.text
    assert "build server" in ask.text and "gets 401" in ask.text and "Yes, revoke" in ask.text
    assert db.session.scalar(select(ApiToken.revoked_at)) is None  # asking revoked nothing
    db.session.rollback()
    app.config["AUTH_MODE"] = "token"
    assert app.test_client().get("/v1/jobs", headers={"X-Auth-Token": token}).status_code == 200
    r = signed_in.post(f"/auth/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(ask.text)})
    assert r.status_code == 302
    assert app.test_client().get("/v1/jobs", headers={"X-Auth-Token": token}).status_code == 401


def test_the_plaintext_never_travels_readable_in_the_cookie(app, signed_in):
    """Between the POST and its redirect's GET the session cookie holds the new token sealed:
    decoding the (signed, not encrypted) cookie shows no trace of it."""
    import base64
    import zlib
    from app.auth.sealed import unseal
    page = signed_in.get("/auth/tokens")
    signed_in.post("/auth/tokens", data={"label": "node1", "csrf_token": csrf_token(page.text)})
    cookie = signed_in.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    compressed, payload = cookie.startswith("."), cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    session_json = (zlib.decompress(raw) if compressed else raw).decode()
    r = signed_in.get("/auth/tokens")
    token = re.search(r'<output id="new-token">([^<]+)</output>', r.text).group(1)
    assert token not in session_json
    assert unseal("a" + session_json) is None  # a tampered or foreign value shows nothing


def test_a_sealed_token_is_readable_only_for_a_few_minutes(app):
    from app import clock
    from app.auth import sealed
    start = clock.epoch()
    try:
        with app.test_request_context():
            clock.freeze(start)
            value = sealed.seal("t0ken")
            clock.freeze(start + sealed.READABLE_SECONDS - 5)
            assert sealed.unseal(value) == "t0ken"
            clock.freeze(start + sealed.READABLE_SECONDS + 5)
            assert sealed.unseal(value) is None
            clock.freeze(start)
            app.secret_key = "another key entirely, at least 32 characters long"
            assert sealed.unseal(value) is None
    finally:
        clock.freeze(None)
