"""cProfile of one API operation repeated in process (Flask test client, no HTTP server),
on a database that make bench left behind (`request_bench --reuse`) or any other. The
findings are kept in bench/PROFILE.md.

    .venv/bin/python -m bench.profile_request job_get [--n 2000] [--sort tottime]
        [--database-url mysql+mysqldb://root@127.0.0.1:3306/freezer_bench_cost_20000?charset=utf8mb4]

Operations: job_get, job_get_v2, backup_get, poll, poll_v2, jobs_list, backups_list, status_patch,
status_patch_v2, backup_post,
session_action (a session's start, then its end: two requests a round), agent_report (the
scheduler's whole-document PATCHes of a run: running, running again, completed).
--dump FILE keeps the raw profile (pstats) for print_callers and the like.

--inclusive module:function ... (or module:Class.method) measures, without cProfile, the
CPU each named function takes a request, its callees included (each wrapped in a timer; a
call nested in itself counted once). cProfile's overhead is per Python call, so it inflates
call-heavy code (jsonschema's walk showed 3x its share); these figures are the plain ones,
give or take a microsecond per wrapped call:

    .venv/bin/python -m bench.profile_request status_patch --inclusive \
        app.services.documents:find app.services.documents:write \
        sqlalchemy.orm.scoping:scoped_session.commit flask.app:Flask.preprocess_request

A function the app imported by name elsewhere (`from .x import f`) is not reached this way:
name the module that calls it, or a method."""
import argparse
import collections
import cProfile
import importlib
import io
import json
import pstats
import time
import urllib.parse
import uuid

from sqlalchemy import text

DEFAULT_URL = "mysql+mysqldb://root@127.0.0.1:3306/freezer_bench_cost_20000?charset=utf8mb4"


def requests_for(op, app, token):
    from app.extensions import db
    with app.app_context():
        owner = db.session.execute(text(
            "SELECT u.user_id FROM users u JOIN api_tokens t ON t.owner_id = u.id "
            "WHERE t.token_hash = :h"), {"h": __import__("hashlib").sha256(
                token.encode()).hexdigest()}).scalar()
        job = db.session.execute(text("SELECT job_id, client_id FROM jobs WHERE user_id = :u "
                                      "AND status != 'completed' LIMIT 1"), {"u": owner}).first()
        backup = db.session.execute(text("SELECT backup_id FROM backups WHERE user_id = :u "
                                         "LIMIT 1"), {"u": owner}).scalar()
        db.session.remove()
    h = {"X-Auth-Token": token, "Content-Type": "application/json"}
    poll = json.dumps({"match": [{"client_id": job.client_id}],
                       "match_not": [{"status": "completed"}]})
    table = {
        "job_get": lambda: ("GET", f"/v1/jobs/{job.job_id}", None),
        "backup_get": lambda: ("GET", "/v1/backups/" + urllib.parse.quote(backup, safe=""), None),
        "poll": lambda: ("GET", "/v1/jobs/?limit=10&offset=0", poll),
        "poll_v2": lambda: ("GET", f"/v2/{owner}/jobs/?limit=10&offset=0&all_projects=False",
                            poll),
        "job_get_v2": lambda: ("GET", f"/v2/{owner}/jobs/{job.job_id}", None),
        "jobs_list": lambda: ("GET", "/v1/jobs/?limit=100&offset=0", None),
        "backups_list": lambda: ("GET", "/v1/backups/?limit=100&offset=0", None),
        "status_patch": lambda: ("PATCH", f"/v1/jobs/{job.job_id}",
                                 '{"job_schedule": {"status": "running"}}'),
        "status_patch_v2": lambda: ("PATCH", f"/v2/{owner}/jobs/{job.job_id}",
                                    '{"job_schedule": {"status": "running"}}'),
        "backup_post": lambda: ("POST", "/v1/backups/", json.dumps(
            {"container": "/srv/backups", "hostname": "profile", "backup_name": uuid.uuid4().hex,
             "time_stamp": 1795744129, "curr_backup_level": 0, "mode": "fs",
             "job_id": job.job_id})),
    }
    if op == "session_action":
        table[op] = session_actions(app, h)
    if op == "agent_report":
        table[op] = agent_reports(app, h, job.job_id)
    return table[op], h


def agent_reports(app, headers, job_id):
    """What the freezer scheduler (18.0.0, ../shared/fixtures/agent-traffic) PATCHes while
    it runs a job, the document it fetched echoed back whole each time: running (a run
    opens), running with its pid (a repeat), completed with success (the run closes)."""
    fetched = app.test_client().get(f"/v1/jobs/{job_id}", headers=headers).get_json()
    schedule = fetched["job_schedule"]
    reports = [dict(schedule, status="running", result="", current_pid=4241),
               dict(schedule, status="running", result="", current_pid=4242),
               dict(schedule, status="completed", result="success", current_pid=4242)]
    bodies = [json.dumps(dict(fetched, job_schedule=report)) for report in reports]
    count = iter(range(1 << 62))
    return lambda: ("PATCH", f"/v1/jobs/{job_id}", bodies[next(count) % 3])


