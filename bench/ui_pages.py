"""Dashboard pages at scale: every page and chart endpoint of the dashboard's history
(issue 17) beside the overview, jobs, backups and clients lists, each rendered for one
signed-in operator at 1,000 jobs (5,000 runs, 5,000 backups) and again at 20,000 jobs
(100,000 runs, 100,000 backups), on a throwaway MariaDB database (127.0.0.1:3306, root),
on a database URL of your own (--url, which must be empty: it is migrated and filled) or on
SQLite (--sqlite). `make bench-ui` runs it.

    .venv/bin/python bench/ui_pages.py [--sqlite | --url URL] [--rounds 20]

Server time is measured in-process around each request of Flask's test client (routing,
queries, template rendering; no network), after 3 warm-ups; the script prints the median
and 95th percentile per page and size, and the median CPU time of this process (the
database's own work excluded), which holds better than wall time on a loaded host. Rows are inserted through the models (documents and
their indexed columns as the services store them); the job schedules are the forecast
benchmark's hard mix (bench/forecast_bench.py), and every other job has a successful run,
so "jobs without a recent success" has real work to do; every job has 5 runs spread over the
last 30 days (one in five failed) and every backup reported sizes. The throwaway database
is dropped at the end; the last column is the time at 20,000 jobs over the time at 1,000."""
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
         "overview attention panel": "/overview/attention",
         "overview live refresh (htmx)": ("/", True),
         "overview figures JSON": "/overview/figures.json",
         "job page": "/jobs/{job}", "job history JSON": "/jobs/{job}/history.json",
         "jobs sparklines JSON (25 jobs)": "/jobs/sparklines.json?{jobs}",
         "backup sets JSON": "/backups/sets.json",
         "clients list": "/clients", "client page": "/clients/{client}",
         "client history JSON": "/clients/{client}/history.json",
         # runs spread over the history: more than the timeline's cap in 24 h ("N more")
         "fleet activity 24 h": "/activity", "fleet activity 7 d": "/activity?window=7d",
         "fleet activity lists (htmx)": ("/activity/lists?window=7d", True),
         "search": "/search?q=node1"}
HTMX = {**{"Accept": "text/html"}, "HX-Request": "true"}
RUNS_PER_JOB = 5
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
            # 5 runs over the last 30 days, oldest first (run pks follow time, as agents'
            # runs do); every other job's last one succeeded
            starts = sorted(utcnow - timedelta(minutes=rng.randint(60, 30 * 1440))
                            for _ in range(RUNS_PER_JOB))
            for n, started in enumerate(starts):
                last = n == RUNS_PER_JOB - 1
                result = ("success" if i % 2 == 0 else "fail") if last else \
                    rng.choice(["success", "success", "success", "success", "fail"])
                size = round(rng.uniform(50, 500), 1)
                batch.append(Run(user_id=OWNER, job_id=job.job_id, client_id=job.client_id,
                                 started_at=started,
                                 ended_at=started + timedelta(seconds=rng.randint(60, 900)),
                                 result=result, backup_count=1,
                                 backups=[{"backup_id": uuid.uuid4().hex,
                                           "backup_size_compressed": size,
                                           "backup_size_uncompressed": size * 3}],
                                 backup_size_compressed=size,
                                 backup_size_uncompressed=size * 3))
                if result == "success":
                    job.last_success_at = started
            if len(batch) >= 2000:
                db.session.add_all(batch)
                db.session.commit()
                batch = []
        for i in range(backups_from, backups_to):
            host = f"node{i % HOSTS}"
            meta = {"container": "/srv/backups", "hostname": host,
                    "backup_name": f"data{i % 50}", "time_stamp": int(now) - i * 60,
                    "curr_backup_level": i % 5, "mode": "fs", "storage": "local",
                    "backup_size_compressed": round(rng.uniform(1, 500), 1),
                    "backup_size_uncompressed": round(rng.uniform(500, 2000), 1)}
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


def _targets(app) -> dict:
    """A job with runs, a client with backups, and a page of 25 job ids for the URLs."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Job
    with app.app_context():
        jobs = list(db.session.scalars(select(Job.job_id).where(Job.user_id == OWNER)
                                       .order_by(Job.pk.desc()).limit(25)))
    return {"job": jobs[0], "client": "proj_node1",
            "jobs": "&".join(f"job_id={j}" for j in jobs)}


def measure(app, rounds):
    from tests.builders import operator, sign_in
    with app.app_context():
        operator("bench", user_id=OWNER)
    client = app.test_client()
    assert sign_in(client, "bench").status_code == 302
    targets = _targets(app)
    out = {}
    for name, url in PAGES.items():
        url, htmx = url if isinstance(url, tuple) else (url, False)
        url = url.format(**targets)
        times, cpu = [], []
        for n in range(rounds + 3):
            started, cpu_started = time.perf_counter(), time.process_time()
            r = client.get(url, headers=HTMX if htmx else BROWSER)
            elapsed = time.perf_counter() - started
            assert r.status_code == 200, (url, r.status_code)
            if n >= 3:
                times.append(elapsed * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
        times.sort()
        # CPU: this process's own (routing, queries' Python side, rendering; not the
        # database's), steadier than wall time on a host whose run queue is long
        out[name] = (statistics.median(times), times[int(len(times) * 0.95) - 1],
                     statistics.median(cpu))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead")
    parser.add_argument("--url", help="an empty database of your own (SQLAlchemy URL)")
    parser.add_argument("--only-measure", action="store_true",
                        help="with --url: measure the database as it is (filled by an earlier "
                             "run with --url), at the size it holds")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    cleanup = None
    if args.url:
        url = args.url
    elif args.sqlite:
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
        engine = "SQLite" if url.startswith("sqlite") else "MariaDB"
        if args.only_measure:
            print(f"| page ({engine}) | median ms | p95 ms | CPU ms |\n| --- | ---: | ---: | ---: |")
            for page, (median, p95, cpu) in measure(app, args.rounds).items():
                print(f"| {page} | {median:.1f} | {p95:.1f} | {cpu:.1f} |", flush=True)
            return
        done_jobs = done_backups = 0
        results = {}
        for jobs, backups in ((1000, 5000), (20000, 100000)):
            started = time.perf_counter()
            seed(app, done_jobs, jobs, done_backups, backups)
            print(f"seeded {jobs:,} jobs, {jobs * RUNS_PER_JOB:,} runs, {backups:,} backups "
                  f"in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
            done_jobs, done_backups = jobs, backups
            results[jobs] = measure(app, args.rounds)
        print(f"| page ({engine}) | median ms, 1,000 jobs | median ms, 20,000 jobs | "
              f"p95 ms, 20,000 jobs | 20,000 / 1,000 | CPU ms, 1,000 / 20,000 jobs |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for page in PAGES:
            small, big = results[1000][page], results[20000][page]
            print(f"| {page} | {small[0]:.1f} | {big[0]:.1f} | {big[1]:.1f} | "
                  f"{big[0] / small[0]:.2f} | {small[2]:.1f} / {big[2]:.1f} |", flush=True)
    finally:
        if cleanup:
            cleanup()


if __name__ == "__main__":
    main()
