"""The dashboard shows the operator's project: every user's documents in it, with who wrote
each; another project's documents never; admins may switch project (DECISIONS.md)."""
import pytest

from tests.builders import ApiUser, action_body, backup_body, client_body, job_body, operator, \
    sign_in

from .conftest import Operator


@pytest.fixture
def team_docs(app, client):
    """ann and ben (noauth agents) write into project "team"; eve into "other"."""
    ann = ApiUser(client, "ann", project_id="team")
    ben = ApiUser(client, "ben", project_id="team")
    eve = ApiUser(client, "eve", project_id="other")
    ann.post("/v2/team/clients/", client_body())
    docs = {"ann_job": ann.post("/v2/team/jobs/", job_body(description="ann's job"))
            .get_json()["job_id"],
            "ben_job": ben.post("/v1/jobs/", job_body(description="ben's job"))
            .get_json()["job_id"],
            "eve_job": eve.post("/v2/other/jobs/", job_body(description="eve's job"))
            .get_json()["job_id"]}
    ben.post("/v1/actions/", action_body(backup_name="ben-action"))
    ben.post("/v2/team/backups/", backup_body(backup_name="ben-backup"))
    ann.post("/v2/team/sessions/", {"schedule": {}, "description": "ann's session"})
    return docs


def signed_in_as(app, client, username, **account):
    with app.app_context():
        operator(username, **account)
    assert sign_in(client, username).status_code == 302
    return Operator(client)


def test_an_operator_sees_the_projects_documents_with_their_writers(app, client, team_docs):
    dora = signed_in_as(app, client, "dora", project_id="team")
    jobs = dora.get("/jobs").text
    assert "ann&#39;s job" in jobs and "ben&#39;s job" in jobs and "eve&#39;s job" not in jobs
    assert "<code>ann</code>" in jobs and "<code>ben</code>" in jobs
    assert dora.get(f"/jobs/{team_docs['ann_job']}").status_code == 200
    assert dora.get(f"/jobs/{team_docs['eve_job']}").status_code == 404
    assert "<code>ben</code>" in dora.get("/actions").text
    assert "<code>ben</code>" in dora.get("/backups").text
    assert "<code>ann</code>" in dora.get("/clients").text
    assert "<code>ann</code>" in dora.get("/sessions").text
    assert "project <code>team</code>" in jobs


def test_another_projects_operator_sees_none_of_it(app, client, team_docs):
    erin = signed_in_as(app, client, "erin")
    jobs = erin.get("/jobs").text
    assert "ann&#39;s job" not in jobs and "ben&#39;s job" not in jobs
    assert erin.get(f"/jobs/{team_docs['ann_job']}").status_code == 404
    assert "ben-backup" not in erin.get("/backups").text
    # only admins switch project
    assert erin.post("/project", {"project_id": "team"}).status_code == 403
    assert "ann&#39;s job" not in erin.get("/jobs").text


def test_an_admin_switches_project_and_back(app, client, team_docs):
    root = signed_in_as(app, client, "root", is_admin=True)
    assert "ann&#39;s job" not in root.get("/jobs").text
    assert root.post("/project", {"project_id": "team", "next": "/jobs"}).status_code == 302
    jobs = root.get("/jobs").text
    assert "ann&#39;s job" in jobs and "project <code>team</code>" in jobs
    assert root.get(f"/jobs/{team_docs['ann_job']}").status_code == 200
    assert root.post("/project", {"project_id": "bad project"}).status_code == 302
    assert "ann&#39;s job" in root.get("/jobs").text  # a malformed id changes nothing
    root.post("/project", {"project_id": ""})
    assert "ann&#39;s job" not in root.get("/jobs").text
