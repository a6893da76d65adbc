"""Per-request cost of what agents call, as a ratio to a hello-world Flask app (bench/hello.py)
served in the same run under the same gunicorn settings (gunicorn.conf.py as shipped): the
ceiling. MariaDB, AUTH_MODE=token, wrk with `Connection: close`, 8 connections.

Data (bench/poll_bench.py's loader): 4 operators with a token each; 20,000 jobs over 1,000
clients (per client 5 active and 15 completed) and 20,000 backups; a second database of
1,000 jobs for the poll's flatness; 50 sessions of one job each for start+end.

Every operation runs in every round right after a hello run, and its ratio is taken to that
hello run: the other engineers' load on this shared host weighs on both alike. Medians of
the rounds are printed, with p50/p99 (wrk), the gunicorn tree's CPU per request (master and
workers, psutil) and every worker's RSS at the end.

usage:  make bench     or     .venv/bin/python -m bench.request_bench [--duration 4]
        [--rounds 3] [--connections 8] [--reuse] [--only job_get backup_get] [--json FILE]
--reuse keeps the databases (freezer_bench_cost_*) for the next run and reuses them when
present, with what the last run wrote undone (RESET): loading 20,000 jobs and backups takes
a minute (without it, each run has databases of its own, dropped at the end). The gunicorns take free ports (BENCH_PORT=N: N, N+1, ...).
--workers-alt "GUNICORN OPTIONS" also serves ours under those options, measured alike.
"""
import argparse
import contextlib
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid

import psutil

from bench import poll_bench
from bench.fleet_server import Gunicorn, issue_tokens, migrate

PORT = int(os.environ.get("BENCH_PORT", "0"))  # 0: free ports; else hello, then one per server


def port(offset: int) -> int:
    if PORT:
        return PORT + offset
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def db_name(n_jobs: int, reuse: bool) -> str:
    """Fixed names only when kept for reuse: two runs at once never drop each other's."""
    prefix = os.environ.get("BENCH_DB_PREFIX", "freezer_bench_cost")
    return f"{prefix}_{n_jobs}" + ("" if reuse else f"_{os.getpid()}")
OWNERS = [f"bench-owner-{i}" for i in range(4)]
BACKUPS_PER_CLIENT = 20
SESSIONS = 50
SAMPLE = 2000  # documents each item route picks from at random

# name, label, goal (ratio to hello); the poll's flatness is checked on top
OPERATIONS = [
    ("poll_1k", "agent poll, 1,000 jobs", 0.30),
    ("poll_20k", "agent poll, 20,000 jobs", 0.30),
    ("job_get", "job GET", 0.40),
    ("backup_get", "backup GET", 0.40),
    ("jobs_list", "jobs list, limit 100", 0.12),
    ("backups_list", "backups list, limit 100", 0.12),
    ("status_patch", "status PATCH", 0.25),
    # v2 (/v2/{project_id}/...): the 19.0.0 scheduler's poll and status PATCH, the same
    # jobs as poll_20k and status_patch; the report gives the ratios to v1
    ("poll_v2", "v2 agent poll, 20,000 jobs", 0.30),
    ("job_get_v2", "v2 job GET", 0.40),
    ("status_patch_v2", "v2 status PATCH", 0.25),
    ("backup_post", "backup POST", 0.25),
    ("session_action", "session start+end", 0.25),
]

