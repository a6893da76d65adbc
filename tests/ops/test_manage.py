"""freezer-manage, run as operators run it (the console script `make` installs), on an
empty and on a populated database of the engine under test."""
import os
import subprocess

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.builders import ApiUser, client_body, job_body

from .conftest import BIN, ROOT, app_on, count, migrate, run, server_env

MANAGE = os.path.join(BIN, "freezer-manage")


def manage(url, *args):
    """stdin closed (/dev/null): a prompt gets no answer."""
    return run([MANAGE, *args], url)


def _with_input(url, answer, *args):
    return subprocess.run([MANAGE, *args], env=server_env(url), cwd=ROOT, input=answer,
                          capture_output=True, text=True, timeout=120)


def tables(url):
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def revision(url):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def _newest():
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    config = Config(os.path.join(ROOT, "migrations", "alembic.ini"))
    config.set_main_option("script_location", os.path.join(ROOT, "migrations"))
    return ScriptDirectory.from_config(config).get_current_head()


NEWEST = _newest()


def populate(url):
    """A migrated database holding one client and one job of alice's."""
    migrate(url)
    app = app_on(url)
    with app.test_client() as client:
        alice = ApiUser(client, "alice")
        alice.create("clients", client_body())
        alice.create("jobs", job_body())
    from app.extensions import db
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(params=["empty", "populated"])
def database(request, fresh_database_url):
    if request.param == "populated":
        populate(fresh_database_url)
    return request.param, fresh_database_url


def test_the_console_script_is_installed_and_tells_the_order():
    result = run([MANAGE, "--help"], "sqlite://")
    assert result.returncode == 0
    assert "freezer-manage -y -e db sync" in " ".join(result.stdout.split())


@pytest.mark.parametrize("command", ["sync", "update"])
def test_sync_and_update_bring_the_schema_to_the_newest_migration_keeping_documents(
        database, command):
    state, url = database
    result = manage(url, "db", command)
    assert result.returncode == 0, result.stderr
    assert {"jobs", "clients", "alembic_version"} <= tables(url)
    assert count(url, "jobs") == (1 if state == "populated" else 0)
    assert revision(url) == NEWEST
    # every deploy runs it: again, it changes nothing
    assert manage(url, "db", command).returncode == 0
    assert count(url, "jobs") == (1 if state == "populated" else 0)


def test_sync_upgrades_a_database_left_behind(fresh_database_url):
    migrate(fresh_database_url, "0001")
    result = manage(fresh_database_url, "db", "sync")
    assert result.returncode == 0, result.stderr
    assert revision(fresh_database_url) == NEWEST


def test_erase_then_sync_rebuilds_an_empty_schema(database):
    _, url = database
    result = manage(url, "-y", "-e", "db", "sync")
    assert result.returncode == 0, result.stderr
    assert count(url, "jobs") == 0 and count(url, "clients") == 0
    assert revision(url) == NEWEST


def test_erase_without_yes_on_a_closed_stdin_changes_nothing(fresh_database_url):
    populate(fresh_database_url)
    result = manage(fresh_database_url, "-e", "db", "sync")
    assert result.returncode == 3
    assert count(fresh_database_url, "jobs") == 1


def test_show_prints_the_tables_and_the_revision(database):
    state, url = database
    result = manage(url, "db", "show")
    assert result.returncode == 0, result.stderr
    if state == "empty":
        assert "Revision: none" in result.stdout
        assert "No tables found" in result.stdout
    else:
        assert "Revision: " in result.stdout and "up to date" in result.stdout
        lines = {line.split()[0]: line for line in result.stdout.splitlines()
                 if line.startswith("  ")}
        assert {"jobs", "clients", "actions", "sessions", "backups"} <= set(lines)
        assert "1 rows" in lines["jobs"]


def test_remove_with_yes_drops_every_table(database):
    state, url = database
    result = manage(url, "-y", "db", "remove")
    assert result.returncode == 0, result.stderr
    assert tables(url) == set()
    if state == "empty":
        assert "nothing to remove" in result.stdout


def test_remove_without_yes_on_a_closed_stdin_does_nothing(database):
    state, url = database
    before = tables(url)
    result = manage(url, "db", "remove")
    if state == "empty":
        assert result.returncode == 0
    else:
        assert result.returncode == 3
        assert "nothing was changed" in result.stderr
        assert count(url, "jobs") == 1
    assert tables(url) == before


@pytest.mark.parametrize("answer, code", [("n\n", 3), ("\n", 3), ("yes\n", 0)])
def test_remove_asks_and_only_yes_goes_on(fresh_database_url, answer, code):
    populate(fresh_database_url)
    result = _with_input(fresh_database_url, answer, "db", "remove")
    assert result.returncode == code, result.stderr
    assert "[y/N]" in result.stdout
    assert (tables(fresh_database_url) == set()) == (code == 0)


def test_update_settings_has_nothing_to_set(database):
    state, url = database
    before = tables(url)
    result = manage(url, "db", "update-settings")
    assert result.returncode == 0
    assert "Nothing to set" in result.stdout
    assert tables(url) == before


def test_options_after_db_are_refused_with_the_right_order(fresh_database_url):
    result = manage(fresh_database_url, "db", "sync", "-y", "-e")
    assert result.returncode == 2
    assert "freezer-manage -y -e db sync" in result.stderr
    assert tables(fresh_database_url) == set()


@pytest.mark.parametrize("args", [["db"], ["db", "migrate"], ["sync"], []])
def test_bad_usage_exits_2(args):
    assert manage("sqlite://", *args).returncode == 2


def test_an_unreachable_database_exits_1(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing-dir' / 'x.sqlite'}"
    result = manage(url, "db", "sync")
    assert result.returncode == 1
    assert "sync failed" in result.stderr


def test_a_config_file_names_the_database(fresh_database_url, tmp_path):
    config = tmp_path / "freezer-api.py"
    config.write_text(f"SQLALCHEMY_DATABASE_URI = {fresh_database_url!r}\n")
    # the environment points elsewhere; the file is read on top of it
    result = run([MANAGE, "--config-file", str(config), "db", "sync"],
                 f"sqlite:///{tmp_path / 'elsewhere.sqlite'}")
    assert result.returncode == 0, result.stderr
    assert revision(fresh_database_url) == NEWEST
    assert not (tmp_path / "elsewhere.sqlite").exists()
