"""GET /v1/forecast?hours=24 with 10,000 scheduled jobs, on MariaDB behind gunicorn.

    .venv/bin/python bench/forecast_bench.py [--jobs 10000] [--port 18120] [--rounds 20]

A throwaway database on the MariaDB at 127.0.0.1:3306 (root, no password) is migrated and
seeded with one user's jobs, stored through the jobs service exactly as POST /v1/jobs
stores them. The schedule mix is meant to be hard, not flattering (shared schedules are
computed once per request, so distinct ones are what cost):
  35% cron from 20 common patterns     (nightly, weekdays, hourly at :MM ...)
  35% intervals with a start date of their own (1..12 hours, 1 day): all distinct
  10% one-shot dates in the next 48 h   (all distinct)
  10% stopped, 10% completed            (left out in SQL, never parsed)
Then one gunicorn worker (AUTH_MODE=token, as deployed) answers `rounds` sequential requests (after 3 warm-ups); the script
prints the median and 95th percentile for the default limit (1000 fire times) and for the
largest (10000). The database is dropped at the end."""
import argparse
import json
import os
import random
import secrets
import statistics
import sys
import time

import psutil
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fleet_server import Gunicorn, issue_tokens, migrate  # noqa: E402

HOST, PORT, USER = "127.0.0.1", 3306, "root"
USER_ID = "bench-forecast"
CRON = [
    {"schedule_hour": "1", "schedule_minute": "0"},
    {"schedule_hour": "2", "schedule_minute": "30"},
    {"schedule_hour": "3", "schedule_minute": "15"},
    {"schedule_hour": "23", "schedule_minute": "45"},
    {"schedule_day_of_week": "mon-fri", "schedule_hour": "22", "schedule_minute": "0"},
    {"schedule_day_of_week": "sat,sun", "schedule_hour": "4", "schedule_minute": "0"},
    {"schedule_minute": "5"}, {"schedule_minute": "20"}, {"schedule_minute": "35"},
    {"schedule_minute": "50"},
    {"schedule_hour": "*/2", "schedule_minute": "10"},
    {"schedule_hour": "*/4", "schedule_minute": "0"},
    {"schedule_hour": "*/6", "schedule_minute": "30"},
    {"schedule_hour": "0,12", "schedule_minute": "0"},
    {"schedule_hour": "8-18", "schedule_minute": "0"},
    {"schedule_day": "1", "schedule_hour": "5"},
    {"schedule_day": "last fri", "schedule_hour": "6"},
    {"schedule_month": "1-6, 9-12", "schedule_day": "*", "schedule_hour": "3"},
    {"schedule_minute": "*/15"},
    {"schedule_day_of_week": "mon,wed,fri", "schedule_hour": "3", "schedule_minute": "25"},
]
INTERVALS = ["1 hours", "2 hours", "4 hours", "6 hours", "12 hours", "1 days"]


def schedule_for(i: int, rng: random.Random, now: float) -> dict:
    bucket = i % 20
    if bucket < 7:
        return dict(rng.choice(CRON))
    if bucket < 14:
        start = time.strftime("%Y-%m-%dT%H:%M:%S",
                              time.gmtime(now - rng.randint(0, 30 * 86400)))
        return {"schedule_interval": rng.choice(INTERVALS), "schedule_start_date": start}
    if bucket < 16:
        return {"schedule_date": time.strftime("%Y-%m-%dT%H:%M:%S",
                                               time.gmtime(now + rng.randint(60, 48 * 3600)))}
    if bucket < 18:
        return {"schedule_interval": "1 hours", "status": "stop"}
    return {"schedule_hour": "1", "status": "completed", "result": "success"}


def seed(database_url: str, count: int) -> None:
    os.environ.update(DATABASE_URL=database_url, AUTH_MODE="noauth", SECRET_KEY=secrets.token_hex(32))
    from app import create_app
    from app.extensions import db
    from app.services import jobs
    app = create_app({"TESTING": True})
    rng = random.Random(5)
    now = time.time()
    with app.app_context():
        for i in range(count):
            jobs.create(USER_ID, {
                "description": f"bench job {i}", "client_id": f"proj_node{i % 500}",
                "job_schedule": schedule_for(i, rng, now),
                "job_actions": [{"freezer_action": {
                    "action": "backup", "mode": "fs", "storage": "local",
                    "path_to_backup": f"/srv/data/{i % 50}", "container": "/srv/backups",
                    "backup_name": f"data{i % 50}"}, "max_retries": 3,
                    "max_retries_interval": 60}]})
            if i % 500 == 499:
                db.session.commit()
        db.session.commit()


def _cpu(pids) -> float:
    total = 0.0
    for pid in pids:
        times = psutil.Process(pid).cpu_times()
        total += times.user + times.system
    return total


def measure(server, token: str, query: str, rounds: int) -> dict:
    headers = {"X-Auth-Token": token, "Accept": "application/json"}
    url = f"{server.base_url}/v1/forecast?{query}"
    for _ in range(3):
        requests.get(url, headers=headers, timeout=120).raise_for_status()
    times, body = [], None
    workers = server.worker_pids()
    cpu = _cpu(workers)
    for _ in range(rounds):
        t = time.perf_counter()
        r = requests.get(url, headers=headers, timeout=120)
        times.append(time.perf_counter() - t)
        r.raise_for_status()
        body = r.json()
    cpu = (_cpu(workers) - cpu) / rounds
    times.sort()
    # Wall time depends on what else the machine runs; the worker's CPU time per request
    # is the app's own cost.
    return {"query": query, "median_s": round(statistics.median(times), 3),
            "worker_cpu_s_per_request": round(cpu, 3),
            "p95_s": round(times[max(0, int(len(times) * 0.95) - 1)], 3),
            "entries": len(body["forecast"]), "truncated": body["truncated"],
            "jobs_in_answer": len({e["job_id"] for e in body["forecast"]})}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10000)
    parser.add_argument("--port", type=int, default=18120)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)

    import MySQLdb
    name = f"freezer_bench_forecast_{os.getpid()}"
    conn = MySQLdb.connect(host=HOST, port=PORT, user=USER, passwd="")
    cur = conn.cursor()
    cur.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    url = f"mysql+mysqldb://{USER}@{HOST}:{PORT}/{name}?charset=utf8mb4"
    try:
        migrate(url)
        t = time.perf_counter()
        seed(url, args.jobs)
        print(f"seeded {args.jobs} jobs in {time.perf_counter() - t:.1f}s", flush=True)
        token = issue_tokens(url, [USER_ID])[USER_ID]
        with Gunicorn(url, args.port, workers=1, auth_mode="token") as server:
            results = [measure(server, token, "hours=24", args.rounds),
                       measure(server, token, "hours=24&limit=10000", args.rounds)]
        print(json.dumps({"jobs": args.jobs, "cpus": os.cpu_count(),
                          "load_average": os.getloadavg(), "results": results}, indent=2))
    finally:
        cur.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.close()


if __name__ == "__main__":
    main()
