"""One watcher tick over 20,000 jobs, 1,000 clients and a run history of 10,000 and then
100,000 runs, on MariaDB: time and SQL statements per tick.

    .venv/bin/python bench/watcher_bench.py [--jobs 20000] [--clients 1000] [--owners 10]
                                            [--runs 10000 100000] [--ticks 30]

A throwaway database on 127.0.0.1:3306 (root, no password) is migrated and filled in bulk:
`owners` operators, each with jobs/owners jobs on clients/owners clients, the six rules
(run failed, missed schedule, stuck run, silent client, session failed, session overdue),
a webhook channel to a local receiver. The fleet is not all well: 1% of jobs are past their
fire time, 5% running (a few for hours), 2% of clients silent, a few failures in the
outbox each tick. After a first tick (which opens the incidents and sends their notices),
`ticks` ticks are timed with the clock moved 10 s each, with new outbox events before each.
Then the run history grows to the next size and the same is measured again: a tick reads
indexed facts, never the run history, so the two figures should be the same (the ratio is
printed). The database is dropped at the end."""
import argparse
import os
import random
import secrets
import statistics
import sys
import time
from datetime import datetime, timedelta

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

HOST, PORT, USER = "127.0.0.1", 3306, "root"
T0 = 1795744000.0


def _fill(db, owners, jobs, clients, rng, now):
    from app.models import Channel, Client, Job, Rule, Session
    per_owner_jobs, per_owner_clients = jobs // owners, clients // owners
    channel_rows, rule_rows = [], []
    for o in range(owners):
        user = f"owner{o}"
        channel_rows.append({"user_id": user, "project_id": user, "name": "hook", "kind": "webhook",
                             "config": {"url": RECEIVER_URL, "secret": "s" * 8 + secrets.token_hex(8)},
                             "created_at": now})
    db.session.execute(db.insert(Channel), channel_rows)
    channel_ids = {c.project_id: c.pk for c in db.session.query(Channel)}
    from app.services.notify import rules
    for o in range(owners):
        user = f"owner{o}"
        for kind in rules.KINDS:
            rule_rows.append({"user_id": user, "project_id": user, "name": kind, "kind": kind, "enabled": True,
                              "threshold": rules.default_threshold(kind), "factor": 3.0,
                              "remind_after": 3600, "group_seconds": 60,
                              "channel_ids": [channel_ids[user]], "created_at": now})
    db.session.execute(db.insert(Rule), rule_rows)
    client_rows, job_rows, session_rows = [], [], []
    for o in range(owners):
        user = f"owner{o}"
        for c in range(per_owner_clients):
            silent = rng.random() < 0.02
            seen = now - timedelta(seconds=3600 if silent else rng.randint(0, 120))
            cid = f"{user}-node{c}"
            client_rows.append({"user_id": user, "project_id": user, "client_id": cid, "hostname": cid,
                                "last_seen": seen, "version": 1, "created_at": now,
                                "updated_at": now,
                                "doc": {"client": {"client_id": cid, "hostname": cid},
                                        "user_id": user}})
        for s in range(10):
            running = s < 2
            session_rows.append({"user_id": user, "project_id": user, "session_id": f"{user}-s{s}", "version": 1,
                                 "status": "running" if running else "active", "result": "",
                                 "round_started_at": now - timedelta(hours=3) if running else None,
                                 "created_at": now, "updated_at": now,
                                 "doc": {"session_id": f"{user}-s{s}", "jobs": {}}})
        for j in range(per_owner_jobs):
            jid = f"{user}-job{j}"
            cid = f"{user}-node{j % per_owner_clients}"
            roll = rng.random()
            status, started, due = "scheduled", None, now + timedelta(seconds=rng.randint(60, 86400))
            if roll < 0.01:
                due = now - timedelta(seconds=rng.randint(1000, 7200))   # missed
            elif roll < 0.06:
                status, due = "running", None
                started = now - timedelta(seconds=rng.choice([60, 300, 900, 4 * 3600 + 1, 8 * 3600]))
            job_rows.append({"user_id": user, "project_id": user, "job_id": jid, "client_id": cid, "status": status,
                             "event": "", "result": "", "version": 1, "created_at": now,
                             "updated_at": now, "next_run_at": due, "due_at": due,
                             "run_started_at": started, "avg_duration": float(rng.randint(60, 1800)),
                             "session_id": f"{user}-s{j % 10}" if j < 50 else None,
                             "doc": {"job_id": jid, "client_id": cid, "user_id": user,
                                     "job_schedule": {"status": status}, "job_actions": []}})
    for table, rows in ((Client, client_rows), (Session, session_rows), (Job, job_rows)):
        for start in range(0, len(rows), 2000):
            db.session.execute(db.insert(table), rows[start:start + 2000])
    db.session.commit()


def _grow_runs(db, owners, jobs, upto, have, rng, now):
    from app.models import Run
    per_owner = jobs // owners
    rows = []
    for i in range(have, upto):
        o = i % owners
        started = now - timedelta(seconds=rng.randint(3600, 90 * 86400))
        rows.append({"user_id": f"owner{o}", "project_id": f"owner{o}", "job_id": f"owner{o}-job{(i // owners) % per_owner}",
                     "client_id": None, "started_at": started,
                     "ended_at": started + timedelta(seconds=rng.randint(60, 1800)),
                     "result": rng.choice(["success"] * 9 + ["fail"]), "backup_count": 0,
                     "backups": []})
        if len(rows) == 5000:
            db.session.execute(db.insert(Run), rows)
            rows = []
    if rows:
        db.session.execute(db.insert(Run), rows)
    db.session.commit()


