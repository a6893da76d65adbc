"""Dashboard pages at scale: the overview, the jobs list and the backups list (and the
overview's lazily loaded attention panel), each rendered
for one signed-in operator at 1,000 jobs (5,000 backups) and again at 20,000 jobs (100,000
backups), on a throwaway MariaDB database (127.0.0.1:3306, root) or on SQLite (--sqlite).

    .venv/bin/python bench/ui_pages.py [--sqlite] [--rounds 20]

Server time is measured in-process around each request of Flask's test client (routing,
queries, template rendering; no network), after 3 warm-ups; the script prints the median
and 95th percentile per page and size. Rows are inserted through the models (documents and
their indexed columns as the services store them); the job schedules are the forecast
benchmark's hard mix (bench/forecast_bench.py), and every other job has a successful run,
so "jobs without a recent success" has real work to do. The database is dropped at the end."""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from forecast_bench import schedule_for  # noqa: E402

HOST, PORT, USER = "127.0.0.1", 3306, "root"
OWNER = "bench-ui"
PAGES = {"overview": "/", "jobs list": "/jobs", "backups list": "/backups",
         # the overview's second request: forecast (schedules service) + stale-job check
         "overview attention panel": "/overview/attention"}
BROWSER = {"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"}
HOSTS = 200


def _job_doc(i, rng, now):
    schedule = schedule_for(i, rng, now)
    schedule.setdefault("event", rng.choice(["", "start"]))
    schedule.setdefault("status", rng.choice(["scheduled", "scheduled", "running", ""]))
    schedule.setdefault("result", rng.choice(["", "success", "success", "fail"]))
    schedule.update(time_created=int(now) - 86400, time_started=-1, time_ended=-1)
    host = f"node{i % HOSTS}"
    return {"job_id": uuid.uuid4().hex, "user_id": OWNER, "client_id": f"proj_{host}",
            "description": f"backup {i} of {host}", "session_id": "", "session_tag": 0,
            "job_schedule": schedule,
            "job_actions": [{"freezer_action": {"action": "backup", "mode": "fs",
                                                "backup_name": f"data{i % 50}",
                                                "container": "/srv/backups",
                                                "path_to_backup": "/srv/data"},
                             "max_retries": 3, "max_retries_interval": 60,
                             "action_id": uuid.uuid4().hex, "user_id": OWNER}]}


def seed(app, jobs_from, jobs_to, backups_from, backups_to):
    from app.extensions import db
    from app.models import Backup, Client, Job
    from app.models.run import Run
    rng = random.Random(jobs_from)
    now = time.time()
    utcnow = datetime.now(timezone.utc).replace(tzinfo=None)
    with app.app_context():
        if jobs_from == 0:
            for h in range(HOSTS):
                row = Client(user_id=OWNER, last_seen=utcnow - timedelta(minutes=rng.randint(0, 600)))
                row.set_doc({"client": {"client_id": f"proj_node{h}", "hostname": f"node{h}",
                                        "supported_actions": ["backup", "restore"]},
                             "user_id": OWNER})
                db.session.add(row)
        batch = []
        for i in range(jobs_from, jobs_to):
            job = Job(user_id=OWNER)
            job.set_doc(_job_doc(i, rng, now))
            batch.append(job)
            if i % 2 == 0:
                started = utcnow - timedelta(hours=rng.randint(1, 96))
                batch.append(Run(user_id=OWNER, job_id=job.job_id, client_id=job.client_id,
                                 started_at=started, ended_at=started + timedelta(minutes=5),
                                 result="success", backup_count=1, backups=[]))
            if len(batch) >= 2000:
                db.session.add_all(batch)
                db.session.commit()
                batch = []
        for i in range(backups_from, backups_to):
            host = f"node{i % HOSTS}"
            meta = {"container": "/srv/backups", "hostname": host,
                    "backup_name": f"data{i % 50}", "time_stamp": int(now) - i * 60,
                    "curr_backup_level": i % 5, "mode": "fs", "storage": "local"}
            row = Backup(user_id=OWNER)
            row.set_doc({"backup_id": f"/srv/backups_{host}_data{i % 50}_{meta['time_stamp']}_{i % 5}",
                         "user_id": OWNER, "user_name": OWNER, "backup_metadata": meta})
            batch.append(row)
            if len(batch) >= 5000:
                db.session.add_all(batch)
                db.session.commit()
                batch = []
        db.session.add_all(batch)
        db.session.commit()


def measure(app, rounds):
    from tests.builders import operator, sign_in
    with app.app_context():
        operator("bench", user_id=OWNER)
    client = app.test_client()
    assert sign_in(client, "bench").status_code == 302
    out = {}
    for name, url in PAGES.items():
        times = []
        for n in range(rounds + 3):
            started = time.perf_counter()
            r = client.get(url, headers=BROWSER)
            elapsed = time.perf_counter() - started
            assert r.status_code == 200, (url, r.status_code)
            if n >= 3:
                times.append(elapsed * 1000)
        times.sort()
        out[name] = (statistics.median(times), times[int(len(times) * 0.95) - 1])
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    cleanup = None
    if args.sqlite:
        folder = tempfile.mkdtemp(prefix="ui-bench-")
        url = f"sqlite:///{folder}/bench.sqlite"
    else:
        import MySQLdb
        conn = MySQLdb.connect(host=HOST, port=PORT, user=USER, passwd="")
        name = f"freezer_uibench_{os.getpid()}"
        conn.cursor().execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        url = f"mysql+mysqldb://{USER}@{HOST}:{PORT}/{name}?charset=utf8mb4"
        cleanup = lambda: conn.cursor().execute(f"DROP DATABASE IF EXISTS {name}")  # noqa: E731
    try:
        from app import create_app
        app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "AUTH_MODE": "token",
                          "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False})
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
        engine = "SQLite" if args.sqlite else "MariaDB"
        print(f"| engine | jobs | backups | page | median ms | p95 ms |")
        print("| --- | --- | --- | --- | --- | --- |")
        done_jobs = done_backups = 0
        for jobs, backups in ((1000, 5000), (20000, 100000)):
            seed(app, done_jobs, jobs, done_backups, backups)
            done_jobs, done_backups = jobs, backups
            for page, (median, p95) in measure(app, args.rounds).items():
                print(f"| {engine} | {jobs:,} | {backups:,} | {page} | {median:.1f} | {p95:.1f} |",
                      flush=True)
    finally:
        if cleanup:
            cleanup()


if __name__ == "__main__":
    main()
