"""freezer-manage import --from URL against recorded answers of the original (the documents the
real 18.0.0 (v1) and 19.0.0 (v2) scheduler traffic read, tests/fixtures/agent-traffic), served
in a different order at every request: the import is complete anyway."""
import json
import random
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from app.cli.source_import import KINDS, doc_id_of
from tests.builders import ApiUser

from .conftest import manage

TRAFFIC = Path(__file__).resolve().parent.parent / "fixtures" / "agent-traffic"
HOME = {
    "v1": {"versions": [{"id": "1", "status": "CURRENT", "updated": "2015-03-23T13:45:00",
                         "links": [{"href": "/v1/", "rel": "self"}]}]},
    "v2": {"versions": [{"id": "v2", "status": "CURRENT", "updated": "2018-02-21T13:30:00",
                         "links": [{"href": "/v2/", "rel": "self"}]}]},
}


def recorded_documents(name):
    """Every document the recording shows (list answers and single reads), the last seen per
    id, and the project of a v2 recording."""
    docs = {kind: {} for kind, _key, _id in KINDS}
    project = None
    for line in (TRAFFIC / name).read_text().splitlines():
        entry = json.loads(line)
        if entry["method"] != "GET" or entry["status"] != 200:
            continue
        match = re.match(r"^/v[12]/(?:([^/]+)/)?(clients|actions|jobs|sessions|backups)"
                         r"(/[^/?]+)?/?(\?.*)?$", entry["path"])
        if not match:
            continue
        project = project or match.group(1)
        kind, body = match.group(2), entry["response_body"]
        found = body.get(kind, []) if match.group(3) is None else [body]
        for doc in found:
            doc_id = doc_id_of(kind, doc)
            if doc_id:
                docs[kind][doc_id] = doc
    return docs, project


class Recorded(BaseHTTPRequestHandler):
    version, docs, token = "v1", {}, "recorded-token"

    def log_message(self, *args):
        pass

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/":
            return self._answer(300, HOME[self.version])
        if self.headers.get("X-Auth-Token") != self.token:
            return self._answer(401, {"title": "Unauthorized", "code": 401})
        kind = url.path.rstrip("/").rsplit("/", 1)[-1]
        if kind not in self.docs:
            return self._answer(404, {"title": "Not found", "code": 404})
        query = parse_qs(url.query)
        limit, offset = int(query["limit"][0]), int(query.get("offset", ["0"])[0])
        listed = list(self.docs[kind].values())
        random.shuffle(listed)  # no stable order, as Elasticsearch's lists
        self._answer(200, {kind: listed[offset:offset + limit]})


@pytest.fixture
def recorded():
    servers = []

    def serve(version, docs):
        handler = type("Handler", (Recorded,), {"version": version, "docs": docs})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"
    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("name, version", [("scheduler-18.0.0.jsonl", "v1"),
                                           ("scheduler-19.0.0-v2.jsonl", "v2")])
def test_every_recorded_document_arrives_through_unstable_pages(app, client, database_url,
                                                                recorded, monkeypatch,
                                                                name, version):
    docs, project = recorded_documents(name)
    assert docs["jobs"] and docs["clients"] and docs["backups"]
    # more than a page: 250 jobs in an order that changes at every request
    template = next(iter(docs["jobs"].values()))
    for n in range(250):
        docs["jobs"][f"job{n:04d}"] = dict(template, job_id=f"job{n:04d}")
    # one the original would hold and we refuse: a schedule we cannot read
    docs["jobs"]["badschedule"] = dict(template, job_id="badschedule",
                                       job_schedule={"schedule_interval": "now and then"})
    project = project or "recorded-project"
    url = recorded(version, docs)
    r = manage(database_url, "import", "--from", url, "--token", Recorded.token,
               OS_PROJECT_ID=project)
    assert r.returncode == 0, r.stderr
    assert f"Freezer API {version}" in r.stdout
    # what we refuse is listed with its id and reason, and is not stored (of the recordings
    # themselves nothing: 19.0.0's nulls in the actions it echoes read as absent)
    refused = {(m[0], m[1]) for m in re.findall(r"refused (\w+) (\S+): .+", r.stdout)}
    for kind, found in docs.items():
        n_refused = sum(1 for k, _ in refused if k == kind[:-1])
        assert f"{kind:<9} new {len(found) - n_refused}, updated 0, unchanged 0, kept 0, " \
               f"refused {n_refused}" in r.stdout, r.stdout
    owner = template["user_id"]
    here = ApiUser(client, owner, project_id=project if version == "v2" else owner)
    for kind in ("jobs", "sessions", "actions", "backups", "clients"):
        path = f"/v2/{project}/{kind}?limit=1000" if version == "v2" else \
            f"/v1/{kind}?limit=1000"
        ours = {doc_id_of(kind, d) for d in here.get(path).get_json()[kind]}
        assert ours == set(docs[kind]) - {i for k, i in refused if k == kind[:-1]}, kind
    again = manage(database_url, "import", "--from", url, "--token", Recorded.token,
                   OS_PROJECT_ID=project)
    assert again.returncode == 0 and "new 0, updated 0" in again.stdout, again.stdout
    assert re.search(r"jobs +new 0, updated 0, unchanged 25\d", again.stdout), again.stdout
    assert refused == {("job", "badschedule")}, r.stdout
    assert re.search(r"refused job badschedule: .*schedule_interval", r.stdout), r.stdout
    if version == "v2":  # the exec job whose action 19.0.0 echoes with backup_name null
        nulls = [job_id for job_id, doc in docs["jobs"].items()
                 if doc["job_actions"][0]["freezer_action"].get("backup_name", "") is None]
        assert nulls, "the v2 recording's job with a null backup_name"
        stored = here.get(f"/v2/{project}/jobs/{nulls[0]}").get_json()
        action = stored["job_actions"][0]["freezer_action"]
        assert "backup_name" not in action and action["command"] == "touch /srv/e2e/exec-ran"


def test_a_wrong_token_is_refused_with_a_clear_message(database_url, recorded):
    docs, _ = recorded_documents("scheduler-18.0.0.jsonl")
    r = manage(database_url, "import", "--from", recorded("v1", docs), "--token", "wrong")
    assert r.returncode == 1 and "answered 401: wrong or expired token" in r.stderr