# One Lua script for every operation: `entries` holds {method, path, token, body}; `kind`
# picks how a request is made from them. wrk runs one Lua state per thread; setup() numbers
# them so generated ids never collide.
LUA = """
local entries = {%(entries)s}
local kind, run = "%(kind)s", "%(run)s"
local counter, threads = -1, 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
local function headers(token)
  return {["X-Auth-Token"] = token, ["Content-Type"] = "application/json",
          ["Accept"] = "application/json", ["Connection"] = "close"}
end
request = function()
  counter = counter + 1
  if kind == "session" then  -- the same agent's start, then its end
    local e = entries[((tid or 0) * 7 + math.floor(counter / 2)) %% #entries + 1]
    local body
    if counter %% 2 == 0 then
      body = string.format('{"start": {"job_id": "%%s", "current_tag": 0}}', e[4])
    else
      body = string.format('{"end": {"job_id": "%%s", "current_tag": 1, "result": "success"}}', e[4])
    end
    return wrk.format("POST", e[2], headers(e[3]), body)
  end
  local e = entries[math.random(#entries)]
  if kind == "backup_post" then  -- a new backup every time (the same one twice is a 409)
    local body = string.format('{"container": "/srv/backups", "hostname": "%%s", ' ..
      '"backup_name": "b%%s_%%d_%%d", "time_stamp": 1795744129, "curr_backup_level": 0, ' ..
      '"mode": "fs", "job_id": "%%s"}', e[4], run, tid or 0, counter, e[5])
    return wrk.format("POST", "/v1/backups/", headers(e[3]), body)
  end
  return wrk.format(e[1], e[2], headers(e[3]), e[4])
end
"""


def lua_string(value) -> str:
    return "nil" if value is None else json.dumps(value)  # a JSON string is a Lua string here


def write_script(path, kind, entries, run=""):
    rows = ",".join("{" + ",".join(lua_string(v) for v in e) + "}" for e in entries)
    with open(path, "w") as fh:
        fh.write(LUA % {"entries": rows, "kind": kind, "run": run})
    return path


# --- data --------------------------------------------------------------------------------

def bench_app(url):
    from app import create_app
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "AUTH_MODE": "token",
                       "SECRET_KEY": "bench", "TESTING": True})


def load_backups(app, clients):
    from app.extensions import db
    from app.models import Backup
    with app.app_context():
        for n, (owner, client_id) in enumerate(clients):
            host = client_id.removeprefix("proj_")
            for b in range(BACKUPS_PER_CLIENT):
                meta = {"container": "/srv/backups", "hostname": host, "backup_name": "data",
                        "time_stamp": 1795700000 + b * 86400, "curr_backup_level": b % 7,
                        "mode": "fs", "storage": "local", "engine_name": "tar",
                        "compression": "gzip", "consistency_checksum": uuid.uuid4().hex,
                        "path_to_backup": "/srv/data", "backup_size_uncompressed": 1 << 30}
                row = Backup(user_id=owner, project_id=owner)
                row.set_doc({"backup_id": f"/srv/backups_{host}_data_{meta['time_stamp']}_"
                                          f"{meta['curr_backup_level']}",
                             "user_id": owner, "user_name": owner, "backup_metadata": meta})
                db.session.add(row)
            if n % 100 == 99:
                db.session.flush()
        db.session.commit()
        db.session.execute(db.text("ANALYZE TABLE backups"))
        db.session.remove()


def database(n_jobs, reuse, with_backups):
    """The database for n_jobs, loaded (or reused); returns its URL."""
    name = db_name(n_jobs, reuse)
    url = poll_bench.database_url(name)
    if reuse and _loaded(url, n_jobs):
        migrate(url)  # a no-op unless a migration landed since
        reset(url)
        return url
    poll_bench.create_database(name)
    migrate(url)
    app = bench_app(url)
    t = time.time()
    clients, _ = poll_bench.load(app, n_jobs, users=OWNERS)
    if with_backups:
        load_backups(app, clients)
    with app.app_context():
        from app.extensions import db
        db.engine.dispose()
    print(f"[{n_jobs}] loaded in {time.time() - t:.0f}s", flush=True)
    return url


