"""Behind a load balancer the client's address and scheme come from X-Forwarded-*, but only
when the operator says how many proxies to trust."""
import pytest
from flask import request


@pytest.fixture
def seen(app):
    @app.route("/_test/remote")
    def remote():
        return {"addr": request.remote_addr, "scheme": request.scheme}
    return app.test_client()


HEADERS = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def test_forwarded_headers_are_ignored_by_default(seen):
    answer = seen.get("/_test/remote", headers=HEADERS).get_json()
    assert answer == {"addr": "127.0.0.1", "scheme": "http"}


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXIES": 1}])
def test_one_trusted_proxy_gives_the_real_client(seen):
    answer = seen.get("/_test/remote", headers=HEADERS).get_json()
    assert answer == {"addr": "203.0.113.7", "scheme": "https"}
