"""The real freezer clients against a live server, as a user runs them: our server in
AUTH_MODE=keystone behind keystonemiddleware's auth_token (gunicorn, the wrapped app), a stub
Keystone of the tests' own (keystone_stub.py) that issues the tokens, validates them for
auth_token and publishes the catalog (`backup` = our server), and the clients installed by
`make clients-venv` in venvs of their own (.venv-clients: freezer 19.0.0 and
python-freezerclient 6.5.0; .venv-clients-v1: freezer 18.0.0 and python-freezerclient 6.2.0)."""
import subprocess

import pytest

from tests.clients.harness import CLIENTS_BIN, ROOT, USERS, MakeRun, free_port
from tests.clients.keystone_stub import StubKeystone


@pytest.fixture(scope="session")
def clients_venv():
    """Build (or find up to date) the clients' venvs with the project's own Makefile target;
    skip, saying why, only when the install cannot happen (e.g. no package index)."""
    done = subprocess.run(["make", "--no-print-directory", "-s", "clients-venv"], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        tail = "\n".join(line for line in (done.stdout + done.stderr).splitlines()
                         if not line.startswith("WARNING: Location"))[-1500:]
        pytest.skip(f"the real freezer clients could not be installed (make clients-venv):\n{tail}")
    return CLIENTS_BIN


@pytest.fixture(scope="package")
def keystone():
    with StubKeystone(list(USERS.values())) as stub:
        yield stub


@pytest.fixture(scope="package")
def freezer_api(database_url, keystone, tmp_path_factory):
    """Our server as a user runs it in keystone mode: `make run AUTH_MODE=keystone` (gunicorn
    with the auth_token-wrapped app), [keystone_authtoken] in a freezer.conf pointing at the
    stub; on the test database, emptied. One server for the package: each test module works
    in a project of its own (harness.USERS)."""
    from app import create_app
    from tests.conftest import _base_config, _empty_tables
    app = create_app(_base_config(database_url))
    with app.app_context():
        _empty_tables()
        from app.extensions import db
        db.engine.dispose()

    here = tmp_path_factory.mktemp("freezer-api")
    conf = here / "freezer.conf"
    conf.write_text(f"""[keystone_authtoken]
www_authenticate_uri = {keystone.url}/v3
auth_url = {keystone.url}/v3
auth_type = password
username = freezer
password = freezer-service-pw
project_name = service
user_domain_name = Default
project_domain_name = Default
""")
    port = free_port()
    keystone.backup_url = f"http://127.0.0.1:{port}"
    with MakeRun(port, here / "make-run.log", DATABASE_URL=database_url,
                 KEYSTONE_CONFIG_FILE=str(conf), GUNICORN_WORKERS="2") as server:
        yield server