# What a run writes, undone before a reused database is measured again, so that every run
# starts from what a fresh load holds: its status PATCHes open runs (not repeat a status
# an earlier run left), its backups join runs as short as a fresh run's, its sessions are
# the only ones. Without this, a backup POST slowed run after run (a run of 422 backups,
# rewritten by every backup joining it, after a few runs).
RESET = [
    "DELETE FROM runs",
    "DELETE FROM backups WHERE backup_name <> 'data'",  # the loaded ones are all 'data'
    "DELETE FROM sessions", "DELETE FROM session_rounds",
    "DELETE FROM actions",  # the loaded jobs embed theirs; only the sessions' jobs made rows
    "DELETE FROM jobs WHERE client_id LIKE 'proj_session%'",
    "DELETE FROM notify_outbox",
    "UPDATE jobs SET status = 'scheduled', run_started_at = NULL, "
    "doc = JSON_SET(doc, '$.job_schedule.status', 'scheduled') WHERE status = 'running'",
]


def reset(url) -> None:
    import MySQLdb
    from sqlalchemy.engine import make_url
    u = make_url(url)
    conn = MySQLdb.connect(host=u.host, port=u.port or 3306, user=u.username,
                           passwd=u.password or "", db=u.database)
    try:
        cur = conn.cursor()
        for statement in RESET:
            cur.execute(statement)
        conn.commit()
    finally:
        conn.close()


def _loaded(url, n_jobs) -> bool:
    import MySQLdb
    from sqlalchemy.engine import make_url
    u = make_url(url)
    try:
        conn = MySQLdb.connect(host=u.host, port=u.port or 3306, user=u.username,
                               passwd=u.password or "", db=u.database)
    except MySQLdb.OperationalError:
        return False
    try:
        cur = conn.cursor()
        cur.execute("SELECT COUNT(*) FROM jobs")
        return cur.fetchone()[0] >= n_jobs
    except MySQLdb.Error:
        return False
    finally:
        conn.close()


