"""The watcher as the real process (`flask watcher run`) on the test database: killed in the
middle of a delivery and started again, and two of them at once."""
import os
import secrets
import signal
import subprocess
import sys

import pytest

from app import clock
from app.extensions import db
from app.models import Notice
from app.services.notify import channels, notices

from .conftest import project, wait_for, webhook_channel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def start_watcher(database_url, tmp_path):
    started = []

    def start(name, lease=2.0):
        env = dict(os.environ, DATABASE_URL=database_url, NOTIFY_ALLOW_PRIVATE="1",
                   NOTIFY_LEASE_SECONDS=str(lease), SECRET_KEY=secrets.token_hex(32),
                   FREEZER_API_CONFIG="", FLASK_APP="wsgi")
        with open(tmp_path / f"{name}.log", "w") as log:  # the child keeps its own copy
            process = subprocess.Popen(
                [os.path.join(os.path.dirname(sys.executable), "flask"), "watcher", "run",
                 "--interval", "0.2"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _test_notices(owner, channel_id, count):
    channel = channels.get(project(owner), channel_id)
    made = [notices.new_notice(channel, "test", clock.utcnow()) for _ in range(count)]
    db.session.commit()
    return [n.key for n in made]


def _statuses():
    db.session.remove()
    return [status for (status,) in db.session.query(Notice.status)]


def test_a_watcher_killed_mid_delivery_is_followed_by_one_that_sends_the_same_key(
        app, receiver, start_watcher):
    channel_id = webhook_channel("alice", receiver.url)
    [key] = _test_notices("alice", channel_id, 1)
    receiver.hold.clear()                           # the first request hangs
    first = start_watcher("first")
    assert receiver.arrived.wait(30), "the first watcher never delivered"
    first.kill()                                    # mid-delivery: no answer recorded
    first.wait(10)
    receiver.hold.set()
    assert _statuses() == ["pending"]
    start_watcher("second")
    wait_for(lambda: _statuses() == ["sent"], timeout=30, what="the second delivery")
    assert receiver.keys() == [key, key]            # at least once, under one key
    assert receiver.bad_signatures == 0


def test_two_watchers_never_send_one_notice_twice(app, receiver, start_watcher):
    receiver.delay = 0.05
    channel_id = webhook_channel("alice", receiver.url)
    keys = _test_notices("alice", channel_id, 60)
    start_watcher("one", lease=60)
    start_watcher("two", lease=60)
    wait_for(lambda: _statuses() == ["sent"] * 60, timeout=60, what="60 deliveries")
    assert sorted(receiver.keys()) == sorted(keys)  # each exactly once
