"""Lost updates: every edit form (action, notification rule and channel; the session and
job schedule editors have their own tests) carries the version it was filled from; a save
from a stale tab is refused (409) with the values stored now and a message, nothing is
written; a form posted without its version is refused too."""
import re

import pytest

from app.extensions import db
from app.models import Channel, Rule
from tests.builders import action_body
from tests.notify.conftest import SECRET, Receiver


@pytest.fixture
def app_config():
    return {"NOTIFY_ALLOW_PRIVATE": True}


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _version(page: str) -> str:
    found = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    assert found, "the edit form carries the record's version"
    return found.group(1)


def _two_tabs(ui, url, first, second, kept, lost):
    """Both tabs open the form; the first saves; the second is refused and shows `kept`."""
    version = _version(ui.get(url).text)
    assert ui.post(url, {**first, "version": version}).status_code == 302
    r = ui.post(url, {**second, "version": version})
    assert r.status_code == 409
    assert re.search(r"Not saved: this \w+ was changed elsewhere \(it is now at version "
                     rf"{int(version) + 1}\)", r.text)
    assert kept in r.text and lost not in r.text
    assert ui.post(url, second).status_code == 409  # no version: not saved blind either
    return r


ACTION = {"name": "data", "action": "backup", "mode": "fs", "container": "/srv/backups",
          "path_to_backup": "/srv/data"}


def test_a_stale_action_save_is_refused(ui, alice):
    action_id = alice.create("actions", action_body())
    _two_tabs(ui, f"/actions/{action_id}/edit", {**ACTION, "backup_name": "first-tab"},
              {**ACTION, "backup_name": "second-tab"}, 'value="first-tab"', "second-tab")
    stored = alice.get(f"/v1/actions/{action_id}").get_json()
    assert stored["freezer_action"]["backup_name"] == "first-tab" and stored["_version"] == 2


RULE = {"kind": "silent_client", "threshold": "900", "remind_after": "0",
        "group_seconds": "60", "factor": "3", "enabled": "y"}


def test_a_stale_rule_save_is_refused(ui):
    assert ui.post("/notify/rules/new", {**RULE, "name": "silent"}).status_code == 302
    [rule] = db.session.query(Rule).all()
    _two_tabs(ui, f"/notify/rules/{rule.pk}/edit", {**RULE, "name": "first tab"},
              {**RULE, "name": "second tab"}, 'value="first tab"', "second tab")
    db.session.expire_all()
    assert db.session.get(Rule, rule.pk).name == "first tab"


def test_the_watcher_noticing_does_not_make_a_rule_form_stale(ui):
    """Only operators' saves move the version: the watcher's last_notice_at does not."""
    from app import clock
    ui.post("/notify/rules/new", {**RULE, "name": "silent"})
    [rule] = db.session.query(Rule).all()
    version = _version(ui.get(f"/notify/rules/{rule.pk}/edit").text)
    rule.last_notice_at = clock.utcnow()
    db.session.commit()
    r = ui.post(f"/notify/rules/{rule.pk}/edit", {**RULE, "name": "renamed", "version": version})
    assert r.status_code == 302


def test_a_stale_channel_save_is_refused(ui, receiver):
    hook = {"kind": "webhook", "url": receiver.url, "secret": SECRET, "security": "starttls"}
    assert ui.post("/notify/channels/new", {**hook, "name": "hook"}).status_code == 302
    [channel] = db.session.query(Channel).all()
    _two_tabs(ui, f"/notify/channels/{channel.pk}/edit", {**hook, "name": "first tab"},
              {**hook, "name": "second tab"}, 'value="first tab"', "second tab")
    db.session.expire_all()
    assert db.session.get(Channel, channel.pk).name == "first tab"
