"""/healthz and /readyz: what load balancers and orchestrators rely on."""
import pytest

from app.extensions import db

from .conftest import app_on, migrate


@pytest.fixture
def app_config():
    # token mode, and no token: health checks must not need one
    return {"AUTH_MODE": "token"}


def test_healthz_answers_without_identity(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthcheck_answers_ok_without_identity_as_the_original(client):
    response = client.get("/healthcheck")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == "OK"
    assert client.head("/healthcheck").status_code == 200


def test_readyz_is_200_on_a_database_at_the_newest_migration(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["revision"] == body["expected"]


def test_metrics_need_no_identity_from_an_allowed_address(client):
    assert client.get("/metrics").status_code == 200


def test_the_v1_api_itself_still_needs_identity(client):
    assert client.get("/v1/jobs").status_code == 401


def _get(url, path, **config):
    app = app_on(url, **config)
    try:
        with app.test_client() as client:
            return client.get(path)
    finally:
        with app.app_context():
            db.engine.dispose()


def test_readyz_is_503_with_the_reason_when_the_database_is_unreachable(tmp_path):
    url = f"sqlite:///{tmp_path / 'no-such-dir' / 'db.sqlite'}"
    response = _get(url, "/readyz")
    assert response.status_code == 503
    assert response.get_json()["reason"].startswith("database unreachable")
    assert _get(url, "/healthz").status_code == 200  # alive all the same


def test_readyz_is_503_when_the_mysql_server_does_not_answer():
    response = _get("mysql+mysqldb://freezer@127.0.0.1:1/freezer", "/readyz")
    assert response.status_code == 503
    assert "unreachable" in response.get_json()["reason"]


def test_readyz_is_503_on_an_empty_database(fresh_database_url):
    response = _get(fresh_database_url, "/readyz")
    assert response.status_code == 503
    assert "schema missing" in response.get_json()["reason"]


def test_readyz_is_503_when_the_database_is_behind(fresh_database_url):
    migrate(fresh_database_url, "0001")
    response = _get(fresh_database_url, "/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["revision"] == "0001"
    assert "behind" in body["reason"]
    migrate(fresh_database_url)
    assert _get(fresh_database_url, "/readyz").status_code == 200


def test_readyz_is_503_when_a_newer_release_migrated_the_database(fresh_database_url):
    migrate(fresh_database_url)
    from sqlalchemy import create_engine, text
    engine = create_engine(fresh_database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    response = _get(fresh_database_url, "/readyz")
    assert response.status_code == 503
    assert "unknown to this code" in response.get_json()["reason"]