def environ_for(make, headers) -> dict:
    """The WSGI environ of the next request `make` (requests_for) describes."""
    from werkzeug.test import EnvironBuilder
    method, path, body = make()
    return EnvironBuilder(path=path, method=method, data=body, headers=headers,
                          environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_environ()


def call_app(app, env) -> None:
    """The app as gunicorn calls it (no test client in the figures); a non-2xx fails."""
    status = []
    body = app(env, lambda s, h, exc_info=None: status.append(s))
    try:
        data = b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()
    assert status[0] < "300", (status, data[:300])


def session_actions(app, headers):
    """A session of one job, round 1 open: then start (tag 0, joins and writes) and end
    (writes), alternately, as request_bench's session_action."""
    client = app.test_client()

    def call(method, path, body=None):
        r = client.open(path, method=method, json=body, headers=headers)
        assert r.status_code < 300, (r.status_code, r.data[:300])
        return r.get_json()
    sid = call("POST", "/v1/sessions/", {"schedule": {"event": "start"},
                                         "hold_off": 86400})["session_id"]
    jid = call("POST", "/v1/jobs/", {
        "client_id": "proj_profile", "description": "profile",
        "job_schedule": {"schedule_interval": "1 days"},
        "job_actions": [{"freezer_action": {"action": "backup", "mode": "fs",
                                            "path_to_backup": "/srv", "container": "/bk",
                                            "backup_name": "b"}}]})["job_id"]
    call("PUT", f"/v1/sessions/{sid}/jobs/{jid}")
    bodies = [json.dumps({"start": {"job_id": jid, "current_tag": 0}}),
              json.dumps({"end": {"job_id": jid, "current_tag": 1, "result": "success"}})]
    count = iter(range(1 << 62))
    return lambda: ("POST", f"/v1/sessions/{sid}/action", bodies[next(count) % 2])


def wrap_inclusive(names: list[str]) -> collections.Counter:
    """Wrap each `module:attr.path` in a CPU timer; returns the nanoseconds counter."""
    spent, active = collections.Counter(), collections.Counter()

    def timed(name, function):
        def timer(*args, **kwargs):
            if active[name]:  # recursion or a nested call: counted by the outer one
                return function(*args, **kwargs)
            active[name] += 1
            started = time.process_time_ns()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.process_time_ns() - started
                active[name] -= 1
        return timer

    for name in names:
        module, _, path = name.partition(":")
        owner = importlib.import_module(module)
        *parents, attr = path.split(".")
        for part in parents:
            owner = getattr(owner, part)
        setattr(owner, attr, timed(name, getattr(owner, attr)))
    return spent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("op")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--dump", help="also write the raw profile here (pstats)")
    parser.add_argument("--inclusive", nargs="+", metavar="MODULE:FUNCTION",
                        help="CPU a request inside these functions, without cProfile")
    args = parser.parse_args()
    from app import create_app
    from bench.fleet_server import issue_tokens
    token = issue_tokens(args.database_url, ["bench-owner-0"])["bench-owner-0"]
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database_url, "AUTH_MODE": "token",
                      "SECRET_KEY": "bench", "TESTING": True})
    make, headers = requests_for(args.op, app, token)

    def environ():
        return environ_for(make, headers)

    def call(env):
        call_app(app, env)

    for _ in range(50):  # warm-up: pools, caches, compiled statements
        call(environ())
    if args.inclusive:
        spent = wrap_inclusive(args.inclusive)
        for _ in range(20):
            call(environ())
        spent.clear()
        envs = [environ() for _ in range(args.n)]
        t0 = time.process_time_ns()
        for env in envs:
            call(env)
        total = (time.process_time_ns() - t0) / args.n / 1000
        print(f"{args.op}: {args.n} requests, {total:.0f} us CPU each in process "
              f"(timers on), inside:")
        for name in args.inclusive:
            print(f"  {spent[name] / args.n / 1000:8.1f} us  {name}")
        return
    envs = [environ() for _ in range(args.n)]
    t0 = time.process_time()
    for env in envs:
        call(env)
    plain = (time.process_time() - t0) / args.n * 1000
    envs = [environ() for _ in range(args.n)]
    t0 = time.process_time()
    profile = cProfile.Profile(time.process_time)  # CPU, not waits on the database
    profile.enable()
    for env in envs:
        call(env)
    profile.disable()
    cpu = (time.process_time() - t0) / args.n * 1000
    if args.dump:
        profile.dump_stats(args.dump)
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(f"{args.op}: {args.n} requests, {plain:.2f} ms CPU each in process "
          f"({cpu:.2f} under cProfile)\n")
    print(out.getvalue())


if __name__ == "__main__":
    main()
