"""freezer-manage export / import FILE at size: N jobs and 2N backups (default 10,000 and
20,000) in a SQLite store, exported, imported into an empty SQLite database, and exported
again; wall time and peak memory (max RSS of each command) at N and at N/10, so the ratio
says whether memory stays flat in the size of the store.

    .venv/bin/python bench/store_file_bench.py [--jobs 10000]
        [--target-server mysql+mysqldb://root@127.0.0.1:3306/?charset=utf8mb4]

--target-server: the import goes into a throwaway database on that server (SQLite to
MariaDB), the second export comes from it."""
import argparse
import json
import os

import secrets
import subprocess
import sys
import tempfile
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
KEY = secrets.token_hex(32)
MANAGE = os.path.join(os.path.dirname(sys.executable), "freezer-manage")


def fill(url, jobs):
    from app import create_app
    from app.extensions import db
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "AUTH_MODE": "noauth",
                      "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        from datetime import datetime
        now = datetime(2026, 12, 1, 12, 0, 0, 123456)
        job_rows = [{"job_id": f"job{n:06d}", "user_id": "u", "project_id": "p", "version": 1,
                     "client_id": "node1", "status": "scheduled", "created_at": now,
                     "updated_at": now, "doc": {"job_id": f"job{n:06d}", "user_id": "u",
                                                "client_id": "node1",
                                                "description": "nightly data " * 4,
                                                "job_schedule": {"status": "scheduled"},
                                                "job_actions": [{"freezer_action": {
                                                    "action": "backup", "mode": "fs",
                                                    "path_to_backup": "/srv/data"}}]}}
                    for n in range(jobs)]
        backup_rows = [{"backup_id": f"b{n:07d}", "id_hash": f"{n:064d}", "user_id": "u",
                        "project_id": "p", "version": 1, "created_at": now, "updated_at": now,
                        "doc": {"backup_id": f"b{n:07d}", "user_id": "u",
                                "backup_metadata": {"container": "/srv/backups",
                                                    "hostname": "node1", "time_stamp": n}}}
                       for n in range(2 * jobs)]
        from app.models import Backup, Job
        db.session.execute(Job.__table__.insert(), job_rows)
        db.session.execute(Backup.__table__.insert(), backup_rows)
        db.session.commit()
        db.engine.dispose()


def target_database(server, directory, name):
    if not server:
        return f"sqlite:///{directory}/{name}.sqlite", lambda: None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    url = make_url(server)
    db_name = f"freezer_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(database=""))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE DATABASE {db_name} CHARACTER SET utf8mb4 "
                          "COLLATE utf8mb4_bin"))

    def drop():
        with admin.begin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {db_name}"))
        admin.dispose()
    return url.set(database=db_name).render_as_string(hide_password=False), drop


def timed(args, url):
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=KEY)
    start = time.perf_counter()
    pid = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL).pid
    _, status, usage = os.wait4(pid, 0)
    assert status == 0, args
    return time.perf_counter() - start, usage.ru_maxrss / 1024  # MiB (Linux: KiB)


def measure(jobs, directory, target_server=None):
    source = f"sqlite:///{directory}/source-{jobs}.sqlite"
    target, drop = target_database(target_server, directory, f"target-{jobs}")
    try:
        return _measure(jobs, directory, source, target)
    finally:
        drop()


def _measure(jobs, directory, source, target):
    fill(source, jobs)
    subprocess.run([MANAGE, "db", "sync"], env=dict(os.environ, DATABASE_URL=target,
                                                     SECRET_KEY=KEY),
                   check=True, capture_output=True)
    first, second = f"{directory}/first-{jobs}.jsonl", f"{directory}/second-{jobs}.jsonl"
    export = timed([MANAGE, "export", first], source)
    imported = timed([MANAGE, "import", first], target)
    timed([MANAGE, "export", second], target)
    with open(first, "rb") as a, open(second, "rb") as b:
        assert a.read() == b.read(), "round trip changed the file"
    return {"jobs": jobs, "backups": 2 * jobs, "target": target.split(":")[0],
            "file_mib": os.path.getsize(first) / 2**20,
            "export_s": export[0], "export_peak_mib": export[1],
            "import_s": imported[0], "import_peak_mib": imported[1]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10000)
    parser.add_argument("--target-server", help="import into a throwaway database on this "
                        "server (e.g. mysql+mysqldb://root@127.0.0.1:3306/?charset=utf8mb4)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        small = measure(args.jobs // 10, directory, args.target_server)
        large = measure(args.jobs, directory, args.target_server)
    for row in (small, large):
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v
                          for k, v in row.items()}))
    print(f"peak memory ratio at 10x the store: export "
          f"{large['export_peak_mib'] / small['export_peak_mib']:.2f}x, import "
          f"{large['import_peak_mib'] / small['import_peak_mib']:.2f}x")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
