"""The nav's search box: jobs, clients, sessions and backups of the operator's project that
match, by identifier prefix or text; another project's documents are never found."""
import re

import pytest

from tests.builders import ApiUser, backup_body, client_body, job_body

from .test_projects import signed_in_as


@pytest.fixture
def two_projects(app, client):
    ann = ApiUser(client, "ann", project_id="team")
    eve = ApiUser(client, "eve", project_id="other")
    for who, project in ((ann, "team"), (eve, "other")):
        who.post(f"/v2/{project}/clients/", client_body(client_id=f"{project}_db1",
                                                        hostname=f"{project}-db1"))
        who.post(f"/v2/{project}/jobs/", job_body(client_id=f"{project}_db1",
                                                  description=f"nightly postgres {project}"))
        who.post(f"/v2/{project}/backups/", backup_body(hostname=f"{project}-db1",
                                                        backup_name=f"pg-{project}"))
        who.post(f"/v2/{project}/sessions/", {"schedule": {},
                                               "description": f"postgres round {project}"})


def _section(html, kind):
    found = re.search(rf'<section id="found-{kind}">(.*?)</section>', html, re.S)
    assert found, kind
    return found.group(1)


def test_search_finds_each_kind_in_the_project_only(app, client, two_projects):
    dora = signed_in_as(app, client, "dora", project_id="team")
    page = dora.get("/search?q=postgres")
    assert page.status_code == 200
    html = page.text
    assert "nightly postgres team" in _section(html, "jobs")
    assert "postgres round team" in _section(html, "sessions")
    assert "postgres other" not in html and "postgres round other" not in html
    # identifiers by prefix: the client and its backups by host name
    by_host = dora.get("/search?q=team-db").text
    assert "team_db1" in _section(by_host, "clients")
    assert "pg-team" in _section(by_host, "backups")
    # the other project's host, searched for by its exact name, is not found
    theirs = dora.get("/search?q=other-db1").text
    for kind in ("jobs", "clients", "sessions", "backups"):
        assert "No " in _section(theirs, kind), kind
    assert "other_db1" not in theirs and "pg-other" not in theirs


def test_search_box_is_on_every_page_and_blank_searches_nothing(ui):
    for url in ("/", "/jobs", "/clients", "/backups", "/sessions"):
        assert 'id="nav-search"' in ui.get(url).text, url
    blank = ui.get("/search?q=").text
    assert 'id="found-jobs"' not in blank and "press <kbd>/</kbd>" in blank


def test_search_wildcards_are_literal(app, client, two_projects):
    dora = signed_in_as(app, client, "dora", project_id="team")
    html = dora.get("/search?q=%25").text   # "%" matches nothing, not everything
    assert "team_db1" not in html and "nightly postgres team" not in html
