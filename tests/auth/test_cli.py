"""`flask users ...` and `flask tokens ...`."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, User


@pytest.fixture
def app_config():
    return {"AUTH_MODE": "token"}


@pytest.fixture
def flask(app):
    runner = app.test_cli_runner()

    def run(*args, input=None):
        result = runner.invoke(args=list(args), input=input)
        db.session.rollback()
        return result
    return run


def test_users_create_list_and_set_password(flask):
    r = flask("users", "create", "carol", "--password", "s3cret-enough")
    assert r.exit_code == 0, r.output
    r = flask("users", "create", "root", "--admin", input="another-secret\nanother-secret\n")
    assert r.exit_code == 0, r.output
    out = flask("users", "list").output
    assert "carol" in out and "root" in out and "yes" in out
    assert "s3cret-enough" not in out
    old = db.session.scalar(select(User.password_hash).where(User.username == "carol"))
    assert flask("users", "set-password", "carol", "--password", "changed-it-now").exit_code == 0
    assert db.session.scalar(select(User.password_hash).where(User.username == "carol")) != old


def test_users_create_refuses_duplicates_short_passwords_and_bad_names(flask):
    assert flask("users", "create", "carol", "--password", "s3cret-enough").exit_code == 0
    for args in (("carol", "--password", "s3cret-enough"), ("dave", "--password", "short"),
                 ("-bad name", "--password", "s3cret-enough")):
        r = flask("users", "create", *args)
        assert r.exit_code != 0 and "Error" in r.output, args
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1
    assert flask("users", "set-password", "nobody", "--password", "whatever1").exit_code != 0


def test_users_create_with_an_existing_owner_id(flask):
    r = flask("users", "create", "demo", "--password", "s3cret-enough",
              "--user-id", "4b7c1e0d9a8f4e6b8c2d1a0f9e8d7c6b")
    assert r.exit_code == 0
    assert db.session.scalar(select(User.user_id)) == "4b7c1e0d9a8f4e6b8c2d1a0f9e8d7c6b"


def test_tokens_create_prints_the_token_alone_on_stdout_and_it_works(flask, client):
    """TOKEN=$(flask tokens create ...) must capture the token and nothing else (a second
    line in the header made gunicorn answer an HTML 400)."""
    flask("users", "create", "carol", "--password", "s3cret-enough")
    r = flask("tokens", "create", "carol", "--label", "node1")
    assert r.exit_code == 0, r.output
    token = r.stdout.rstrip("\n")
    assert len(token) >= 43 and " " not in token and "\n" not in token
    assert "cannot be shown again" in r.stderr and token not in r.stderr
    quiet = flask("tokens", "create", "carol", "--quiet")
    assert quiet.stderr == "" and len(quiet.stdout.strip()) >= 43
    assert client.get("/v1/jobs", headers={"X-Auth-Token": token}).status_code == 200
    out = flask("tokens", "list", "carol").output
    assert "node1" in out and "active" in out and token not in out


def test_tokens_revoke(flask, client):
    flask("users", "create", "carol", "--password", "s3cret-enough")
    token = flask("tokens", "create", "carol").output.splitlines()[-1]
    token_id = db.session.scalar(select(ApiToken.id))
    db.session.rollback()
    assert flask("tokens", "revoke", str(token_id)).exit_code == 0
    assert client.get("/v1/jobs", headers={"X-Auth-Token": token}).status_code == 401
    assert "revoked" in flask("tokens", "list", "carol").output
    assert flask("tokens", "revoke", "999999").exit_code != 0
    assert flask("tokens", "create", "nobody").exit_code != 0


def test_bootstrap_creates_admin_once(flask, client):
    r = flask("users", "bootstrap", "--url", "http://127.0.0.1:9090")
    assert r.exit_code == 0
    assert "http://127.0.0.1:9090/auth/login" in r.output
    password = next(line.split()[-1] for line in r.output.splitlines()
                    if line.strip().startswith("password"))
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    assert admin.is_admin and password not in admin.password_hash
    db.session.rollback()
    again = flask("users", "bootstrap")
    assert again.exit_code == 0 and again.output == ""
    assert db.session.scalar(select(db.func.count()).select_from(User)) == 1
    from tests.builders import sign_in
    assert sign_in(client, "admin", password).status_code == 302


def test_users_create_with_a_project_and_list_shows_it(flask):
    assert flask("users", "create", "olga", "--password", "s3cret-enough", "--project",
                 "ops-team").exit_code == 0
    r = flask("users", "create", "pete", "--password", "s3cret-enough")
    assert r.exit_code == 0 and "project " in r.output
    pete = db.session.scalar(select(User).where(User.username == "pete"))
    assert pete.project_id == pete.user_id  # a project of its own by default
    out = flask("users", "list").output
    assert "PROJECT" in out and "ops-team" in out
    bad = flask("users", "create", "quin", "--password", "s3cret-enough", "--project", "a b")
    assert bad.exit_code != 0 and "project id" in bad.output
