"""Dashboard tests: the test client signed in as operator alice (owner id "alice", the same
owner as the `alice` API caller), forms posted with the page's CSRF token."""
import pytest

from tests.builders import csrf_token

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
HTMX = {**BROWSER, "HX-Request": "true"}


class Operator:
    def __init__(self, client):
        self.client = client
        self._token = None

    def get(self, url, htmx=False, **kw):
        return self.client.get(url, headers=HTMX if htmx else BROWSER, **kw)

    def token(self):
        if self._token is None:
            self._token = csrf_token(self.get("/actions").text)
        return self._token

    def post(self, url, data=None, htmx=False, csrf=True):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token())
        return self.client.post(url, data=data, headers=HTMX if htmx else BROWSER)


@pytest.fixture
def ui(signed_in):
    return Operator(signed_in)
