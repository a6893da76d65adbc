"""How long one /metrics scrape takes as the fleet grows (its fleet gauges are SQL counts
over jobs, sessions, clients and runs, read at every scrape).

    .venv/bin/python bench/metrics_scrape.py            # MariaDB 127.0.0.1:3306, throwaway DB
    .venv/bin/python bench/metrics_scrape.py --sqlite

Server time in-process (Flask test client), median and p95 of 20 scrapes after 3 warm-ups."""
import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app import clock  # noqa: E402

SIZES = [(1_000, 100, 50, 5_000), (20_000, 2_000, 1_000, 100_000)]
STATUSES = ["scheduled", "running", "completed", "stop", ""]


def fill(app, jobs, clients, sessions, runs, start):
    from app.models import Client, Job, Run, Session
    now = clock.utcnow()
    with app.app_context():
        rows = [{"user_id": f"u{i % 20}", "version": 1, "doc": {"job_id": f"j{i}"},
                 "created_at": now, "updated_at": now, "job_id": f"j{i}",
                 "client_id": f"c{i % max(clients, 1)}", "status": STATUSES[i % 5]}
                for i in range(start[0], jobs)]
        for chunk in range(0, len(rows), 5000):
            db.session.execute(insert(Job), rows[chunk:chunk + 5000])
        db.session.execute(insert(Client), [
            {"user_id": f"u{i % 20}", "version": 1, "doc": {"client_id": f"c{i}"},
             "created_at": now, "updated_at": now, "client_id": f"c{i}", "hostname": f"h{i}",
             "last_seen": now - timedelta(minutes=i % 30)} for i in range(start[1], clients)])
        db.session.execute(insert(Session), [
            {"user_id": f"u{i % 20}", "version": 1, "doc": {"session_id": f"s{i}"},
             "created_at": now, "updated_at": now, "session_id": f"s{i}",
             "status": "running" if i % 3 else "completed"} for i in range(start[2], sessions)])
        rows = [{"user_id": f"u{i % 20}", "job_id": f"j{i % jobs}", "started_at": now,
                 "ended_at": now, "result": "success" if i % 4 else "fail", "backup_count": 0,
                 "backups": []} for i in range(start[3], runs)]
        for chunk in range(0, len(rows), 5000):
            db.session.execute(insert(Run), rows[chunk:chunk + 5000])
        db.session.commit()


def measure(app, n=20, warm=3):
    client = app.test_client()
    times = []
    for i in range(n + warm):
        started = time.perf_counter()
        response = client.get("/metrics")
        elapsed = time.perf_counter() - started
        assert response.status_code == 200 and b"freezer_database_up 1.0" in response.data
        if i >= warm:
            times.append(elapsed * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    server = None
    if args.sqlite:
        url = f"sqlite:///{tempfile.mkdtemp()}/metrics.sqlite"
    else:
        server = make_url("mysql+mysqldb://root@127.0.0.1:3306/?charset=utf8mb4")
        name = f"freezer_bench_{uuid.uuid4().hex[:8]}"
        with create_engine(server).begin() as conn:
            conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
        url = server.set(database=name).render_as_string(hide_password=False)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "AUTH_MODE": "noauth",
                          "SECRET_KEY": "bench", "TESTING": True})
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
        print(f"engine: {'SQLite' if args.sqlite else 'MariaDB'}")
        print("| jobs | clients | sessions | runs | scrape median ms | p95 ms |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: |")
        done = (0, 0, 0, 0)
        for size in SIZES:
            fill(app, *size, start=done)
            done = size
            median, p95 = measure(app)
            print(f"| {size[0]:,} | {size[1]:,} | {size[2]:,} | {size[3]:,} | "
                  f"{median:.1f} | {p95:.1f} |", flush=True)
        with app.app_context():
            db.engine.dispose()
    finally:
        if server is not None:
            with create_engine(server).begin() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))


if __name__ == "__main__":
    main()
