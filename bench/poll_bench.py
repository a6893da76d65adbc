"""The agent's poll and its status PATCH under load: MariaDB, gunicorn (4 workers), wrk.

For each size N it creates a MariaDB database `freezer_bench_<N>`, builds the schema with
the migrations, loads N jobs over N/20 clients of one owner (per client 5 active jobs and
15 completed ones, so every poll answers the same 5 jobs whatever N is), prints EXPLAIN for
the poll's query and starts gunicorn (port 18091 for the first size, 18092 for the next);
then it measures every size with wrk in alternating rounds (medians reported):

  poll   GET /v1/jobs/?limit=10&offset=0  body {"match": [{"client_id": C}],
                                                "match_not": [{"status": "completed"}]}
         (as the freezer scheduler sends it; C one of 50 clients spread over the table,
         picked at random per request, the same number at every size)
  patch  PATCH /v1/jobs/{J}  body {"job_schedule": {"status": "running"}}  (J a random
         active job)

usage:  make bench     or     .venv/bin/python bench/poll_bench.py [--sizes 1000 20000]
        [--duration 10] [--rounds 3] [--connections 8] [--keep] [--json FILE]
Needs MariaDB on 127.0.0.1:3306 (root, no password; MARIADB_URL to change) and wrk
(`make bench` installs it). Runs in AUTH_MODE=noauth (X-User-Id)."""
import argparse
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)

SERVER = os.environ.get("MARIADB_URL", "mysql+mysqldb://root@127.0.0.1:3306")
PORT = int(os.environ.get("BENCH_PORT", "18091"))  # one port per size from here
USER = "bench"
JOBS_PER_CLIENT, ACTIVE_PER_CLIENT = 20, 5
# Polls go to this many clients, spread over the table, at every size: a poll also records
# the client's last_seen (a write, at most once a minute per client), so polling all 1,000
# clients of the big table would measure more writes, not a bigger table.
POLLED_CLIENTS = 50


def database_url(name):
    return f"{SERVER}/{name}?charset=utf8mb4"


def create_database(name):
    import MySQLdb
    from sqlalchemy.engine import make_url
    url = make_url(SERVER)
    conn = MySQLdb.connect(host=url.host, port=url.port or 3306, user=url.username,
                           passwd=url.password or "")
    cur = conn.cursor()
    cur.execute(f"DROP DATABASE IF EXISTS {name}")
    cur.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    conn.close()


def drop_database(name):
    import MySQLdb
    from sqlalchemy.engine import make_url
    url = make_url(SERVER)
    conn = MySQLdb.connect(host=url.host, port=url.port or 3306, user=url.username,
                           passwd=url.password or "")
    conn.cursor().execute(f"DROP DATABASE IF EXISTS {name}")
    conn.close()


def job_doc(job_id, client_id, status, now, user=USER):
    """A job as POST /v1/jobs stores it (one fs backup action)."""
    return {"description": f"nightly {client_id}", "client_id": client_id,
            "job_schedule": {"schedule_interval": "1 days", "time_created": now,
                             "time_started": -1, "time_ended": -1, "event": "",
                             "status": status, "result": "success" if status == "completed" else ""},
            "job_actions": [{"freezer_action": {"action": "backup", "mode": "fs",
                                                "storage": "local", "engine_name": "tar",
                                                "path_to_backup": "/srv/data",
                                                "container": f"/srv/backups/{client_id}",
                                                "backup_name": "data", "compression": "gzip"},
                             "max_retries": 3, "max_retries_interval": 60,
                             "action_id": uuid.uuid4().hex, "user_id": user}],
            "job_id": job_id, "user_id": user, "session_id": "", "session_tag": 0}