def sample_ids(url):
    """What the scripts pick from, read back from the database (also when reused)."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as c:
        clients = c.execute(text("SELECT user_id, client_id FROM clients ORDER BY pk")).all()
        jobs = c.execute(text("SELECT user_id, job_id, status FROM jobs ORDER BY RAND() "
                              f"LIMIT {SAMPLE}")).all()
        backups = c.execute(text("SELECT user_id, backup_id FROM backups ORDER BY RAND() "
                                 f"LIMIT {SAMPLE}")).all()
    engine.dispose()
    step = max(1, len(clients) // poll_bench.POLLED_CLIENTS)
    return {"polled": clients[::step][:poll_bench.POLLED_CLIENTS], "jobs": jobs,
            "active": [j for j in jobs if j.status != "completed"], "backups": backups,
            "clients": clients}


class Http:
    def __init__(self, base_url, token):
        self.base_url, self.token = base_url, token

    def __call__(self, method, path, body=None):
        req = urllib.request.Request(self.base_url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"X-Auth-Token": self.token,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            data = r.read()
        return json.loads(data) if data else None


def make_sessions(base_url, tokens):
    """SESSIONS sessions of one job each, round 1 open: every start(tag 0) joins it and
    writes, every end writes (as bench/session_bench.py's `separate` layout)."""
    out = []
    for i in range(SESSIONS):
        owner = OWNERS[i % len(OWNERS)]
        call = Http(base_url, tokens[owner])
        sid = call("POST", "/v1/sessions/", {"schedule": {"event": "start"},
                                             "hold_off": 86400})["session_id"]
        jid = call("POST", "/v1/jobs/", {
            "client_id": f"proj_session{i}", "description": "bench",
            "job_schedule": {"schedule_interval": "1 days"},
            "job_actions": [{"freezer_action": {"action": "backup", "mode": "fs",
                                                "path_to_backup": "/srv", "container": "/bk",
                                                "backup_name": "b"}}]})["job_id"]
        call("PUT", f"/v1/sessions/{sid}/jobs/{jid}")
        assert call("POST", f"/v1/sessions/{sid}/action",
                    {"start": {"job_id": jid, "current_tag": 0}})["session_tag"] == 1
        out.append((owner, sid, jid))
    return out


def check_answers(base_url, tokens, ids):
    """The bench measures correct answers: a poll finds the client's 5 active jobs, an item
    route the document asked for."""
    owner, client_id = ids["polled"][0]
    call = Http(base_url, tokens[owner])
    jobs = call("GET", "/v1/jobs/?limit=10&offset=0",
                {"match": [{"client_id": client_id}], "match_not": [{"status": "completed"}]})
    assert len(jobs["jobs"]) == poll_bench.ACTIVE_PER_CLIENT, jobs
    v2 = call("GET", f"/v2/{owner}/jobs/?limit=10&offset=0&all_projects=False",
              {"match": [{"client_id": client_id}], "match_not": [{"status": "completed"}]})
    assert [j["job_id"] for j in v2["jobs"]] == [j["job_id"] for j in jobs["jobs"]], v2
    assert all(j["project_id"] == owner for j in v2["jobs"]), v2
    owner, job_id, _ = ids["jobs"][0]
    assert Http(base_url, tokens[owner])("GET", f"/v1/jobs/{job_id}")["job_id"] == job_id
    owner, backup_id = ids["backups"][0]
    got = Http(base_url, tokens[owner])("GET", "/v1/backups/" + urllib.parse.quote(backup_id, safe=""))
    assert got["backup_id"] == backup_id, got


def scripts(tokens, small_tokens, ids, small_ids, sessions):
    poll_body = '{"match": [{"client_id": "%s"}], "match_not": [{"status": "completed"}]}'
    poll_path = "/v1/jobs/?limit=10&offset=0"

    def polls(chosen, keys):
        return [("GET", poll_path, keys[o], poll_body % c) for o, c in chosen["polled"]]

    host = {c: c.removeprefix("proj_") for _, c in ids["clients"]}
    by_owner = {}
    for o, j, _ in ids["active"]:
        by_owner.setdefault(o, []).append(j)
    spec = {
        "poll_1k": ("get", polls(small_ids, small_tokens)),
        "poll_20k": ("get", polls(ids, tokens)),
        "job_get": ("get", [("GET", f"/v1/jobs/{j}", tokens[o], None) for o, j, _ in ids["jobs"]]),
        "backup_get": ("get", [("GET", "/v1/backups/" + urllib.parse.quote(b, safe=""),
                                tokens[o], None) for o, b in ids["backups"]]),
        "jobs_list": ("get", [("GET", "/v1/jobs/?limit=100&offset=0", tokens[o], None)
                              for o in OWNERS]),
        "backups_list": ("get", [("GET", "/v1/backups/?limit=100&offset=0", tokens[o], None)
                                 for o in OWNERS]),
        "status_patch": ("get", [("PATCH", f"/v1/jobs/{j}", tokens[o],
                                  '{"job_schedule": {"status": "running"}}')
                                 for o, j, _ in ids["active"]]),
        # each operator's project is its own (its user id), as `flask users create` makes it
        "poll_v2": ("get", [("GET", f"/v2/{o}/jobs/?limit=10&offset=0&all_projects=False",
                             tokens[o], poll_body % c) for o, c in ids["polled"]]),
        "job_get_v2": ("get", [("GET", f"/v2/{o}/jobs/{j}", tokens[o], None)
                               for o, j, _ in ids["jobs"]]),
        "status_patch_v2": ("get", [("PATCH", f"/v2/{o}/jobs/{j}", tokens[o],
                                     '{"job_schedule": {"status": "running"}}')
                                    for o, j, _ in ids["active"]]),
        "backup_post": ("backup_post", [("POST", "/v1/backups/", tokens[o], host[c],
                                         by_owner[o][i % len(by_owner[o])])
                                        for i, (o, c) in enumerate(ids["polled"])]),
        "session_action": ("session", [("POST", f"/v1/sessions/{s}/action", tokens[o], j)
                                       for o, s, j in sessions]),
        "hello": ("get", [("GET", "/", "none", None)]),
    }
    return spec


# --- measuring ---------------------------------------------------------------------------

def tree_cpu(pid) -> float:
    """CPU seconds of a gunicorn: master, live workers, and workers that exited (recycled)."""
    root = psutil.Process(pid)
    t = root.cpu_times()
    total = t.user + t.system + t.children_user + t.children_system
    for child in root.children():
        with contextlib.suppress(psutil.NoSuchProcess):
            c = child.cpu_times()
            total += c.user + c.system
    return total


def worker_rss_mib(pid) -> list[float]:
    out = []
    for child in psutil.Process(pid).children():
        with contextlib.suppress(psutil.NoSuchProcess):
            out.append(round(child.memory_info().rss / 2**20, 1))
    return out


def measure(server, script, args, kind="", entries=None):
    if kind == "backup_post":  # fresh backup names every run
        write_script(script, kind, entries, uuid.uuid4().hex[:8])
    before = tree_cpu(server.process.pid)
    result = poll_bench.wrk(server.port, script, args.duration, args.connections)
    cpu = tree_cpu(server.process.pid) - before
    result["cpu_ms"] = 1000 * cpu / max(1, result["requests"])
    return result


def run(args):
    urls = {n: database(n, args.reuse, n == 20000) for n in (1000, 20000)}
    tokens = issue_tokens(urls[20000], OWNERS)
    small_tokens = issue_tokens(urls[1000], OWNERS)
    ids, small_ids = sample_ids(urls[20000]), sample_ids(urls[1000])
    workdir = tempfile.mkdtemp(prefix="freezer-request-bench-")
    with contextlib.ExitStack() as stack:
        def serve(port, url, app="wsgi:app", ready=300):
            return stack.enter_context(Gunicorn(url, port, None, os.path.join(
                workdir, f"{port}.log"), app=app, ready_status=ready))
        hello = serve(port(0), urls[20000], "bench.hello:app", 200)
        big = serve(port(1), urls[20000])
        small = serve(port(2), urls[1000])
        check_answers(big.base_url, tokens, ids)
        sessions = make_sessions(big.base_url, tokens)
        spec = scripts(tokens, small_tokens, ids, small_ids, sessions)
        paths = {name: write_script(os.path.join(workdir, f"{name}.lua"), kind, entries)
                 for name, (kind, entries) in spec.items()}
        servers = {name: (small if name == "poll_1k" else big) for name, *_ in OPERATIONS}
        operations = list(OPERATIONS)
        if args.workers_alt:  # the same operations on a second server, other worker settings
            alt = stack.enter_context(Gunicorn(urls[20000], port(3), None, os.path.join(
                workdir, "alt.log"), env={"GUNICORN_CMD_ARGS": args.workers_alt}))
            for name, label, goal in OPERATIONS:
                if name != "poll_1k":
                    operations.append((name + "_alt", f"{label} ({args.workers_alt})", goal))
                    spec[name + "_alt"] = spec[name]
                    paths[name + "_alt"] = paths[name]
                    servers[name + "_alt"] = alt
        chosen = [op for op in operations
                  if not args.only or op[0].removesuffix("_alt") in args.only]
        for server, name in ((hello, "hello"), (big, "job_get"), (small, "poll_1k")):
            poll_bench.wrk(server.port, paths[name], 2, args.connections)  # warm-up
        rounds = {name: [] for name, *_ in chosen}
        hellos = []
        load_before = os.getloadavg()
        for round_no in range(args.rounds):
            for name, label, _goal in chosen:
                h = measure(hello, paths["hello"], args)
                hellos.append(h)
                kind, entries = spec[name]
                r = measure(servers[name], paths[name], args, kind, entries)
                r["hello_rps"] = h["rps"]
                r["ratio"] = r["rps"] / h["rps"]
                # steadier under a loaded host: the CPU each request costs, hello's / ours
                r["cpu_ratio"] = h["cpu_ms"] / r["cpu_ms"] if r["cpu_ms"] else 0.0
                rounds[name].append(r)
                print(f"round {round_no + 1} {name}: {r['rps']:.0f} req/s, hello "
                      f"{h['rps']:.0f}, ratio {r['ratio']:.3f}, {r['cpu_ms']:.2f} ms CPU/req",
                      flush=True)
        rss = worker_rss_mib(big.process.pid)
        return {"rounds": rounds, "hellos": hellos, "rss_mib": rss,
                "workers": len(rss), "load_before": load_before, "load_after": os.getloadavg(),
                "chosen": chosen}


def report(res, args):
    med = poll_bench.median
    hello = res["hellos"]
    print(f"\n{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; MariaDB, AUTH_MODE=token; "
          f"wrk -t2 -c{args.connections} -d{args.duration}s, Connection: close; "
          f"{args.rounds} rounds, medians; gunicorn.conf.py as shipped ({res['workers']} "
          f"workers) for ours and hello; {os.cpu_count()} CPUs, load average "
          f"{res['load_before'][0]:.1f} before, {res['load_after'][0]:.1f} after\n")
    print(f"hello: {med([h['rps'] for h in hello]):.0f} req/s, "
          f"{med([h['cpu_ms'] for h in hello]):.2f} ms CPU/req, p50 "
          f"{med([h['p50_ms'] for h in hello]):.2f} ms\n")
    print("| operation | ours req/s | hello req/s | ours / hello | goal | p50 ms | p99 ms "
          "| CPU ms/req | hello CPU / ours | non-2xx |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    summary = {}
    for name, label, goal in res["chosen"]:
        rs = res["rounds"][name]
        m = {k: med([r[k] for r in rs]) for k in ("rps", "hello_rps", "ratio", "p50_ms",
                                                  "p99_ms", "cpu_ms", "cpu_ratio")}
        m["non_2xx"] = sum(r["non_2xx"] for r in rs)
        summary[name] = m
        mark = "met" if m["ratio"] >= goal else "NOT met"
        print(f"| {label} | {m['rps']:.0f} | {m['hello_rps']:.0f} | {m['ratio']:.3f} | "
              f">= {goal:.2f} {mark} | {m['p50_ms']:.2f} | {m['p99_ms']:.2f} | "
              f"{m['cpu_ms']:.2f} | {m['cpu_ratio']:.3f} | {m['non_2xx']} |")
    if "poll_1k" in summary and "poll_20k" in summary:
        flat = summary["poll_20k"]["p50_ms"] / summary["poll_1k"]["p50_ms"]
        print(f"\npoll p50 at 20,000 / at 1,000 jobs: {flat:.2f}x (goal <= 1.3x: "
              f"{'met' if flat <= 1.3 else 'NOT met'})")
    for v2, v1 in (("poll_v2", "poll_20k"), ("job_get_v2", "job_get"),
                   ("status_patch_v2", "status_patch")):
        if v2 in summary and v1 in summary:
            # each against the hello of its own round: the load moves between rounds
            ratio = summary[v2]["ratio"] / summary[v1]["ratio"]
            cpu = summary[v2]["cpu_ms"] / summary[v1]["cpu_ms"]
            print(f"{v2} / {v1}: {ratio:.2f} of v1's throughput (each / hello; goal >= 0.90: "
                  f"{'met' if ratio >= 0.9 else 'NOT met'}), {cpu:.2f}x its CPU per request")
    rss = res["rss_mib"]
    print(f"per-worker RSS at the end: {rss} MiB (max {max(rss):.1f}; goal < 100: "
          f"{'met' if max(rss) < 100 else 'NOT met'})")
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the loaded databases for the next run, reuse them if there")
    parser.add_argument("--only", nargs="+", help="only these operations (names as in the script)")
    parser.add_argument("--workers-alt", metavar="GUNICORN_ARGS",
                        help='also measure ours under these gunicorn options, e.g. '
                             '"--worker-class gthread --workers 2 --threads 4"')
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: `make bench` installs it (apt-get install -y wrk)")
    try:
        res = run(args)
    finally:
        if not args.reuse:
            for n in (1000, 20000):
                poll_bench.drop_database(db_name(n, False))
    summary = report(res, args)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"summary": summary, **res}, fh, indent=2, default=str)
    return 1 if any(m["non_2xx"] for m in summary.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
