"""Shared by the reliability checks: real credentials (an operator's API token)."""
import pytest

from tests.builders import api_token, operator


@pytest.fixture
def app_config():
    return {"AUTH_MODE": "token"}


@pytest.fixture
def api_headers(app):
    """What an agent sends: an API token issued to an operator (AUTH_MODE=token)."""
    with app.app_context():
        operator("mallory", user_id="mallory")
        return {"X-Auth-Token": api_token("mallory", "schemathesis"), "Accept": "application/json"}


# --- live servers: gunicorn (4 workers) on a private MariaDB or a SQLite file ------------

def needs_live_servers():
    """These checks start their own MariaDB and gunicorn, whatever engine the suite runs
    on, so `make test` runs them once: in its first (SQLite) pass."""
    import os
    from bench.fleet_mariadb import available
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("live-server checks start their own MariaDB; make test runs them once, "
                    "in the SQLite pass")
    why = available()
    if why:
        pytest.skip(f"no private MariaDB possible: {why}")


@pytest.fixture(scope="module")
def private_mariadb():
    from bench.fleet_mariadb import PrivateMariaDB
    needs_live_servers()
    with PrivateMariaDB(port=None) as database:  # unix socket only: no port to collide
        yield database


@pytest.fixture(scope="module", params=["mariadb", "sqlite"])
def live_server(request, tmp_path_factory):
    """(base_url, database_url, {user_id: token}) of gunicorn with 4 workers."""
    from bench.fleet_server import Gunicorn, issue_tokens, migrate
    needs_live_servers()
    if request.param == "mariadb":
        url = request.getfixturevalue("private_mariadb").url
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'freezer.sqlite'}"
    migrate(url)
    tokens = issue_tokens(url, ["racer"])
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with Gunicorn(url, 18152, workers=4, log_path=str(log)) as server:
        yield server.base_url, url, tokens