def _events(db, owners, rng, n=5):
    """What agents' job PATCHes write in the meantime: a few runs ended."""
    from app.models import OutboxEvent
    for _ in range(n):
        o = rng.randrange(owners)
        db.session.add(OutboxEvent(user_id=f"owner{o}", project_id=f"owner{o}", kind="run.ended",
                                   subject=f"owner{o}-job{rng.randrange(100)}",
                                   result=rng.choice(["fail", "success"]), detail={}))
    db.session.commit()


def measure(app, db, owners, ticks, rng, start_at):
    from sqlalchemy import event

    from app import clock
    from app.services.notify import watcher
    counted = []

    def count(*_args):
        counted[-1] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    times, cpu, statements = [], [], []
    try:
        for i in range(ticks):
            clock.freeze(start_at + 10 * i)
            counted.append(0)
            _events(db, owners, rng)
            counted[-1] = 0  # the tick's statements only
            started, started_cpu = time.perf_counter(), time.process_time()
            stats = watcher.tick()
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            statements.append(counted[-1])
            db.session.remove()
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # the reference, in the same run: a bare round trip to the same server
    trips = []
    for _ in range(50):
        started = time.perf_counter()
        db.session.execute(db.text("SELECT 1"))
        trips.append((time.perf_counter() - started) * 1000)
    db.session.remove()
    times.sort()
    return {"round_trip_ms": statistics.median(trips), "cpu_ms": statistics.median(cpu),
            "median_ms": statistics.median(times), "p95_ms": times[int(len(times) * 0.95) - 1],
            "max_ms": times[-1], "statements_median": statistics.median(statements),
            "statements_max": max(statements), "last": stats}


RECEIVER_URL = ""


def main(argv=None):
    global RECEIVER_URL
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--owners", type=int, default=10)
    parser.add_argument("--runs", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--ticks", type=int, default=30)
    args = parser.parse_args(argv)
    print(f"load average before: {os.getloadavg()}", flush=True)

    import MySQLdb

    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from tests.notify.conftest import Receiver
    receiver = Receiver()
    receiver.check_signature = False
    RECEIVER_URL = receiver.url

    name = f"freezer_bench_watcher_{os.getpid()}"
    conn = MySQLdb.connect(host=HOST, port=PORT, user=USER, passwd="")
    cur = conn.cursor()
    cur.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    url = f"mysql+mysqldb://{USER}@{HOST}:{PORT}/{name}?charset=utf8mb4"
    try:
        from flask_migrate import upgrade

        from app import clock, create_app
        from app.extensions import db
        from app.services.notify import watcher
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": secrets.token_hex(32),
                          "NOTIFY_ALLOW_PRIVATE": True, "AUTH_MODE": "token"})
        rng = random.Random(16)
        with app.app_context():
            upgrade()
            clock.freeze(T0)
            now = clock.utcnow()
            started = time.perf_counter()
            _fill(db, args.owners, args.jobs, args.clients, rng, now)
            print(f"filled {args.jobs} jobs, {args.clients} clients, {args.owners} owners "
                  f"x 6 rules in {time.perf_counter() - started:.1f} s", flush=True)
            have = 0
            results = []
            for size in args.runs:
                _grow_runs(db, args.owners, args.jobs, size, have, rng, now)
                have = size
                at = T0 + 100  # and the same clock: what is due or stuck depends on it
                clock.freeze(at)
                # each size starts from the same incidents: none (the first tick opens them)
                from app.models import Incident, Notice, OutboxEvent, Rule
                for table in (Incident, Notice, OutboxEvent):
                    db.session.execute(db.delete(table))
                db.session.execute(db.update(Rule).values(last_notice_at=None))
                db.session.commit()
                first = watcher.tick()          # opens incidents, sends their notices
                db.session.remove()
                print(f"runs={size}: first tick {first}", flush=True)
                result = measure(app, db, args.owners, args.ticks, rng, at + 10)
                results.append((size, result))
                print(f"runs={size}: tick median {result['median_ms']:.1f} ms (watcher CPU "
                      f"{result['cpu_ms']:.1f} ms), p95 "
                      f"{result['p95_ms']:.1f} ms, max {result['max_ms']:.1f} ms; statements "
                      f"median {result['statements_median']}, max {result['statements_max']}; "
                      f"SELECT 1 round trip {result['round_trip_ms']:.2f} ms (tick = "
                      f"{result['median_ms'] / result['round_trip_ms']:.0f} round trips)",
                      flush=True)
            if len(results) > 1:
                base, last = results[0][1], results[-1][1]
                print(f"ratio runs={results[-1][0]} / runs={results[0][0]}: median "
                      f"{last['median_ms'] / base['median_ms']:.2f}x, CPU "
                      f"{last['cpu_ms'] / base['cpu_ms']:.2f}x, statements "
                      f"{last['statements_median'] / base['statements_median']:.2f}x")
            print(f"notices delivered to the receiver: {len(receiver.deliveries)}")
            print(f"load average after: {os.getloadavg()}")
            db.engine.dispose()
    finally:
        cur.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.close()
        receiver.close()


if __name__ == "__main__":
    main()
