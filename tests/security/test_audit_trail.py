"""Property 12: an append-only audit trail of security-relevant events (who, when, from
where, through what, what, request id), read on the dashboard and with `flask audit`,
trimmed by `flask audit purge` (AUDIT_KEEP_DAYS). Agents' routine traffic is not in it."""
import time

import pytest
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import AuditEvent
from tests.builders import (action_body, api_token, backup_body, client_body, csrf_token,
                            job_body, operator, sign_in)
from tests.ui.conftest import BROWSER


@pytest.fixture
def app_config():
    return {"AUTH_MODE": "token"}


def events(**where) -> list[AuditEvent]:
    db.session.remove()
    query = select(AuditEvent).order_by(AuditEvent.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return list(db.session.scalars(query))


def names() -> list[str]:
    return [e.event for e in events()]


def clear():
    with db.engine.begin() as connection:
        connection.execute(AuditEvent.__table__.delete())


def test_sign_in_failure_and_sign_out_say_who_when_where_and_which_request(app, client):
    operator("carol")
    clear()
    start = clock.utcnow()
    failed = sign_in(client, "carol", "wrong")
    assert failed.status_code == 401
    ok = sign_in(client, "carol")
    page = client.get("/auth/logout")
    client.post("/auth/logout", data={"csrf_token": csrf_token(page.text)})
    rows = events()
    assert [e.event for e in rows] == ["sign-in.failed", "sign-in", "sign-out"]
    assert [e.actor for e in rows] == ["-", "carol", "carol"]
    assert all(e.target == "carol" and e.via == "dashboard" and e.address == "127.0.0.1"
               and e.at >= start.replace(microsecond=0) for e in rows)
    assert rows[0].request_id == failed.headers["x-openstack-request-id"]
    assert rows[1].request_id == ok.headers["x-openstack-request-id"]


def test_token_create_and_revoke_on_the_dashboard_and_the_cli(app, signed_in):
    clear()
    page = signed_in.get("/auth/tokens")
    signed_in.post("/auth/tokens", data={"label": "node1", "csrf_token": csrf_token(page.text)})
    token_id = events(event="token.create")[0].target
    signed_in.post(f"/auth/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(page.text)})
    runner = app.test_cli_runner()
    runner.invoke(args=["tokens", "create", "alice", "--label", "cli"])
    runner.invoke(args=["tokens", "revoke", "--all", "alice"])
    rows = events()
    assert [(e.event, e.via) for e in rows] == [
        ("token.create", "dashboard"), ("token.revoke", "dashboard"),
        ("token.create", "cli"), ("token.revoke-all", "cli")]
    assert rows[0].actor == "alice" and '"label": "node1"' in rows[0].detail
    assert rows[2].actor.startswith("cli")


def test_account_changes_are_recorded(app):
    runner = app.test_cli_runner()
    for args in (["users", "create", "dave", "--password", "long enough pw"],
                 ["users", "set-password", "dave", "--password", "another long pw"],
                 ["users", "disable", "dave"], ["users", "enable", "dave"],
                 ["users", "delete", "dave", "--yes"]):
        assert runner.invoke(args=args).exit_code == 0
    assert names() == ["account.create", "account.password", "account.disable",
                       "account.enable", "account.delete"]
    assert {e.target for e in events()} == {"dave"}


@pytest.fixture
def docs(alice):
    """One document of each kind, made by the agent (not audited), and their ids."""
    alice.create("clients", client_body())
    ids = {"client": "proj_node1", "action": alice.create("actions", action_body()),
           "job": alice.create("jobs", job_body()),
           "session": alice.create("sessions", {"schedule": {"schedule_interval": "1 days"}})}
    alice.post("/v1/backups", backup_body())
    ids["backup"] = alice.get("/v1/backups").get_json()["backups"][0]["backup_id"]
    clear()
    return ids


@pytest.mark.parametrize("kind", ["client", "action", "job", "session", "backup"])
def test_every_delete_through_the_api_is_recorded(alice, docs, kind):
    r = alice.delete(f"/v1/{kind}s/{docs[kind]}")
    assert r.status_code == 204
    [row] = events()
    assert (row.event, row.target, row.actor, row.via) == (f"{kind}.delete", docs[kind], "alice",
                                                           "api")
    assert row.request_id == r.headers["x-openstack-request-id"]


def test_a_refused_delete_records_nothing(alice, docs):
    assert alice.delete("/v1/jobs/no-such-job").status_code == 404
    assert alice.delete(f"/v1/jobs/{docs['job']}", headers={"If-Match": '"99"'}).status_code == 412
    assert events() == []


def test_deletes_and_job_events_on_the_dashboard_are_recorded(alice, docs, ui):
    ui.token()
    clear()  # the sign-in
    ui.post(f"/jobs/{docs['job']}/event", {"event": "start"})
    ui.post("/backups/delete", {"id": docs["backup"]})
    ui.post(f"/sessions/{docs['session']}/delete")
    rows = events()
    assert [(e.event, e.via, e.actor) for e in rows] == [
        ("job.event", "dashboard", "alice"), ("backup.delete", "dashboard", "alice"),
        ("session.delete", "dashboard", "alice")]
    assert '"requested": "start"' in rows[0].detail


def test_job_events_and_session_changes_through_the_api_are_recorded(alice, docs):
    sid, jid = docs["session"], docs["job"]
    alice.post(f"/v1/jobs/{jid}/event", {"stop": None})
    alice.patch(f"/v1/sessions/{sid}", {"description": "db cluster"})
    alice.post(f"/v1/sessions/{sid}", {"session_tag": 0, "schedule": {}})
    alice.put(f"/v1/sessions/{sid}/jobs/{jid}")
    alice.delete(f"/v1/sessions/{sid}/jobs/{jid}")
    alice.create("sessions", {"schedule": {"schedule_interval": "1 days"}})
    assert names() == ["job.event", "session.patch", "session.replace", "session.add-job",
                       "session.remove-job", "session.create"]


def test_agents_routine_traffic_is_not_recorded(alice, docs):
    sid, jid = docs["session"], docs["job"]
    alice.put(f"/v1/sessions/{sid}/jobs/{jid}")
    clear()
    for _ in range(3):
        alice.get("/v1/jobs?client_id=proj_node1")
        alice.get(f"/v1/jobs/{jid}")
    alice.patch(f"/v1/jobs/{jid}", {"job_schedule": {"status": "running"}})
    alice.post(f"/v1/sessions/{sid}/action", {"start": {"job_id": jid, "current_tag": 0}})
    alice.post(f"/v1/sessions/{sid}/action", {"end": {"job_id": jid, "current_tag": 1,
                                                       "result": "success"}})
    alice.patch(f"/v1/jobs/{jid}", {"job_schedule": {"status": "completed", "result": "success"}})
    alice.post("/v1/backups", backup_body(level=1))
    alice.post("/v1/clients", client_body(client_id="proj_node2", hostname="node2"))
    assert names() == []


def test_the_trail_is_append_only_and_purged_by_retention(app):
    operator("carol")
    start = time.time()
    clock.freeze(start - 400 * 86400)
    app.test_cli_runner().invoke(args=["users", "disable", "carol"])
    clock.freeze(start)
    app.test_cli_runner().invoke(args=["users", "enable", "carol"])
    assert names() == ["account.create", "account.disable", "account.enable"]
    row = events(event="account.disable")[0]
    row.event = "nothing happened"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(events(event="account.disable")[0])
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    result = app.test_cli_runner().invoke(args=["audit", "purge"])  # AUDIT_KEEP_DAYS: 365
    assert result.exit_code == 0 and "deleted 1 audit events" in result.output
    assert names() == ["account.create", "account.enable"]


@pytest.mark.parametrize("app_config", [{"AUTH_MODE": "token", "AUDIT_KEEP_DAYS": 7}])
def test_the_retention_is_configurable(app):
    operator("carol")
    clock.freeze(time.time() - 8 * 86400)
    app.test_cli_runner().invoke(args=["users", "disable", "carol"])
    clock.freeze(None)
    app.test_cli_runner().invoke(args=["audit", "purge"])
    assert "account.disable" not in names()


def test_the_cli_lists_newest_first_with_filters(app):
    operator("carol")
    runner = app.test_cli_runner()
    runner.invoke(args=["users", "disable", "carol"])
    runner.invoke(args=["tokens", "create", "carol"])
    out = runner.invoke(args=["audit", "list"]).output.splitlines()
    assert "token.create" in out[0] and "account.disable" in out[1]
    only = runner.invoke(args=["audit", "list", "--event", "account."]).output
    assert "token.create" not in only and "account.disable" in only


def test_the_dashboard_page_shows_everyone_to_admins_and_their_own_to_others(app, alice, docs,
                                                                           signed_in):
    operator("root", is_admin=True)
    admin = app.test_client()
    sign_in(admin, "root")
    alice.delete(f"/v1/jobs/{docs['job']}")
    mine = signed_in.get("/audit", headers=BROWSER)
    assert mine.status_code == 200 and "job.delete" in mine.text, mine.text
    assert "<td>root</td>" not in mine.text
    everyone = admin.get("/audit", headers=BROWSER).text
    assert "job.delete" in everyone and "sign-in" in everyone
    assert "job.delete" not in admin.get("/audit?actor=root", headers=BROWSER).text
    assert "job.delete" in signed_in.get("/audit?actor=root", headers=BROWSER).text  # own only


@pytest.mark.parametrize("app_config", [{"AUTH_MODE": "token", "NOTIFY_ALLOW_PRIVATE": True}])
def test_deleting_a_notification_channel_is_recorded(ui):
    from app.models.notify import Channel
    r = ui.post("/notify/channels/new", {"name": "hook", "kind": "webhook",
                                         "url": "http://127.0.0.1:9/hook", "secret": "s" * 16,
                                         "security": "starttls"})
    assert r.status_code == 302, r.text
    [pk] = [c.pk for c in db.session.query(Channel).all()]
    db.session.remove()
    clear()
    assert ui.post(f"/notify/channels/{pk}/delete").status_code == 302
    assert [(e.event, e.target, e.actor) for e in events()] == [
        ("notify-channel.delete", str(pk), "alice")]