def load(app, n_jobs, users=(USER,)):
    """Direct inserts through the models (the API would take minutes for 20,000 jobs).
    Clients go to the owners in `users` in turn; returns [(owner, client_id)] and
    [(owner, active job_id)]."""
    from app.extensions import db
    from app.models import Client, Job
    from app import clock
    now = clock.epoch()
    n_clients = max(1, n_jobs // JOBS_PER_CLIENT)
    clients, active = [], []
    with app.app_context():
        for c in range(n_clients):
            client_id = f"proj_node{c:05d}.bench"
            owner = users[c % len(users)]
            clients.append((owner, client_id))
            row = Client(user_id=owner, project_id=owner)  # an operator's own project
            row.set_doc({"client": {"client_id": client_id, "hostname": f"node{c:05d}.bench",
                                    "uuid": uuid.uuid4().hex}, "user_id": owner})
            db.session.add(row)
        # interleaved, as jobs arrive in real life: client 0 job 0, client 1 job 0, ...
        for j in range(JOBS_PER_CLIENT):
            status = "scheduled" if j < ACTIVE_PER_CLIENT else "completed"
            for owner, client_id in clients:
                job_id = uuid.uuid4().hex
                row = Job(user_id=owner, project_id=owner)
                row.set_doc(job_doc(job_id, client_id, status, now, owner))
                db.session.add(row)
                if status != "completed":
                    active.append((owner, job_id))
            db.session.flush()
        db.session.commit()
        db.session.execute(db.text("ANALYZE TABLE jobs, clients"))
        db.session.remove()
    return clients, active


def explain_poll(app, client_id):
    """EXPLAIN of the exact SQL the poll runs (compiled from the same code path)."""
    from sqlalchemy import select
    from app.extensions import db
    from app.models import Job
    from app.services import search
    with app.app_context():
        wanted = search.parse({"match": [{"client_id": client_id}],
                               "match_not": [{"status": "completed"}]})
        stmt = select(Job).where(Job.user_id == USER)
        stmt = search.apply(stmt, Job, wanted).order_by(Job.pk).limit(10).offset(0)
        sql = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
        result = db.session.execute(db.text("EXPLAIN " + sql))
        columns = list(result.keys())
        rows = [dict(zip(columns, r)) for r in result]
        db.session.remove()
    return " ".join(sql.split()), rows


LUA_POLL = """
local clients = {%(clients)s}
local body = '{"match_not": [{"status": "completed"}], "match": [{"client_id": "%%s"}]}'
local headers = {["X-User-Id"] = "%(user)s", ["Content-Type"] = "application/json",
                 ["Accept"] = "application/json"}
request = function()
  local c = clients[math.random(#clients)]
  return wrk.format("GET", "/v1/jobs/?limit=10&offset=0", headers, string.format(body, c))
end
"""

LUA_PATCH = """
local jobs = {%(jobs)s}
local headers = {["X-User-Id"] = "%(user)s", ["Content-Type"] = "application/json",
                 ["Accept"] = "application/json"}
request = function()
  local j = jobs[math.random(#jobs)]
  return wrk.format("PATCH", "/v1/jobs/" .. j, headers, '{"job_schedule": {"status": "running"}}')
end
"""


def lua_list(values):
    return ",".join(f'"{v}"' for v in values)


def start_server(url, workdir, port):
    env = dict(os.environ, DATABASE_URL=url, AUTH_MODE="noauth", SECRET_KEY=secrets.token_hex(32),
               FREEZER_API_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="4",
               GUNICORN_ACCESS_LOG=os.path.join(workdir, "access.log"),
               GUNICORN_ERROR_LOG=os.path.join(workdir, "error.log"),
               PROMETHEUS_MULTIPROC_DIR=os.path.join(workdir, "prometheus"))
    log = open(os.path.join(workdir, "server.log"), "w")  # the app's own log lines
    proc = subprocess.Popen([os.path.join(ROOT, ".venv", "bin", "gunicorn"), "--config",
                             os.path.join(ROOT, "gunicorn.conf.py"), "--workers", "4",
                             "--bind", f"127.0.0.1:{port}", "wsgi:app"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/jobs?limit=1",
                                   timeout=2).read()
        except urllib.error.HTTPError:
            return proc  # 401/200: it answers
        except OSError:
            time.sleep(0.3)
            continue
        return proc
    proc.terminate()
    raise RuntimeError(f"gunicorn did not start; see {workdir}/server.log")


def check_poll(port, client_id):
    """The benchmark measures a correct answer: 5 active jobs of that client."""
    body = json.dumps({"match": [{"client_id": client_id}],
                       "match_not": [{"status": "completed"}]}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/jobs/?limit=10&offset=0",
                                 data=body, method="GET",
                                 headers={"X-User-Id": USER, "Content-Type": "application/json"})
    jobs = json.load(urllib.request.urlopen(req, timeout=10))["jobs"]
    assert len(jobs) == ACTIVE_PER_CLIENT and all(j["client_id"] == client_id for j in jobs), jobs


def to_ms(text):
    value, unit = float(re.match(r"[\d.]+", text).group()), re.sub(r"[\d.]+", "", text)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(port, script, duration, connections, threads=2):
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s",
                          "--latency", "-s", script, f"http://127.0.0.1:{port}"],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    done = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "requests": done, "p50_ms": p50, "p99_ms": p99,
            "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(0) if errors else "", "raw": out}


def prepare(n_jobs, port):
    """Database, schema, data, EXPLAIN, wrk scripts and a running gunicorn for size N."""
    from app import create_app
    name = f"freezer_bench_{n_jobs}"
    url = database_url(name)
    create_database(name)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "AUTH_MODE": "noauth",
                      "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade(directory=os.path.join(ROOT, "migrations"))
    t = time.time()
    clients, active = load(app, n_jobs)
    print(f"[{n_jobs}] loaded {n_jobs} jobs over {len(clients)} clients "
          f"in {time.time() - t:.1f}s", flush=True)
    clients = [c for _, c in clients]
    active = [j for _, j in active]
    sql, plan = explain_poll(app, clients[len(clients) // 2])
    with app.app_context():
        from app.extensions import db
        db.engine.dispose()
    workdir = tempfile.mkdtemp(prefix=f"freezer-bench-{n_jobs}-")
    step = max(1, len(clients) // POLLED_CLIENTS)
    polled = clients[::step][:POLLED_CLIENTS]
    with open(os.path.join(workdir, "poll.lua"), "w") as fh:
        fh.write(LUA_POLL % {"clients": lua_list(polled), "user": USER})
    with open(os.path.join(workdir, "patch.lua"), "w") as fh:
        fh.write(LUA_PATCH % {"jobs": lua_list(active), "user": USER})
    server = start_server(url, workdir, port)
    check_poll(port, clients[0])
    return {"jobs": n_jobs, "clients": len(clients), "sql": sql, "explain": plan,
            "name": name, "workdir": workdir, "server": server, "port": port,
            "rounds": {"poll": [], "patch": []}}


def median(values):
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def summarise(rounds):
    """Median of the rounds' req/s, p50 and p99; answers that were not 2xx, summed."""
    return {"rps": median([r["rps"] for r in rounds]),
            "p50_ms": median([r["p50_ms"] for r in rounds]),
            "p99_ms": median([r["p99_ms"] for r in rounds]),
            "non_2xx": sum(r["non_2xx"] for r in rounds),
            "socket_errors": " ".join(r["socket_errors"] for r in rounds if r["socket_errors"]),
            "rounds": [{k: v for k, v in r.items() if k != "raw"} for r in rounds]}


def run(args):
    """Every size is prepared and served at once, then measured in alternating rounds, so
    that the load of everything else on the host weighs on all sizes alike."""
    sizes = [prepare(n, PORT + i) for i, n in enumerate(args.sizes)]
    try:
        for size in sizes:  # warm-up: connection pools, caches
            wrk(size["port"], os.path.join(size["workdir"], "poll.lua"), 3, args.connections)
        for round_no in range(args.rounds):
            for kind in ("poll", "patch"):
                for size in sizes:
                    result = wrk(size["port"], os.path.join(size["workdir"], f"{kind}.lua"),
                                 args.duration, args.connections)
                    size["rounds"][kind].append(result)
                    print(f"round {round_no + 1} {kind} {size['jobs']}: {result['rps']:.0f} "
                          f"req/s p50 {result['p50_ms']:.1f} ms", flush=True)
    finally:
        for size in sizes:
            size["server"].terminate()
            size["server"].wait(30)
            if not args.keep:
                drop_database(size["name"])
                shutil.rmtree(size["workdir"], ignore_errors=True)
    return [{"jobs": s["jobs"], "clients": s["clients"], "sql": s["sql"],
             "explain": s["explain"], "poll": summarise(s["rounds"]["poll"]),
             "patch": summarise(s["rounds"]["patch"])} for s in sizes]


def report(results, args):
    print(f"\nwrk -t2 -c{args.connections} -d{args.duration}s x {args.rounds} alternating "
          f"rounds (medians), gunicorn 4 sync workers per size, MariaDB, {os.cpu_count()} "
          f"CPUs, load average {os.getloadavg()[0]:.1f} (wrk, gunicorn and MariaDB share "
          f"the host)\n")
    print("| jobs | clients | request | req/s | p50 ms | p99 ms | non-2xx |")
    print("| ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    for r in results:
        for kind in ("poll", "patch"):
            m = r[kind]
            print(f"| {r['jobs']:,} | {r['clients']:,} | {kind} | {m['rps']:.0f} | "
                  f"{m['p50_ms']:.2f} | {m['p99_ms']:.2f} | {m['non_2xx']} |")
    if len(results) >= 2:
        small, big = results[0], results[-1]
        ratio = big["poll"]["p50_ms"] / small["poll"]["p50_ms"]
        print(f"\npoll p50 at {big['jobs']:,} / at {small['jobs']:,} jobs: {ratio:.2f}x "
              f"(goal <= 1.3x): {'met' if ratio <= 1.3 else 'NOT met'}")
    for r in results:
        print(f"\nEXPLAIN of the poll at {r['jobs']:,} jobs:\n  {r['sql']}")
        for row in r["explain"]:
            print("  " + ", ".join(f"{k}={v}" for k, v in row.items()
                                   if k in ("table", "type", "possible_keys", "key",
                                            "key_len", "ref", "rows", "Extra")))
    for r in results:
        for kind in ("poll", "patch"):
            if r[kind]["non_2xx"] or r[kind]["socket_errors"]:
                print(f"\n[{r['jobs']}] {kind}: {r[kind]['non_2xx']} non-2xx answers "
                      f"{r[kind]['socket_errors']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: `make bench` installs it (apt-get install -y wrk)")
    results = run(args)
    report(results, args)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=2, default=str)
    failed = any(r[k]["non_2xx"] for r in results for k in ("poll", "patch"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
