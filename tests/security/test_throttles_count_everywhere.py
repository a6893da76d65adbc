"""Property 6: failed sign-ins and failed /v1 token checks are counted where every worker
and host sees them (the database, by default, with no extra service). Proven in process
with two apps (two workers' worth of engines) and for real with gunicorn and 2 workers."""
import re
import time

import pytest
import requests
from sqlalchemy import func, select

from app import create_app
from app.extensions import db
from app.models import AuthFailure
from tests.builders import PASSWORD, api_token, csrf_token, operator, sign_in
from .conftest import free_port, fresh_database, gunicorn, migrate, server_env


@pytest.fixture
def app_config():
    return {"AUTH_MODE": "token"}


@pytest.fixture
def carol(app):
    return operator("carol")


def second_worker(app):
    """Another app on the same database: what a second gunicorn worker or host is."""
    other = create_app({**app.config, "SQLALCHEMY_ENGINES": None})
    return other.test_client()


def test_failed_sign_ins_add_up_across_workers(app, client, carol):
    other = second_worker(app)
    for worker in (client, other, client, other, client):
        assert sign_in(worker, "carol", "wrong").status_code == 401
    for worker in (other, client):
        r = sign_in(worker, "carol", "wrong")
        assert r.status_code == 429 and "Too many failed sign-ins" in r.text
        assert 0 < int(r.headers["Retry-After"]) <= 60
    assert sign_in(other, "carol").status_code == 429  # even the right password now


def test_the_count_survives_the_401s_rollback_and_stops_growing_when_refused(app, client, carol):
    for _ in range(12):
        sign_in(client, "carol", "wrong")
    rows = db.session.scalar(select(func.count()).select_from(AuthFailure))
    assert rows == 10  # 5 per (address, username), 5 per address; refused tries add none


def test_the_window_moves_on(app, client, carol):
    from app import clock
    start = time.time()
    clock.freeze(start)
    for _ in range(5):
        sign_in(client, "carol", "wrong")
    assert sign_in(client, "carol").status_code == 429
    clock.freeze(start + 61)
    assert sign_in(client, "carol").status_code == 302


def _v1(client, token, address):
    return client.get("/v1/jobs", headers={"X-Auth-Token": token},
                      environ_base={"REMOTE_ADDR": address})


@pytest.mark.parametrize("app_config", [{"AUTH_MODE": "token",
                                          "API_TOKEN_LIMIT_PER_ADDRESS": "10 per minute"}])
def test_failed_token_checks_are_throttled_per_address_across_workers(app, client, carol):
    good = api_token("carol")
    other = second_worker(app)
    for i in range(10):
        assert _v1(client if i % 2 else other, f"wrong-{i}", "192.0.2.7").status_code == 401
    refused = _v1(client, "wrong-again", "192.0.2.7")
    assert refused.status_code == 429
    assert refused.get_json()["code"] == 429 and int(refused.headers["Retry-After"]) > 0
    assert _v1(other, "wrong-again", "192.0.2.7").status_code == 429
    assert _v1(client, "wrong", "192.0.2.8").status_code == 401   # another address
    assert _v1(client, good, "192.0.2.7").status_code == 200      # a right token still works


def test_a_request_without_any_token_is_not_a_failed_check(app, client, carol):
    for _ in range(40):
        assert client.get("/v1/jobs").status_code == 401
    assert db.session.scalar(select(func.count()).select_from(AuthFailure)) == 0


@pytest.mark.parametrize("app_config", [{"AUTH_MODE": "token",
                                          "RATELIMIT_STORAGE_URI": "memory://"}])
def test_another_storage_can_hold_the_counts(app, client, carol):
    """The `limits` storages (redis://, memory://) stay an option."""
    for _ in range(5):
        assert sign_in(client, "carol", "wrong").status_code == 401
    assert sign_in(client, "carol", "wrong").status_code == 429
    assert db.session.scalar(select(func.count()).select_from(AuthFailure)) == 0


# --- the review's request: 2 gunicorn workers, 10 wrong passwords in a minute -----------------

@pytest.fixture(scope="module")
def gunicorn_two_workers(tmp_path_factory):
    """gunicorn.conf.py with 2 workers on a fresh database; the access log names the worker
    (pid) that answered each request."""
    tmp_path = tmp_path_factory.mktemp("throttle")
    with fresh_database(tmp_path) as url:
        migrate(url)
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x" * 32})
        with app.app_context():
            for name in ("u0", "u1", "u2", "u3", "u4"):
                operator(name)
            db.engine.dispose()
        port, log_path = free_port(), tmp_path / "access.log"
        with gunicorn(server_env(url, AUTH_MODE="token"), tmp_path / "gunicorn.sock",
                      tmp_path / "gunicorn.log", workers=2,
                      extra=("--bind", f"127.0.0.1:{port}", "--access-logfile", str(log_path),
                             "--access-logformat", "%(p)s %(m)s %(U)s %(s)s")):
            yield f"http://127.0.0.1:{port}", log_path


def _workers_that_refused_or_failed(log_path, since: int) -> set[str]:
    lines = log_path.read_text().splitlines()[since:]
    return {m.group(1) for m in (re.match(r"<(\d+)> POST /auth/login (401|429)", l) for l in lines)
            if m}


def test_ten_wrong_passwords_through_two_gunicorn_workers_are_refused_past_the_limit(
        gunicorn_two_workers):
    base, log_path = gunicorn_two_workers
    for username in ("u0", "u1", "u2", "u3", "u4"):  # until both workers took part
        since = len(log_path.read_text().splitlines()) if log_path.exists() else 0
        answers = []
        for _ in range(10):
            with requests.Session() as browser:  # a new connection each time
                page = browser.get(f"{base}/auth/login", timeout=10)
                r = browser.post(f"{base}/auth/login", timeout=10, headers={"Connection": "close"},
                                 data={"username": username, "password": "wrong",
                                       "csrf_token": csrf_token(page.text)})
                answers.append(r.status_code)
        time.sleep(0.5)  # the access log is written after each response
        assert answers == [401] * 5 + [429] * 5, answers
        if len(_workers_that_refused_or_failed(log_path, since)) == 2:
            with requests.Session() as browser:  # the right password is refused too
                page = browser.get(f"{base}/auth/login", timeout=10)
                r = browser.post(f"{base}/auth/login", timeout=10, allow_redirects=False,
                                 data={"username": username, "password": PASSWORD,
                                       "csrf_token": csrf_token(page.text)})
            assert r.status_code == 429
            return
    pytest.fail("one gunicorn worker served every sign-in of five rounds:\n" + log_path.read_text()[-2000:])
