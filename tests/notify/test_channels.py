"""Each kind of channel against a real receiver (SMTP with STARTTLS and AUTH by aiosmtpd,
Apprise's json:// to an HTTP receiver), and settings that cannot work refused with the
reason beside the field."""
import socket
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from app import clock
from app.extensions import db
from app.models import Notice
from app.services.errors import BadRequest
from app.services.notify import channels, delivery, notices

from .conftest import SECRET, project

ALICE = project("alice")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append((envelope.rcpt_tos, envelope.content.decode(),
                              session.authenticated))
        return "250 OK"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return str(cert), str(key)


@pytest.fixture
def smtp(certificate):
    import ssl
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    mailbox = Mailbox()

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"backup" and auth_data.password == b"s3cret-pass"
        return AuthResult(success=ok)

    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port(),
                            tls_context=context, require_starttls=True,
                            authenticator=authenticate, auth_require_tls=True)
    controller.start()
    yield controller.port, mailbox
    controller.stop()


@pytest.fixture
def app_config(certificate):
    return {"NOTIFY_ALLOW_PRIVATE": True, "NOTIFY_SEND_TIMEOUT": 5,
            "NOTIFY_SMTP_CAFILE": certificate[0]}


def _deliver(channel):
    notice = notices.new_notice(channel, "test", clock.utcnow())
    db.session.flush()
    error = delivery.send_now(notice, channel)
    db.session.commit()
    return notice, error


def test_email_over_starttls_with_auth_reaches_the_mailbox(app, smtp):
    port, mailbox = smtp
    channel = channels.create(ALICE, {"name": "ops mail", "kind": "email", "config": {
        "host": "127.0.0.1", "port": port, "security": "starttls", "username": "backup",
        "password": "s3cret-pass", "sender": "freezer@example.org",
        "recipients": "ops@example.org, oncall@example.org"}})
    notice, error = _deliver(channel)
    assert error is None
    [(recipients, content, authenticated)] = mailbox.messages
    assert recipients == ["ops@example.org", "oncall@example.org"] and authenticated
    assert f"X-Freezer-Idempotency-Key: {notice.key}" in content
    assert "Subject: Test notice from Freezer" in content
    assert db.session.get(Notice, notice.pk).status == "sent"
    assert notice.target == "ops mail: ops@example.org, oncall@example.org"


def test_a_wrong_smtp_password_is_a_failed_try_with_the_reason(app, smtp):
    app.config["NOTIFY_SEND_TIMEOUT"] = 2  # aiosmtpd holds a refused login's answer back
    port, mailbox = smtp
    channel = channels.create(ALICE, {"name": "ops mail", "kind": "email", "config": {
        "host": "127.0.0.1", "port": port, "security": "starttls", "username": "backup",
        "password": "wrong", "sender": "freezer@example.org", "recipients": "ops@example.org"}})
    notice, error = _deliver(channel)
    assert error.startswith("SMTP") and mailbox.messages == []
    row = db.session.get(Notice, notice.pk)
    assert row.status == "pending" and row.attempts == 1 and row.next_attempt_at > row.created_at


def test_apprise_json_url_posts_to_the_receiver(app, receiver):
    receiver.check_signature = False  # Apprise's own json:// format, unsigned
    port = receiver.server.server_port
    channel = channels.create(ALICE, {"name": "json", "kind": "apprise",
                                        "config": {"url": f"json://127.0.0.1:{port}/hook"}})
    notice, error = _deliver(channel)
    assert error is None
    [delivered] = receiver.deliveries
    assert delivered["payload"]["title"] == "Test notice from Freezer"
    assert notice.key in delivered["payload"]["message"]


def test_a_webhook_test_notice_is_signed(app, receiver):
    channel = channels.create(ALICE, {"name": "hook", "kind": "webhook",
                                        "config": {"url": receiver.url, "secret": SECRET}})
    notice, error = _deliver(channel)
    assert error is None and receiver.bad_signatures == 0
    assert receiver.deliveries[0]["payload"]["type"] == "test"
    assert receiver.deliveries[0]["key"] == notice.key


def _refused(data) -> dict:
    with pytest.raises(BadRequest) as caught:
        channels.create(ALICE, data)
    return caught.value.errors


@pytest.mark.parametrize("config, field, reason", [
    ({"host": "", "port": 587, "sender": "a@b.org", "recipients": "c@d.org"}, "host", "host name"),
    ({"host": "mail", "port": 70000, "sender": "a@b.org", "recipients": "c@d.org"}, "port", "1 to 65535"),
    ({"host": "mail", "port": 25, "security": "tls9", "sender": "a@b.org", "recipients": "c@d.org"},
     "security", "starttls"),
    ({"host": "mail", "port": 25, "security": "none", "username": "u", "password": "p",
      "sender": "a@b.org", "recipients": "c@d.org"}, "security", "in clear"),
    ({"host": "mail", "port": 587, "username": "u", "sender": "a@b.org", "recipients": "c@d.org"},
     "password", "password"),
    ({"host": "mail", "port": 587, "sender": "nobody", "recipients": "c@d.org"}, "sender", "From"),
    ({"host": "mail", "port": 587, "sender": "a@b.org", "recipients": "c@d.org, oops"},
     "recipients", "oops"),
])
def test_smtp_settings_that_cannot_work_are_refused_beside_the_field(app, config, field, reason):
    errors = _refused({"name": "m", "kind": "email", "config": config})
    assert reason in errors[field]


def test_an_apprise_url_it_does_not_understand_is_refused(app):
    assert "Apprise does not understand" in _refused(
        {"name": "a", "kind": "apprise", "config": {"url": "slack://only-one-part"}})["url"]
    assert "Apprise does not understand" in _refused(
        {"name": "a", "kind": "apprise", "config": {"url": "nosuchservice://x/y"}})["url"]


def test_a_webhook_that_is_no_http_url_is_refused(app):
    assert "http://" in _refused({"name": "w", "kind": "webhook",
                                  "config": {"url": "ftp://example.org/x"}})["url"]


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/hook", "http://10.1.2.3/hook",
                                 "http://169.254.169.254/latest/meta-data", "http://[::1]/x",
                                 "http://localhost/hook"])
def test_private_webhook_targets_are_refused_by_default(app, url):
    app.config["NOTIFY_ALLOW_PRIVATE"] = False
    assert "private or local address" in _refused(
        {"name": "w", "kind": "webhook", "config": {"url": url}})["url"]


def test_the_allow_list_lets_one_private_network_through(app):
    app.config["NOTIFY_ALLOW_PRIVATE"] = False
    app.config["NOTIFY_WEBHOOK_ALLOW"] = "10.1.0.0/16"
    row = channels.create(ALICE, {"name": "w", "kind": "webhook",
                                    "config": {"url": "http://10.1.2.3/hook"}})
    assert len(row.config["secret"]) == 64  # generated when none is given
    assert "private" in _refused({"name": "w", "kind": "webhook",
                                  "config": {"url": "http://10.2.0.1/hook"}})["url"]


def test_a_refused_target_is_checked_again_at_delivery(app, receiver):
    channel = channels.create(ALICE, {"name": "hook", "kind": "webhook",
                                        "config": {"url": receiver.url, "secret": SECRET}})
    app.config["NOTIFY_ALLOW_PRIVATE"] = False   # the policy changed since it was saved
    _notice, error = _deliver(channel)
    assert error.startswith("target refused") and receiver.deliveries == []
