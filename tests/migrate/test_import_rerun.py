"""A rerun of freezer-manage import --from URL after the switch: what changed here since the
import is kept and listed, what changed only at the source is updated, what changed on
neither side is unchanged; --dry-run says the same and writes nothing."""
from tests.builders import ApiUser

from .conftest import manage
from .test_source_import import source  # noqa: F401 - the live source fixture

ENV = {"OS_PROJECT_ID": "proj-e"}


def run_import(database_url, source, *extra):  # noqa: F811
    r = manage(database_url, "import", "--from", source["url"], f"--token={source['token']}",
               *extra, **ENV)
    assert r.returncode == 0, r.stderr
    return r.stdout


def at_source(source):  # noqa: F811
    app = source["app"]
    http = app.test_client()
    return ApiUser(http, "erin", token=source["token"])


def test_a_change_here_is_kept_and_listed_and_an_untouched_document_follows_the_source(
        app, client, database_url, source):  # noqa: F811
    run_import(database_url, source)
    here = ApiUser(client, "erin", project_id="proj-e")
    job_id, session_id = source["job_id"], source["session_id"]
    # here, after the switch: the job's status moved on a run, the session is untouched
    assert here.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "completed"},
                                             "description": "changed here"}
                      ).status_code == 200
    # at the source (still running, or written to before it was stopped): both edited
    theirs = at_source(source)
    assert theirs.patch(f"/v1/jobs/{job_id}", {"description": "nightly, edited there"}
                        ).status_code == 200
    assert theirs.patch(f"/v1/sessions/{session_id}", {"description": "s, edited there"}
                        ).status_code == 200

    for dry in (True, False):
        out = run_import(database_url, source, *(["--dry-run"] if dry else []))
        assert "jobs      new 0, updated 0, unchanged 0, kept 1, refused 0" in out, out
        assert "sessions  new 0, updated 1, unchanged 0, kept 0, refused 0" in out, out
        assert f"kept job {job_id}: changed here since the import" in out, out
        assert "clients   new 0, updated 0, unchanged 1, kept 0" in out, out
        session = here.get(f"/v1/sessions/{session_id}").get_json()
        assert session["description"] == ("s" if dry else "s, edited there")
        job = here.get(f"/v1/jobs/{job_id}").get_json()
        assert job["description"] == "changed here"
        assert job["job_schedule"]["status"] == "completed"

    # once more: the session is now what the source has; the job is still ours, still listed
    out = run_import(database_url, source)
    assert "sessions  new 0, updated 0, unchanged 1, kept 0" in out, out
    assert f"kept job {job_id}: changed here since the import" in out, out
    assert here.get(f"/v1/jobs/{job_id}").get_json()["description"] == "changed here"


def test_a_change_here_with_the_source_unchanged_is_unchanged_and_stays(
        app, client, database_url, source):  # noqa: F811
    run_import(database_url, source)
    here = ApiUser(client, "erin", project_id="proj-e")
    job_id = source["job_id"]
    out = run_import(database_url, source)  # nothing changed anywhere
    for kind in ("clients", "actions", "jobs", "sessions", "backups"):
        assert (f"{kind:<9} new 0, updated 0, unchanged {len(source['listed'][kind])}, "
                f"kept 0, refused 0") in out, out
    assert here.patch(f"/v1/jobs/{job_id}", {"description": "changed here"}).status_code == 200
    for extra in (["--dry-run"], []):
        out = run_import(database_url, source, *extra)
        assert "jobs      new 0, updated 0, unchanged 1, kept 0" in out, out
        assert "kept job" not in out, out
    assert here.get(f"/v1/jobs/{job_id}").get_json()["description"] == "changed here"


def test_a_document_made_here_first_with_the_same_id_is_kept_as_not_from_an_import(
        app, client, database_url, source):  # noqa: F811
    here = ApiUser(client, "erin", project_id="proj-e")
    job_id = source["job_id"]
    ours = {k: v for k, v in source["listed"]["jobs"][0].items()
            if k not in ("job_id", "user_id", "project_id", "_version")}
    ours["description"] = "made here"
    assert here.post(f"/v1/jobs/{job_id}", ours).status_code == 201
    for extra in (["--dry-run"], []):
        out = run_import(database_url, source, *extra)
        assert "jobs      new 0, updated 0, unchanged 0, kept 1" in out, out
        assert f"kept job {job_id}: not from an import" in out, out
    assert here.get(f"/v1/jobs/{job_id}").get_json()["description"] == "made here"


def test_a_document_deleted_here_since_the_import_is_not_brought_back(
        app, client, database_url, source):  # noqa: F811
    run_import(database_url, source)
    here = ApiUser(client, "erin", project_id="proj-e")
    session_id = source["session_id"]
    assert here.delete(f"/v1/sessions/{session_id}").status_code == 204
    out = run_import(database_url, source)
    assert "sessions  new 0, updated 0, unchanged 0, kept 1" in out, out
    assert f"kept session {session_id}: deleted here since the import" in out, out
    assert here.get(f"/v1/sessions/{session_id}").status_code == 404


def test_the_marks_move_with_the_store_file(app, client, database_url, source, tmp_path):  # noqa: F811,E501
    """After a move (export, import elsewhere) a rerun still knows what the import wrote."""
    import json
    run_import(database_url, source)
    path = tmp_path / "store.jsonl"
    r = manage(database_url, "export", "--project", "proj-e", str(path))
    assert r.returncode == 0, r.stderr
    marks = [json.loads(line)["row"] for line in path.read_text().splitlines()
             if json.loads(line).get("table") == "import_marks"]
    assert sorted((m["kind"], m["doc_id"]) for m in marks) == sorted(
        (kind, doc_id) for kind in source["listed"] for doc_id in [
            d["client"]["client_id"] if kind == "clients" else d[f"{kind[:-1]}_id"]
            for d in source["listed"][kind]])
    assert all(m["version"] == 1 and len(m["source_digest"]) == 64 for m in marks)
