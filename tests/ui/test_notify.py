"""Alerts pages: channels and rules through their forms (errors beside the field, nothing
saved), "send test" into the delivery log, open incidents on the overview."""
import re

import pytest

from app.extensions import db
from app.models import Channel, Rule
from app.services.notify import channels, incidents
from tests.notify.conftest import SECRET, Receiver, project


@pytest.fixture
def app_config():
    return {"NOTIFY_ALLOW_PRIVATE": True, "NOTIFY_SEND_TIMEOUT": 5}


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _webhook(ui, url, name="ops hook"):
    return ui.post("/notify/channels/new", {"name": name, "kind": "webhook", "url": url,
                                            "secret": SECRET, "security": "starttls"})


def test_create_a_webhook_channel_send_a_test_and_see_it_in_the_log(ui, receiver):
    r = _webhook(ui, receiver.url)
    assert r.status_code == 302, r.text
    [row] = db.session.query(Channel).all()
    page = ui.get("/notify/channels").text
    assert "ops hook" in page and "/hook" in page and SECRET not in page
    r = ui.post(f"/notify/channels/{row.pk}/test")
    assert r.status_code == 302 and r.headers["Location"] == "/notify/log"
    assert receiver.bad_signatures == 0 and len(receiver.deliveries) == 1
    log = ui.get("/notify/log").text
    assert "Test notice from Freezer" in log and 'data-status="sent"' in log
    assert receiver.keys()[0][:12] in log


def test_a_failed_test_shows_the_error_in_the_log(ui, receiver):
    receiver.answers = [500]
    _webhook(ui, receiver.url)
    [row] = db.session.query(Channel).all()
    ui.post(f"/notify/channels/{row.pk}/test")
    log = ui.get("/notify/log").text
    assert 'data-status="pending"' in log and "HTTP 500" in log


def test_a_webhook_url_that_cannot_work_is_refused_beside_the_field(ui, app):
    app.config["NOTIFY_ALLOW_PRIVATE"] = False
    r = _webhook(ui, "http://127.0.0.1:9/hook")
    assert r.status_code == 400
    assert re.search(r'id="url-error"[^>]*>[^<]*private or local address', r.text)
    assert db.session.query(Channel).count() == 0


def test_smtp_settings_are_checked_beside_each_field(ui):
    r = ui.post("/notify/channels/new", {"name": "mail", "kind": "email", "host": "mail.example.org",
                                         "port": "99999", "security": "starttls",
                                         "sender": "not-an-address", "recipients": "ops@example.org"})
    assert r.status_code == 400
    assert 'id="port-error"' in r.text and 'id="sender-error"' in r.text
    assert 'id="recipients-error"' not in r.text
    assert db.session.query(Channel).count() == 0


def test_rules_create_edit_delete_and_a_bad_threshold(ui, receiver):
    _webhook(ui, receiver.url)
    [channel] = db.session.query(Channel).all()
    r = ui.post("/notify/rules/new", {"name": "silent agents", "kind": "silent_client",
                                      "threshold": "5", "remind_after": "0",
                                      "group_seconds": "60", "factor": "3",
                                      "channel_ids": str(channel.pk), "enabled": "y"})
    assert r.status_code == 400 and 'id="threshold-error"' in r.text
    assert db.session.query(Rule).count() == 0
    r = ui.post("/notify/rules/new", {"name": "silent agents", "kind": "silent_client",
                                      "threshold": "900", "remind_after": "3600",
                                      "group_seconds": "60", "factor": "3",
                                      "channel_ids": str(channel.pk), "enabled": "y"})
    assert r.status_code == 302
    [rule] = db.session.query(Rule).all()
    assert (rule.threshold, rule.remind_after, rule.channel_ids) == (900, 3600, [channel.pk])
    assert "silent agents" in ui.get("/notify/rules").text and "ops hook" in ui.get("/notify/rules").text
    r = ui.post(f"/notify/rules/{rule.pk}/edit", {"version": "1", "name": "silent", "kind": "silent_client",
                                                  "threshold": "1200", "remind_after": "0",
                                                  "group_seconds": "0", "factor": "3"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Rule, rule.pk).threshold == 1200
    # deleting the channel takes it out of every rule
    assert ui.post(f"/notify/channels/{channel.pk}/delete").status_code == 302
    db.session.expire_all()
    assert db.session.get(Rule, rule.pk).channel_ids == []
    assert ui.post(f"/notify/rules/{rule.pk}/delete").status_code == 302
    assert db.session.query(Rule).count() == 0


def test_another_operators_channel_is_not_found(ui, receiver):
    row = channels.create(project("bob"), {"name": "bob's", "kind": "webhook",
                                  "config": {"url": receiver.url, "secret": SECRET}})
    db.session.commit()
    assert ui.get(f"/notify/channels/{row.pk}/edit").status_code == 404
    assert ui.post(f"/notify/channels/{row.pk}/test").status_code == 404
    assert "bob's" not in ui.get("/notify/channels").text
    assert receiver.deliveries == []


def test_open_incidents_are_on_the_overview(ui, alice):
    from app import clock
    from app.services.notify import rules
    rule = rules.create(project("alice"), {"name": "failures", "kind": "run_failed"})
    incidents.Live([rule]).open_one(rule, "job-9", "job job-9 ended fail on client node1",
                                    clock.utcnow())
    db.session.commit()
    page = ui.get("/").text
    assert "Open incidents (1)" in page and "job job-9 ended fail" in page
