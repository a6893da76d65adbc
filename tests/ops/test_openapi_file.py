"""openapi.json in the repo is the API this code serves: regenerate it with `make openapi`
whenever a route or schema changes (this test fails until then)."""
import json
import os
import re

import pytest

from .conftest import ROOT

FILE = os.path.join(ROOT, "openapi.json")


@pytest.fixture
def app_config():
    return {"AUTH_MODE": "token"}  # as `make openapi` builds it


def test_the_committed_openapi_file_matches_the_code(app):
    served = json.loads(json.dumps(app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
                                   .spec.to_dict()))
    with open(FILE) as fh:
        committed = json.load(fh)
    assert committed == served, "openapi.json is stale: run `make openapi` and commit it"


def test_the_docs_and_the_spec_need_no_identity(client):
    spec = client.get("/v1/openapi.json")
    assert spec.status_code == 200
    assert spec.get_json()["info"]["title"] == "Freezer API"
    docs = client.get("/v1/docs", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert docs.status_code == 200
    page = docs.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/static/swagger-ui/swagger-ui-bundle.js" in assets
    assert all(a.startswith("/static/") for a in assets), assets  # served here: no CDN
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        response = client.get(f"/static/swagger-ui/{asset}")
        assert response.status_code == 200
        response.close()
