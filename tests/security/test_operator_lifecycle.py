"""Property 7: operators can be disabled, enabled and deleted, and all their tokens revoked
at once; their sessions and tokens stop at once. From the CLI and from the dashboard's
admin page (administrators only, CSRF-checked, asked first)."""
import pytest

from app.auth import accounts
from app.extensions import db
from tests.builders import api_token, csrf_token, operator, sign_in


@pytest.fixture
def app_config():
    return {"AUTH_MODE": "token"}


@pytest.fixture
def carol(app):
    operator("root", is_admin=True)
    operator("carol")
    return api_token("carol", "node1"), api_token("carol", "node2")


def cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    db.session.remove()  # the command committed in its own session
    return result


def api_ok(client, token) -> bool:
    return client.get("/v1/jobs", headers={"X-Auth-Token": token}).status_code == 200


def dashboard_ok(client) -> bool:
    return client.get("/auth/tokens").status_code == 200


@pytest.fixture
def carol_signed_in(app, carol):
    browser = app.test_client()
    assert sign_in(browser, "carol").status_code == 302
    return browser


def test_disable_stops_sessions_and_tokens_at_once_and_enable_brings_tokens_back(
        app, client, carol, carol_signed_in):
    node1, node2 = carol
    assert api_ok(client, node1) and dashboard_ok(carol_signed_in)
    result = cli(app, "users", "disable", "carol")
    assert result.exit_code == 0, result.output
    assert not api_ok(client, node1) and not api_ok(client, node2)
    assert not dashboard_ok(carol_signed_in)
    assert sign_in(app.test_client(), "carol").status_code == 401
    assert "disabled" in cli(app, "users", "list").output
    assert cli(app, "users", "enable", "carol").exit_code == 0
    assert api_ok(client, node1)
    assert not dashboard_ok(carol_signed_in)  # an ended session stays ended


def test_delete_removes_the_account_its_tokens_and_sessions_but_not_its_documents(
        app, client, carol, carol_signed_in):
    node1, _ = carol
    client.post("/v1/clients", json={"client_id": "c1", "hostname": "h"},
                headers={"X-Auth-Token": node1})
    owner = accounts.get("carol").user_id
    assert cli(app, "users", "delete", "carol").exit_code == 1  # asks first; no answer: no
    assert api_ok(client, node1)
    result = cli(app, "users", "delete", "carol", "--yes")
    assert result.exit_code == 0, result.output
    assert accounts.find("carol") is None
    assert not api_ok(client, node1) and not dashboard_ok(carol_signed_in)
    operator("carol2", user_id=owner)
    assert client.get("/v1/clients/c1",
                      headers={"X-Auth-Token": api_token("carol2")}).status_code == 200


def test_revoke_all_tokens_of_one_operator(app, client, carol):
    node1, node2 = carol
    other = api_token("root")
    result = cli(app, "tokens", "revoke", "--all", "carol")
    assert result.exit_code == 0 and "2 tokens of carol revoked" in result.output
    assert not api_ok(client, node1) and not api_ok(client, node2)
    assert api_ok(client, other)
    assert cli(app, "tokens", "revoke").exit_code != 0  # neither an id nor --all


def test_the_last_active_administrator_cannot_be_disabled_or_deleted(app, carol):
    for args in (("users", "disable", "root"), ("users", "delete", "root", "--yes")):
        result = cli(app, *args)
        assert result.exit_code == 1 and "last active administrator" in result.output
    operator("root2", is_admin=True)
    assert cli(app, "users", "disable", "root").exit_code == 0


def test_unknown_operators_are_an_error_not_a_traceback(app, carol):
    for args in (("users", "disable", "nobody"), ("users", "enable", "nobody"),
                 ("users", "delete", "nobody", "--yes"), ("tokens", "revoke", "--all", "nobody")):
        result = cli(app, *args)
        assert result.exit_code == 1 and "nobody" in result.output


# --- the admin page ----------------------------------------------------------------------------

@pytest.fixture
def admin(app, carol):
    browser = app.test_client()
    assert sign_in(browser, "root").status_code == 302
    return browser


@pytest.mark.parametrize("action", ["disable", "enable", "revoke-tokens", "delete"])
def test_the_admin_page_is_for_administrators_only(carol_signed_in, action):
    assert carol_signed_in.get("/admin/operators").status_code == 403
    url = f"/admin/operators/carol/{action}"
    assert carol_signed_in.get(url).status_code == 403
    token = csrf_token(carol_signed_in.get("/auth/tokens").text)
    assert carol_signed_in.post(url, data={"csrf_token": token}).status_code == 403
    assert accounts.find("carol").disabled_at is None


def test_an_administrator_disables_after_confirming_with_csrf(app, client, admin, carol,
                                                              carol_signed_in):
    page = admin.get("/admin/operators")
    assert page.status_code == 200 and 'id="operator-carol"' in page.text
    confirm = admin.get("/admin/operators/carol/disable")
    assert confirm.status_code == 200 and "Yes, disable" in confirm.text
    assert accounts.find("carol").disabled_at is None  # asking changes nothing
    assert admin.post("/admin/operators/carol/disable").status_code == 400  # no CSRF token
    r = admin.post("/admin/operators/carol/disable", data={"csrf_token": csrf_token(confirm.text)})
    assert r.status_code == 302 and r.headers["Location"] == "/admin/operators"
    assert not api_ok(client, carol[0]) and not dashboard_ok(carol_signed_in)
    assert "disabled" in admin.get("/admin/operators").text


@pytest.mark.parametrize("action", ["revoke-tokens", "delete"])
def test_an_administrator_revokes_tokens_or_deletes(app, client, admin, carol, action):
    confirm = admin.get(f"/admin/operators/carol/{action}")
    admin.post(f"/admin/operators/carol/{action}", data={"csrf_token": csrf_token(confirm.text)})
    assert not api_ok(client, carol[0]) and not api_ok(client, carol[1])
    assert (accounts.find("carol") is None) == (action == "delete")


def test_an_administrator_cannot_disable_themselves_on_the_page(admin):
    confirm = admin.get("/admin/operators/root/disable")
    assert confirm.status_code == 302
    token = csrf_token(admin.get("/admin/operators").text)
    admin.post("/admin/operators/root/disable", data={"csrf_token": token})
    assert accounts.find("root").disabled_at is None and dashboard_ok(admin)


def test_unknown_operator_or_action_is_404(admin):
    assert admin.get("/admin/operators/nobody/disable").status_code == 404
    assert admin.get("/admin/operators/carol/promote").status_code == 404
