"""freezer-manage export / import FILE: the store moves between engines intact."""
import json

from tests.ops.conftest import count

from .conftest import fill, manage


def test_export_import_on_the_other_engine_and_export_again_is_identical(
        app, client, database_url, other_database, tmp_path):
    fill(app, client)
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    r = manage(database_url, "export", str(first))
    assert r.returncode == 0, r.stderr
    lines = first.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["format_version"] == 1 and header["schema"]
    tables = {json.loads(line).get("table") for line in lines[1:-1]}
    assert {"users", "api_tokens", "jobs", "actions", "clients", "sessions", "backups",
            "runs", "settings", "audit_events"} <= tables
    assert json.loads(lines[-1]) == {"end": True, "rows": len(lines) - 2}

    r = manage(other_database, "import", str(first))
    assert r.returncode == 0, r.stderr
    r = manage(other_database, "export", str(second))
    assert r.returncode == 0, r.stderr
    assert second.read_text().splitlines() == first.read_text().splitlines()

    # a rerun changes nothing and duplicates nothing
    jobs = count(other_database, "jobs")
    r = manage(other_database, "import", str(first))
    assert r.returncode == 0, r.stderr
    assert "new 0, updated 0" in r.stdout and "new 1" not in r.stdout
    assert count(other_database, "jobs") == jobs == 2


def test_the_moved_store_answers_the_same_documents(app, client, database_url,
                                                    other_database, tmp_path):
    from tests.builders import ApiUser
    from tests.ops.conftest import app_on
    ids = fill(app, client)
    v1 = ApiUser(client, "carol", project_id="tenant-a")
    before = v1.get(f"/v1/jobs/{ids['job_id']}").get_json()
    path = tmp_path / "store.jsonl"
    assert manage(database_url, "export", str(path)).returncode == 0
    assert manage(other_database, "import", str(path)).returncode == 0
    moved = app_on(other_database)
    with moved.test_client() as other_client:
        after = ApiUser(other_client, "carol", project_id="tenant-a").get(
            f"/v1/jobs/{ids['job_id']}").get_json()
    assert after == before


def test_project_export_holds_that_project_only(app, client, database_url, tmp_path):
    fill(app, client)
    path = tmp_path / "a.jsonl"
    r = manage(database_url, "export", str(path), "--project", "tenant-a")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in path.read_text().splitlines()[1:-1]]
    projects = {e["row"]["project_id"] for e in rows if "project_id" in e["row"]}
    assert projects == {"tenant-a"}
    assert {e["table"] for e in rows} >= {"jobs", "users", "api_tokens"}
    assert not any(e["table"] in ("settings", "audit_events") for e in rows)


def test_a_newer_version_here_is_kept_and_an_older_one_updated(app, client, database_url,
                                                               tmp_path):
    from tests.builders import ApiUser
    ids = fill(app, client)
    path = tmp_path / "store.jsonl"
    assert manage(database_url, "export", str(path)).returncode == 0
    v1 = ApiUser(client, "carol", project_id="tenant-a")
    assert v1.patch(f"/v1/jobs/{ids['job_id']}", {"description": "changed"}).status_code == 200
    r = manage(database_url, "import", str(path))
    assert r.returncode == 0, r.stderr
    assert v1.get(f"/v1/jobs/{ids['job_id']}").get_json()["description"] == "changed"
    assert "kept (newer here) 1" in r.stdout


def _broken(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return str(path)


def test_bad_files_write_nothing_and_say_why(app, client, database_url, other_database,
                                            tmp_path):
    fill(app, client)
    good = tmp_path / "good.jsonl"
    assert manage(database_url, "export", str(good)).returncode == 0
    lines = good.read_text().splitlines()
    header = json.loads(lines[0])
    cases = {
        "truncated": (lines[:-3], "without its end line"),
        "not json": (lines[:5] + ["{oops"] + lines[5:], "not JSON"),
        "unknown table": (lines[:-1] + ['{"table":"nope","row":{"pk":1}}', lines[-1]],
                          "unknown table"),
        "other schema": ([json.dumps({**header, "schema": "0001_initial"})] + lines[1:],
                         "exported at schema"),
        "newer format": ([json.dumps({**header, "format_version": 2})] + lines[1:],
                         "format version"),
        "no header": (lines[1:], "no header"),
        "bad timestamp": (lines[:-1] + [lines[-2].replace('"20', '"x20', 1), lines[-1]],
                          None),
    }
    for name, (content, message) in cases.items():
        r = manage(other_database, "import", _broken(tmp_path / f"{name}.jsonl", content))
        assert r.returncode == 1, (name, r.stdout, r.stderr)
        assert "nothing was written" in r.stderr, (name, r.stderr)
        if message:
            assert message in r.stderr, (name, r.stderr)
        assert count(other_database, "jobs") == 0, name
        assert count(other_database, "users") == 0, name
    r = manage(other_database, "import", str(tmp_path / "missing.jsonl"))
    assert r.returncode == 1 and "No such file" in r.stderr


def test_an_export_that_fails_leaves_no_file(tmp_path, fresh_database_url):
    path = tmp_path / "out.jsonl"
    r = manage(fresh_database_url, "export", str(path))  # not migrated: no tables
    assert r.returncode == 1 and "db sync" in r.stderr
    assert not path.exists() and not (tmp_path / "out.jsonl.partial").exists()
