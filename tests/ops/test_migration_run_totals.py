"""Migration 0016 on runs stored before it: each run's size totals come from its list as
stored, and a list over 100 entries keeps its first 100 (backup_count is left as it was)."""
import json

from sqlalchemy import create_engine, text

from .conftest import migrate

BEFORE = "0015_backup_prefix_indexes"


def insert_run(conn, pk, backups, count=None):
    conn.execute(text(
        "INSERT INTO runs (pk, user_id, project_id, job_id, started_at, backup_count, backups) "
        "VALUES (:pk, 'alice', 'alice', :job, '2026-11-27 01:00:00', :count, :backups)"),
        {"pk": pk, "job": f"job{pk}", "count": len(backups) if count is None else count,
         "backups": json.dumps(backups)})


def test_totals_backfilled_and_long_lists_cut_to_their_first_100(fresh_database_url):
    migrate(fresh_database_url, BEFORE)
    engine = create_engine(fresh_database_url)
    try:
        with engine.begin() as conn:
            insert_run(conn, 1, [])
            insert_run(conn, 2, [{"backup_id": "a", "backup_size_compressed": 1.5,
                                  "backup_size_uncompressed": None},
                                 {"backup_id": "b", "backup_size_compressed": 2,
                                  "backup_size_uncompressed": 7}])
            insert_run(conn, 3, [{"backup_id": f"é{i}", "backup_size_compressed": 1,
                                  "backup_size_uncompressed": True} for i in range(130)])
        migrate(fresh_database_url)
        with engine.connect() as conn:
            rows = {pk: (count, json.loads(backups), c, u) for pk, count, backups, c, u in
                    conn.execute(text("SELECT pk, backup_count, backups, backup_size_compressed, "
                                      "backup_size_uncompressed FROM runs"))}
    finally:
        engine.dispose()
    assert rows[1] == (0, [], None, None)
    assert rows[2][0] == 2 and len(rows[2][1]) == 2 and rows[2][2:] == (3.5, 7)
    count, listed, compressed, uncompressed = rows[3]
    assert count == 130 and compressed == 130  # every backup summed, before the cut
    assert uncompressed is None  # a boolean is no size
    assert [b["backup_id"] for b in listed] == [f"é{i}" for i in range(100)]
