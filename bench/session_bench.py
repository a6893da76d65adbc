"""Session start/end round trips: N concurrent agents, each repeating what the freezer
scheduler does around a job run (POST .../action start, then end), against gunicorn +
MariaDB. Prints pairs/s, requests/s and latency percentiles (per pair and per request).

Two layouts:
  shared    all agents' jobs in ONE session: every request takes the same row lock
            (the worst case: a session of many agents starting together)
  separate  one session per agent: no lock contention

Every start takes the "join the running round" path (current_tag 0 against tag 1 inside
the hold-off window: read, lock, write) and every end writes, so each pair is two locked
read-modify-writes.

    .venv/bin/python -m bench.session_bench                 # 20 agents, 100 pairs each
    .venv/bin/python -m bench.session_bench --agents 20 --pairs 200 --workers 4
    .venv/bin/python -m bench.session_bench --database-url mysql+mysqldb://...  # existing DB

Without --database-url a throwaway database is made on the MariaDB at 127.0.0.1:3306
(root, no password) and dropped afterwards.
"""
import argparse
import contextlib
import json
import os
import statistics
import tempfile
import threading
import time
import uuid

import requests

from tests.concurrency.server import migrate, start_on_a_free_port

HOST, PORT, USER = "127.0.0.1", 3306, "root"


@contextlib.contextmanager
def throwaway_database():
    import MySQLdb
    conn = MySQLdb.connect(host=HOST, port=PORT, user=USER, passwd="", connect_timeout=3)
    name = f"freezer_bench_sessions_{os.getpid()}"
    cur = conn.cursor()
    cur.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    try:
        yield f"mysql+mysqldb://{USER}@{HOST}:{PORT}/{name}?charset=utf8mb4"
    finally:
        cur.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.close()


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class Caller:
    def __init__(self, base_url, user_id):
        self.base_url = base_url
        self.http = requests.Session()
        self.http.headers.update({"X-User-Id": user_id, "Accept": "application/json"})

    def call(self, method, path, body=None, expect=(200, 201, 202, 204)):
        r = self.http.request(method, self.base_url + path, json=body, timeout=60)
        if r.status_code not in expect:
            raise RuntimeError(f"{method} {path}: {r.status_code} {r.text[:200]}")
        return r.json() if r.content else None


def set_up(base_url, agents, layout):
    """Sessions and jobs; returns [(session_id, job_id)] per agent, rounds already open."""
    owner = Caller(base_url, f"bench-{uuid.uuid4().hex[:8]}")
    sessions = []
    for i in range(1 if layout == "shared" else agents):
        sid = owner.call("POST", "/v1/sessions/", {"schedule": {"event": "start"},
                                                   "hold_off": 86400})["session_id"]
        sessions.append(sid)
    plan = []
    for i in range(agents):
        job = {"client_id": f"proj_bench{i}", "description": "bench",
               "job_schedule": {"schedule_interval": "1 days"},
               "job_actions": [{"freezer_action": {"action": "backup", "mode": "fs",
                                                   "path_to_backup": "/srv",
                                                   "container": "/bk", "backup_name": "b"}}]}
        jid = owner.call("POST", "/v1/jobs/", job)["job_id"]
        sid = sessions[0 if layout == "shared" else i]
        owner.call("PUT", f"/v1/sessions/{sid}/jobs/{jid}")
        plan.append((sid, jid))
    for sid in sessions:  # open round 1: every later start(tag 0) joins it and writes
        first = next(j for s, j in plan if s == sid)
        answer = owner.call("POST", f"/v1/sessions/{sid}/action",
                            {"start": {"job_id": first, "current_tag": 0}})
        assert answer == {"result": "success", "session_tag": 1}, answer
    return owner, plan


def run_layout(base_url, agents, pairs, layout):
    owner, plan = set_up(base_url, agents, layout)
    pair_times, request_times, results, errors = [], [], {}, []
    lock = threading.Lock()
    barrier = threading.Barrier(agents + 1)

    def agent(sid, jid):
        me = Caller(base_url, owner.http.headers["X-User-Id"])
        mine_pairs, mine_requests, seen = [], [], {}
        barrier.wait()
        try:
            for _ in range(pairs):
                t0 = time.perf_counter()
                started = me.call("POST", f"/v1/sessions/{sid}/action",
                                  {"start": {"job_id": jid, "current_tag": 0}}, expect=(202,))
                t1 = time.perf_counter()
                me.call("POST", f"/v1/sessions/{sid}/action",
                        {"end": {"job_id": jid, "current_tag": 1, "result": "success"}},
                        expect=(202,))
                t2 = time.perf_counter()
                mine_pairs.append(t2 - t0)
                mine_requests += [t1 - t0, t2 - t1]
                seen[started["result"]] = seen.get(started["result"], 0) + 1
        except Exception as exc:  # noqa: BLE001 - reported, and fails the run
            errors.append(repr(exc))
        with lock:
            pair_times.extend(mine_pairs)
            request_times.extend(mine_requests)
            for k, v in seen.items():
                results[k] = results.get(k, 0) + v

    threads = [threading.Thread(target=agent, args=step) for step in plan]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    # every agent's last request was an end: each entry must show it
    sids = sorted({s for s, _ in plan})
    entries = [e for sid in sids
               for e in owner.call("GET", f"/v1/sessions/{sid}")["jobs"].values()]
    consistent = len(entries) == agents and all(
        (e["status"], e["result"]) == ("completed", "success") for e in entries)
    ms = 1000
    return {
        "layout": layout, "agents": agents, "pairs": len(pair_times), "errors": errors[:3],
        "seconds": round(elapsed, 2),
        "pairs_per_s": round(len(pair_times) / elapsed, 1),
        "requests_per_s": round(len(request_times) / elapsed, 1),
        "pair_ms": {"p50": round(statistics.median(pair_times) * ms, 1),
                    "p95": round(percentile(pair_times, 95) * ms, 1),
                    "p99": round(percentile(pair_times, 99) * ms, 1)},
        "request_ms": {"p50": round(statistics.median(request_times) * ms, 1),
                       "p99": round(percentile(request_times, 99) * ms, 1)},
        "start_results": results,
        "sessions_consistent": consistent,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--pairs", type=int, default=100, help="start+end pairs per agent")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--layout", choices=("shared", "separate", "both"), default="both")
    parser.add_argument("--database-url", help="an existing, empty MariaDB/MySQL database")
    args = parser.parse_args(argv)
    layouts = ("shared", "separate") if args.layout == "both" else (args.layout,)
    with contextlib.ExitStack() as stack:
        url = args.database_url or stack.enter_context(throwaway_database())
        migrate(url)
        log = os.path.join(tempfile.gettempdir(), f"session_bench_{os.getpid()}.log")
        server = start_on_a_free_port(url, workers=args.workers, log_path=log)
        stack.callback(server.__exit__)
        report = {"cpus": os.cpu_count(), "loadavg_before": [round(x, 2) for x in os.getloadavg()],
                  "gunicorn_workers": args.workers, "runs": []}
        for layout in layouts:
            report["runs"].append(run_layout(server.base_url, args.agents, args.pairs, layout))
        report["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, indent=2))
    bad = [r for r in report["runs"] if r["errors"] or not r["sessions_consistent"]]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
