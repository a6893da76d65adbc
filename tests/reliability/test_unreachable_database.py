"""A database host that accepts the TCP connection but never speaks (a hung server, a
black-holing proxy): a request answers 503 JSON after the connect timeout, not never."""
import socket
import threading

import pytest

from app import create_app


@pytest.fixture
def silent_server():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 18156))
    listener.listen(16)  # the kernel completes handshakes; nobody ever answers
    yield listener.getsockname()[1]
    listener.close()


def test_a_silent_database_answers_503_after_the_connect_timeout(silent_server):
    app = create_app({"TESTING": True, "AUTH_MODE": "noauth", "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI":
                          f"mysql+mysqldb://root@127.0.0.1:{silent_server}/freezer"})
    answers = []

    def call():
        r = app.test_client().get("/v1/jobs", headers={"X-User-Id": "alice"})
        answers.append((r.status_code, r.get_json()))

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    caller.join(60)  # a bound for a hang, not a speed check: the timeout is 5 s
    assert answers, "the request was still waiting for the database after 60 s"
    status, body = answers[0]
    assert status == 503 and body["title"] == "Service Unavailable", answers
