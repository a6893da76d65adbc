"""Projects in the data model (DECISIONS.md "Projects and v2"): every document records its
project, ids are unique per project, v1 stays per user, and one owner's documents can be
moved into a project."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Action, Backup, Client, Job, Run, Session, User
from tests.builders import (ApiUser, action_body, api_token, backup_body, client_body,
                            job_body, operator)

MODELS = (Action, Backup, Client, Job, Session)


def project_of(model, doc_id_column, value):
    return db.session.scalar(select(model.project_id).where(doc_id_column == value))


@pytest.fixture
def teammates(app, client):
    """noauth: alice and bob in project "team", carol in her own."""
    return (ApiUser(client, "alice", project_id="team"), ApiUser(client, "bob", project_id="team"),
            ApiUser(client, "carol"))


def test_writes_record_the_callers_project(app, teammates):
    alice, _bob, carol = teammates
    alice.create("clients", client_body())
    job_id = alice.create("jobs", job_body())
    session_id = alice.create("sessions", {"schedule": {}})
    alice.create("backups", backup_body())
    carol_job = carol.create("jobs", job_body())
    with app.app_context():
        assert project_of(Job, Job.job_id, job_id) == "team"
        assert project_of(Session, Session.session_id, session_id) == "team"
        assert project_of(Client, Client.client_id, "proj_node1") == "team"
        assert sorted(db.session.scalars(select(Action.project_id))) == ["carol", "team"]
        assert db.session.scalar(select(Backup.project_id)) == "team"
        assert project_of(Job, Job.job_id, carol_job) == "carol"


def test_v1_stays_per_user_within_a_project(teammates):
    alice, bob, _carol = teammates
    job_id = alice.create("jobs", job_body())
    assert bob.get(f"/v1/jobs/{job_id}").status_code == 404
    assert bob.get("/v1/jobs/").get_json() == {"jobs": []}
    assert bob.patch(f"/v1/jobs/{job_id}", {"description": "x"}).status_code == 404
    assert bob.delete(f"/v1/jobs/{job_id}").status_code == 404
    assert alice.get(f"/v1/jobs/{job_id}").status_code == 200


def test_a_v1_callers_own_id_from_another_project_is_already_existing(app, client):
    """v1 is per user: the same backup or action posted again while the caller's project is
    another is the caller's duplicate (409 already existing), not a new document; another
    user of that project may still use the id."""
    in_team = ApiUser(client, "alice", project_id="team")
    elsewhere = ApiUser(client, "alice", project_id="elsewhere")
    action = dict(action_body(), action_id="nightly")
    assert in_team.post("/v1/actions/", action).status_code == 201
    in_team.create("backups", backup_body())
    for path, body, word in (("/v1/backups/", backup_body(), "Backup data"),
                             ("/v1/actions/", action, "Action")):
        again = elsewhere.post(path, body)
        assert again.status_code == 409, again.text
        assert again.get_json()["description"].startswith(f"{word} already existing"), again.text
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Backup)) == 1
        assert db.session.scalar(select(db.func.count()).select_from(Action)) == 1
    dave = ApiUser(client, "dave", project_id="elsewhere")
    assert dave.post("/v1/backups/", backup_body()).status_code == 201
    assert dave.post("/v1/actions/", action).status_code == 201


def test_an_id_another_user_of_the_project_holds_is_taken_for_v1(teammates):
    alice, bob, carol = teammates
    action = dict(action_body(), action_id="nightly")
    assert alice.post("/v1/actions/", action).status_code == 201
    taken = bob.post("/v1/actions/", action)
    assert taken.status_code == 409 and "taken in project team" in taken.get_json()["description"]
    assert bob.post("/v1/actions/nightly", action_body()).status_code == 409
    alice.create("jobs", job_body())  # materialises its action under a fresh id
    job_id = alice.create("jobs", job_body())
    assert bob.post(f"/v1/jobs/{job_id}", job_body()).status_code == 409
    session_id = alice.create("sessions", {"schedule": {}})
    assert bob.post(f"/v1/sessions/{session_id}", {"schedule": {}, "session_tag": 0}) \
        .status_code == 409
    alice.create("clients", client_body())
    assert bob.post("/v1/clients/", client_body()).status_code == 409
    alice.create("backups", backup_body())
    assert bob.post("/v1/backups/", backup_body()).status_code == 409
    # another project is another namespace
    assert carol.post("/v1/actions/", action).status_code == 201
    assert carol.post("/v1/clients/", client_body()).status_code == 201
    assert carol.post(f"/v1/jobs/{job_id}", job_body()).status_code == 201
    assert carol.post("/v1/backups/", backup_body()).status_code == 201


def test_a_job_echoing_a_teammates_action_id_gets_a_fresh_one(teammates):
    alice, bob, _carol = teammates
    alice.post("/v1/actions/", dict(action_body(), action_id="shared"))
    job_id = bob.create("jobs", job_body(actions=[dict(action_body(), action_id="shared")]))
    stored = bob.get(f"/v1/jobs/{job_id}").get_json()["job_actions"][0]
    assert stored["action_id"] != "shared" and stored["user_id"] == "bob"


@pytest.mark.parametrize("app_config", [{"AUTH_MODE": "token"}])
def test_token_mode_takes_the_project_of_the_account(app, client):
    with app.app_context():
        operator("dora", project_id="ops")
        operator("erin")
        dora = ApiUser(client, "dora", token=api_token("dora"))
        erin = ApiUser(client, "erin", token=api_token("erin"))
    job_id = dora.create("jobs", job_body())
    erin_job = erin.create("jobs", job_body())
    with app.app_context():
        erin_id = db.session.scalar(select(User.user_id).where(User.username == "erin"))
        assert project_of(Job, Job.job_id, job_id) == "ops"
        # an account's own project by default: its user id
        assert project_of(Job, Job.job_id, erin_job) == erin_id


def test_move_owner_moves_every_document_and_run(app, client):
    kay = ApiUser(client, "kay")  # a Keystone user's v1 documents from before projects
    kay.create("clients", client_body())
    job_id = kay.create("jobs", job_body())
    assert kay.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running"}}) \
        .status_code == 200
    kay.create("backups", backup_body())
    kay.create("sessions", {"schedule": {}})
    runner = app.test_cli_runner()
    with app.app_context():
        operator("kayop", user_id="kay")
    result = runner.invoke(args=["projects", "move-owner", "kay", "kproj"])
    assert result.exit_code == 0, result.output
    assert "1 jobs" in result.output and "1 runs" in result.output
    with app.app_context():
        for model in MODELS + (Run, User):
            assert set(db.session.scalars(select(model.project_id))) == {"kproj"}, model
    # v1 still finds them: it reads per user
    assert kay.get(f"/v1/jobs/{job_id}").status_code == 200


def test_move_owner_is_all_or_nothing_when_the_project_holds_an_id(app, client):
    kay, ivy = ApiUser(client, "kay"), ApiUser(client, "ivy", project_id="kproj")
    kay.create("jobs", job_body())
    kay.create("clients", client_body())
    ivy.create("clients", client_body())
    result = app.test_cli_runner().invoke(args=["projects", "move-owner", "kay", "kproj"])
    assert result.exit_code != 0 and "proj_node1" in result.output
    with app.app_context():
        db.session.rollback()
        assert set(db.session.scalars(select(Job.project_id))) == {"kay"}
    bad = app.test_cli_runner().invoke(args=["projects", "move-owner", "kay", "no/slash"])
    assert bad.exit_code != 0
