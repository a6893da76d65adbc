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
