"""Real parts for the notification tests: an HTTP receiver that checks each webhook's
signature and counts deliveries by idempotency key, and an SMTP server (aiosmtpd)."""
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.extensions import db
from app import clock
from app.services.notify import channels, rules, watcher
from app.services.scope import per_project

T0 = 1795744000
SECRET = "receiver-shared-secret-0123456789"


class Receiver:
    """A webhook receiver on a free loopback port. `answers` is the status codes to give
    first (e.g. [500, 500, 500]), then 200; `hold` makes requests wait until released."""

    def __init__(self, secret=SECRET):
        self.secret = secret
        self.answers: list[int] = []
        self.deliveries: list[dict] = []   # every request that passed the signature check
        self.bad_signatures = 0
        self.hold = threading.Event()
        self.hold.set()
        self.delay = 0.0
        self.check_signature = True
        self.arrived = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stamp = self.headers.get("X-Freezer-Timestamp", "")
                want = "sha256=" + hmac.new(receiver.secret.encode(), stamp.encode() + b"." + body,
                                            hashlib.sha256).hexdigest()
                if receiver.check_signature and \
                        not hmac.compare_digest(want, self.headers.get("X-Freezer-Signature", "")):
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    self.send_response(401)
                    self.end_headers()
                    return
                payload = json.loads(body)
                with receiver.lock:
                    receiver.deliveries.append({"key": self.headers.get("Idempotency-Key"),
                                                "payload": payload})
                    status = receiver.answers.pop(0) if receiver.answers else 200
                receiver.arrived.set()
                receiver.hold.wait(60)
                time.sleep(receiver.delay)
                try:
                    self.send_response(status)
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender is gone (the killed-watcher test)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def keys(self):
        with self.lock:
            return [d["key"] for d in self.deliveries]

    def close(self):
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def app_config():
    # loopback receivers: private targets allowed in these tests (refused by default)
    return {"NOTIFY_ALLOW_PRIVATE": True, "NOTIFY_SEND_TIMEOUT": 5}


@pytest.fixture
def frozen(app):
    clock.freeze(T0)
    yield
    clock.freeze(None)


def at(seconds):
    clock.freeze(T0 + seconds)


def tick():
    stats = watcher.tick()
    db.session.remove()
    return stats


def project(owner):
    """The dashboard's scope for an operator whose project is their own id (the tests')."""
    return per_project(owner, owner)


def webhook_channel(owner, url, name="hook"):
    row = channels.create(project(owner), {"name": name, "kind": "webhook",
                                  "config": {"url": url, "secret": SECRET}})
    db.session.commit()
    return row.pk


def rule(owner, kind, channel_ids, **fields):
    row = rules.create(project(owner), {"name": kind, "kind": kind, "channel_ids": channel_ids,
                               "group_seconds": 60, **fields})
    db.session.commit()
    return row.pk


def wait_for(condition, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
