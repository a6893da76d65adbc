"""The database restarts under load: a private MariaDB is stopped for 10 s while a small
fleet works against gunicorn (4 workers), then started again (bench/fleet.py, bounded)."""
from bench.fleet import Settings, healthy, run

from .conftest import needs_live_servers


def test_a_database_restart_under_load_loses_no_acknowledged_write(tmp_path):
    needs_live_servers()
    summary = run(Settings(agents=20, tenants=2, operators=2, poll=1.0, duration=22, workers=4,
                           port=18153, db_port=None, fault_at=6, fault_down=10,
                           server_log=str(tmp_path / "gunicorn.log")))
    fault = summary["fault"]
    # the fault happened: while down the API answered 503 with a Freezer JSON error ...
    assert fault["during"].get(503, 0) > 0, fault
    assert fault["during_non_503_5xx"] == 0 and fault["during_503_without_json"] == 0, fault
    # ... promptly: never a hang until gunicorn's 30 s worker timeout (the bound leaves room
    # for queueing on a loaded CI machine), and served again within 5 s
    assert fault["during_max_latency_ms"] < 15000, fault
    assert fault["serving_again_after_s"] is not None and fault["serving_again_after_s"] <= 5
    assert fault["failed_after_up_plus_5s"] == 0 and fault["failed_before_down"] == 0, fault
    # every acknowledged write was found in the database, one by one
    checked = summary["verification"]
    assert checked["backups_checked"] > 0 and checked["versions_checked"] > 0, checked
    assert checked["backups_missing"] == checked["versions_lost"] == 0, checked
    assert checked["versions_acknowledged_twice"] == 0, checked
    assert healthy(summary) == [], summary
