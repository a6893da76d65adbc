"""Fleet simulation: K freezer schedulers and a few operators against gunicorn + MariaDB.

Each simulated agent does what freezer-scheduler 18.0.0 does on the wire
(tests/../shared/fixtures/agent-traffic/scheduler-18.0.0.jsonl): it registers its client,
polls `GET /v1/jobs/?limit=10&offset=0` with the match/match_not body every P seconds, and
runs each job whose event is "start": whole-document PATCH (scheduled), PATCH of
job_schedule (running), session start, whole PATCH (pid, session tag), backup metadata,
session end, whole PATCH (completed/success). Operators list pages and start jobs again
(the job event), which keeps the fleet busy.

Optionally (--fault-at) the database is stopped for --fault-down seconds mid-run and started
again. At the end every acknowledged write (each 201 backup id, each 200 PATCH version) is
looked up in the database one by one.

    python -m bench.fleet                        # 200 agents, 60 s, private MariaDB on :13307
    python -m bench.fleet --agents 50 --duration 30 --fault-at 10 --fault-down 10
"""
import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import httpx
import psutil
import logging

# the app's logging set-up (imported for the tokens) would log every request at INFO
logging.getLogger("httpx").setLevel(logging.WARNING)

from app.services.schemas import SUPPORTED

from app.services.backups import backup_id_for

from .fleet_server import issue_tokens

# everything a client may declare (what the 18.0.0 scheduler registers with)
CAPABILITIES = {f"supported_{kind}": list(values) for kind, values in SUPPORTED.items()}
# What each operation answers when all is well.
EXPECTED = {"register": 201, "poll": 200, "patch_whole": 200, "patch_schedule": 200,
            "session_start": 202, "session_end": 202, "backup": 201, "job_event": 202,
            "list_jobs": 200, "list_backups": 200, "list_clients": 200, "list_sessions": 200}
JOB_STEPS = ("patch_whole", "patch_schedule", "session_start", "session_end", "backup")


@dataclass
class Settings:
    agents: int = 200
    duration: float = 60.0
    poll: float = 5.0
    operators: int = 4
    tenants: int = 10
    workers: int = 4
    port: int = 18150
    db_port: int = 13307
    database_url: str | None = None   # None: a private MariaDB started for the run
    fault_at: float | None = None     # seconds into the run
    fault_down: float = 10.0
    run_seconds: tuple = (0.2, 1.0)   # how long a simulated backup takes
    seed: int = 7
    server_log: str | None = None
    request_timeout: float = 35.0     # above gunicorn's 30 s worker timeout
    auth_mode: str = "token"          # token: one operator + API token per tenant
    retries_503: int = 0              # an agent sends a call again after a 503, this often
    retry_wait_cap: float = 2.0       # waiting Retry-After, at most this long


@dataclass
class Sample:
    op: str
    start: float      # seconds since the run started
    latency: float
    status: int       # 0: no HTTP answer (connection error / timeout)
    well_formed: bool = True  # a success, or an error with a Freezer JSON error body
    attempt: int = 1          # 2+: the agent's retry after a 503


@dataclass
class Recorder:
    t0: float = field(default_factory=time.monotonic)
    samples: list = field(default_factory=list)
    backups: list = field(default_factory=list)           # (user_id, backup_id) answered 201
    versions: list = field(default_factory=list)          # (user_id, job_id, version) answered 200
    session_results: Counter = field(default_factory=Counter)
    failures: list = field(default_factory=list)          # first few unexpected answers

    def now(self) -> float:
        return time.monotonic() - self.t0


class Api:
    """One shared httpx client; every call is timed and recorded."""

    def __init__(self, base_url: str, recorder: Recorder, timeout: float, connections: int,
                 retries_503: int = 0, retry_wait_cap: float = 2.0):
        self.recorder = recorder
        self.retries_503 = retries_503
        self.retry_wait_cap = retry_wait_cap
        self.tokens: dict[str, str] = {}  # user_id -> API token; none: AUTH_MODE=noauth
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout,
                                        limits=httpx.Limits(max_connections=connections,
                                                            max_keepalive_connections=0))

    async def aclose(self):
        await self.client.aclose()

    def headers(self, user_id: str) -> dict:
        h = {"Content-Type": "application/json", "Accept": "application/json",
             "User-Agent": "python-requests/2.32.5"}
        if self.tokens:
            h["X-Auth-Token"] = self.tokens[user_id]   # what the scheduler sends
        else:
            h["X-User-Id"] = user_id                    # AUTH_MODE=noauth
        return h

    async def call(self, op: str, user_id: str, method: str, path: str, body=None,
                   record: bool = True):
        """One call; after a 503 (the app's or the load balancer's JSON answer) it is sent
        again, up to retries_503 times, after Retry-After (capped), as an agent would."""
        for attempt in range(1, self.retries_503 + 2):
            status, payload, retry_after = await self._once(op, user_id, method, path, body,
                                                            record, attempt)
            if status != 503 or attempt > self.retries_503:
                return status, payload
            await asyncio.sleep(min(retry_after, self.retry_wait_cap))
        return status, payload

    async def _once(self, op, user_id, method, path, body, record, attempt):
        content = json.dumps(body) if body is not None else None
        start = self.recorder.now()
        status, payload, well_formed, retry_after = 0, None, False, 1.0
        try:
            response = await self.client.request(method, path, content=content,
                                                  headers=self.headers(user_id))
            status = response.status_code
            with contextlib.suppress(ValueError):
                payload = response.json()
            with contextlib.suppress(ValueError):
                retry_after = float(response.headers.get("Retry-After", 1))
            well_formed = status < 400 or (isinstance(payload, dict) and "title" in payload
                                          and "description" in payload)
        except httpx.HTTPError as exc:
            payload = repr(exc)
        latency = self.recorder.now() - start
        if record:
            self.recorder.samples.append(Sample(op, start, latency, status, well_formed, attempt))
            if status != EXPECTED.get(op, status) and len(self.recorder.failures) < 20:
                self.recorder.failures.append((op, method, path, status, str(payload)[:200]))
        return status, payload, retry_after


# --- the fleet's documents -------------------------------------------------------------

@dataclass
class Agent:
    user_id: str
    hostname: str
    client_id: str
    running: set = field(default_factory=set)
    last_time_stamp: int = 0
    pid: int = field(default_factory=lambda: random.randint(1000, 60000))

    def time_stamp(self) -> int:
        self.last_time_stamp = max(int(time.time()), self.last_time_stamp + 1)
        return self.last_time_stamp


def job_body(agent: Agent, n: int) -> dict:
    return {"description": f"fleet backup job {agent.hostname}-{n}",
            "client_id": agent.client_id,
            "job_schedule": {"schedule_date": "2026-11-27T01:48:47", "event": "start"},
            "job_actions": [{"freezer_action": {
                "action": "backup", "mode": "fs", "storage": "local",
                "path_to_backup": "/srv/data", "container": f"/srv/backups/{agent.hostname}",
                "backup_name": f"data-{n}", "log_file": "/var/log/freezer/backup.log"},
                "max_retries": 1, "max_retries_interval": 2}]}


def backup_metadata(agent: Agent, job: dict) -> dict:
    action = job["job_actions"][0]["freezer_action"]
    return {"curr_backup_level": 0, "fs_real_path": "/srv/data", "vol_snap_path": "/srv/data",
            "client_os": "linux", "client_version": "18.0.0", "time_stamp": agent.time_stamp(),
            "action": "backup", "always_level": "", "backup_media": "fs",
            "backup_name": action["backup_name"], "container": action["container"],
            "container_segments": "", "dry_run": "", "hostname": agent.hostname,
            "path_to_backup": "/srv/data", "max_level": "", "mode": "fs",
            "log_file": action["log_file"], "storage": "local", "proxy": "",
            "compression": "gzip", "ssh_key": "/home/e2e/.ssh/id_rsa", "ssh_username": "",
            "ssh_host": "", "ssh_port": 22, "consistency_checksum": "", "job_id": job["job_id"]}


# --- the scheduler's side --------------------------------------------------------------

class Fleet:
    def __init__(self, settings: Settings, api: Api, recorder: Recorder):
        self.s = settings
        self.api = api
        self.rec = recorder
        self.run_id = uuid.uuid4().hex[:6]
        self.agents = [Agent(f"fleet-{self.run_id}-t{i % settings.tenants}",
                             f"node{i:04d}", f"fleet-{self.run_id}-t{i % settings.tenants}_node{i:04d}")
                       for i in range(settings.agents)]
        self.sessions: dict[str, list] = defaultdict(list)  # user -> [(session_id, [job_ids])]
        self.sessions_available = True
        self.stopping = asyncio.Event()
        self.runs: set = set()  # job runs in flight (tasks)

    # set-up (not measured): jobs, two agents' jobs per session, as an operator would
    async def set_up(self):
        sem = asyncio.Semaphore(16)

        async def pair(a: Agent, b: Agent | None):
            async with sem:
                job_ids = []
                for agent in (a, b) if b else (a,):
                    status, payload = await self.api.call("setup", agent.user_id, "POST",
                                                          "/v1/jobs/", job_body(agent, 0), False)
                    if status != 201:
                        raise RuntimeError(f"set-up: POST /v1/jobs answered {status}: {payload}")
                    job_ids.append(payload["job_id"])
                if not self.sessions_available:
                    self.sessions[a.user_id].append((None, job_ids))  # operators restart them
                    return
                status, payload = await self.api.call("setup", a.user_id, "POST", "/v1/sessions/", {
                    "description": "fleet pair", "hold_off": 5,
                    "schedule": {"schedule_date": "2026-11-27T01:48:47", "event": "start",
                                 "status": "scheduled"}}, False)
                if status in (404, 405):
                    self.sessions_available = False
                    self.sessions[a.user_id].append((None, job_ids))
                    return
                if status != 201:
                    raise RuntimeError(f"set-up: POST /v1/sessions answered {status}: {payload}")
                session_id = payload["session_id"]
                for job_id in job_ids:
                    status, payload = await self.api.call(
                        "setup", a.user_id, "PUT", f"/v1/sessions/{session_id}/jobs/{job_id}",
                        None, False)
                    if status != 204:
                        raise RuntimeError(f"set-up: add job answered {status}: {payload}")
                self.sessions[a.user_id].append((session_id, job_ids))

        # agents of one tenant are paired: i and i + tenants share a user
        by_user = defaultdict(list)
        for agent in self.agents:
            by_user[agent.user_id].append(agent)
        pairs = []
        for agents in by_user.values():
            pairs += [(agents[i], agents[i + 1] if i + 1 < len(agents) else None)
                      for i in range(0, len(agents), 2)]
        # the first pair finds out whether sessions exist before the rest run concurrently
        await pair(*pairs[0])
        await asyncio.gather(*(pair(a, b) for a, b in pairs[1:]))

    async def agent_loop(self, agent: Agent):
        await asyncio.sleep(random.uniform(0, self.s.poll))
        body = {"client_id": agent.client_id, "hostname": agent.hostname, **CAPABILITIES}
        while not self.stopping.is_set():
            status, _ = await self.api.call("register", agent.user_id, "POST", "/v1/clients/", body)
            if status in (201, 409):
                break
            await self._sleep(self.s.poll)
        while not self.stopping.is_set():
            status, payload = await self.api.call(
                "poll", agent.user_id, "GET", "/v1/jobs/?limit=10&offset=0",
                {"match_not": [{"status": "completed"}], "match": [{"client_id": agent.client_id}]})
            if status == 200:
                for job in payload.get("jobs", []):
                    if job.get("job_schedule", {}).get("event") == "start" and \
                            job["job_id"] not in agent.running:
                        agent.running.add(job["job_id"])
                        run = asyncio.ensure_future(self.run_job(agent, job))
                        self.runs.add(run)
                        run.add_done_callback(self.runs.discard)
            await self._sleep(self.s.poll)

    async def _sleep(self, seconds):
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)

    async def _patch(self, agent, op, job_id, body) -> bool:
        status, payload = await self.api.call(op, agent.user_id, "PATCH", f"/v1/jobs/{job_id}", body)
        if status == 200:
            self.rec.versions.append((agent.user_id, job_id, payload["version"]))
        return status == 200

    async def run_job(self, agent: Agent, job: dict):
        """The scheduler's calls for one run, in its order (fixture seq 31-55). A failed
        call ends the run; the operator's next start event will try again."""
        job_id = job["job_id"]
        try:
            doc = {k: v for k, v in job.items() if k != "_version"}
            schedule = dict(doc.get("job_schedule") or {})
            schedule.update(event="", status="scheduled")
            if not await self._patch(agent, "patch_whole", job_id, dict(doc, job_schedule=schedule)):
                return
            started = int(time.time())
            schedule.update(status="running", result="", time_started=started, time_ended=-1)
            if not await self._patch(agent, "patch_schedule", job_id, {"job_schedule": schedule}):
                return
            tag = doc.get("session_tag") or 0
            session_id = doc.get("session_id")
            if session_id:
                status, payload = await self.api.call(
                    "session_start", agent.user_id, "POST", f"/v1/sessions/{session_id}/action",
                    {"start": {"job_id": job_id, "current_tag": tag}})
                if status == 202:
                    self.rec.session_results["start:" + payload.get("result", "?")] += 1
                    if payload.get("result") == "success":
                        tag = payload.get("session_tag", tag)
            schedule["current_pid"] = agent.pid
            if not await self._patch(agent, "patch_whole", job_id,
                                     dict(doc, job_schedule=schedule, session_tag=tag)):
                return
            await asyncio.sleep(random.uniform(*self.s.run_seconds))
            meta = backup_metadata(agent, job)
            status, payload = await self.api.call("backup", agent.user_id, "POST", "/v1/backups/",
                                                  meta)
            if status == 201:
                self.rec.backups.append((agent.user_id, payload["backup_id"]))
            elif status == 409 and self.api.retries_503:
                # each time stamp is fresh: only this agent's own earlier attempt, answered
                # 503 after the commit, can have stored it; it counts as acknowledged
                self.rec.backups.append((agent.user_id, backup_id_for(meta)))
                status = 201
            result = "success" if status == 201 else "fail"
            if session_id:
                status, payload = await self.api.call(
                    "session_end", agent.user_id, "POST", f"/v1/sessions/{session_id}/action",
                    {"end": {"job_id": job_id, "current_tag": tag, "result": result}})
                if status == 202:
                    self.rec.session_results["end:" + payload.get("result", "?")] += 1
            schedule.update(status="completed", result=result, time_ended=int(time.time()))
            await self._patch(agent, "patch_whole", job_id,
                              dict(doc, job_schedule=schedule, session_tag=tag))
        finally:
            agent.running.discard(job_id)

    # --- operators ---------------------------------------------------------------------

    async def operator_loop(self, users: list[str]):
        pages = {"jobs": "list_jobs", "backups": "list_backups", "clients": "list_clients"}
        if self.sessions_available:
            pages["sessions"] = "list_sessions"
        while not self.stopping.is_set():
            await self._sleep(random.uniform(0.5, 1.5))
            if self.stopping.is_set():
                return
            user = random.choice(users)
            if random.random() < 0.5:
                name = random.choice(list(pages))
                offset = random.choice((0, 0, 10, 50))
                await self.api.call(pages[name], user, "GET", f"/v1/{name}?limit=50&offset={offset}")
            else:
                for job_id in self._some_jobs(user):
                    await self.api.call("job_event", user, "POST", f"/v1/jobs/{job_id}/event",
                                        {"start": None})

    def _some_jobs(self, user) -> list:
        if self.sessions[user]:
            return random.choice(self.sessions[user])[1]
        return []


# --- the fault -------------------------------------------------------------------------

@dataclass
class FaultWindow:
    down_at: float | None = None   # the database is told to shut down
    up_at: float | None = None     # the database answers again


async def inject_fault(settings: Settings, database, recorder: Recorder, window: FaultWindow,
                       stopping: asyncio.Event):
    await asyncio.sleep(settings.fault_at)
    if stopping.is_set():
        return
    window.down_at = recorder.now()  # from the shutdown's first moment
    await asyncio.to_thread(database.stop)
    await asyncio.sleep(settings.fault_down)
    await asyncio.to_thread(database.start)
    window.up_at = recorder.now()


# --- the run ---------------------------------------------------------------------------

def _percentile(values, q):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def summarise(settings: Settings, rec: Recorder, elapsed: float, window: FaultWindow) -> dict:
    per_op = defaultdict(list)
    for sample in rec.samples:
        per_op[sample.op].append(sample)
    ops = {}
    for op, samples in sorted(per_op.items()):
        latencies = [s.latency for s in samples]
        ops[op] = {"count": len(samples),
                   "errors": sum(1 for s in samples if s.status != EXPECTED.get(op)),
                   "p50_ms": round(1000 * _percentile(latencies, 0.5), 1),
                   "p99_ms": round(1000 * _percentile(latencies, 0.99), 1),
                   "max_ms": round(1000 * max(latencies), 1)}
    statuses = Counter(s.status for s in rec.samples)
    out = {"agents": settings.agents, "operators": settings.operators,
           "poll_seconds": settings.poll, "workers": settings.workers,
           "duration_s": round(elapsed, 1), "requests": len(rec.samples),
           "requests_per_s": round(len(rec.samples) / elapsed, 1),
           "statuses": dict(sorted(statuses.items())),
           "server_errors_5xx": sum(n for code, n in statuses.items() if code >= 500),
           "no_answer": statuses.get(0, 0),
           "errors_json_body_missing": sum(1 for s in rec.samples
                                           if s.status >= 400 and not s.well_formed),
           "session_results": dict(rec.session_results), "operations": ops,
           "acknowledged": {"backups": len(rec.backups), "patch_versions": len(rec.versions)},
           "first_failures": rec.failures[:10]}
    if window.down_at is not None:
        out["fault"] = fault_report(rec, window)
    return out


def fault_report(rec: Recorder, window: FaultWindow) -> dict:
    """What the API answered while the database was down and after it came back."""
    up = window.up_at if window.up_at is not None else float("inf")
    during = [s for s in rec.samples if s.start + s.latency >= window.down_at and s.start < up]
    after = [s for s in rec.samples if s.start >= up]
    first_ok = min((s.start + s.latency for s in after if s.status < 500 and s.status),
                   default=None)
    before = [s for s in rec.samples if s.start + s.latency < window.down_at
              and (s.status >= 500 or s.status == 0)]
    late = [s for s in after if s.start >= up + 5 and (s.status >= 500 or s.status == 0)]
    return {
        "down_at_s": round(window.down_at, 1), "up_at_s": round(up, 1),
        "during": dict(Counter(s.status for s in during)),
        "during_max_latency_ms": round(1000 * max((s.latency for s in during), default=0), 1),
        "during_non_503_5xx": sum(1 for s in during if s.status >= 500 and s.status != 503),
        "during_503_without_json": sum(1 for s in during if s.status == 503 and not s.well_formed),
        "serving_again_after_s": round(first_ok - up, 2) if first_ok is not None else None,
        "failed_before_down": len(before),
        "failed_after_up_plus_5s": len(late),
    }


def verify_writes(database_url: str, rec: Recorder) -> dict:
    """Every acknowledged write, looked up one by one in the database itself."""
    from sqlalchemy import create_engine, text
    engine = create_engine(database_url)
    missing_backups, lost_versions, repeated_versions = [], [], []
    try:
        with engine.connect() as conn:
            for user_id, backup_id in rec.backups:
                digest = hashlib.sha256(backup_id.encode("utf-8")).hexdigest()
                row = conn.execute(text("SELECT backup_id FROM backups WHERE user_id = :u AND "
                                        "id_hash = :h"), {"u": user_id, "h": digest}).first()
                if row is None or row[0] != backup_id:
                    missing_backups.append(backup_id)
            seen = defaultdict(set)
            for user_id, job_id, version in rec.versions:
                row = conn.execute(text("SELECT version FROM jobs WHERE user_id = :u AND "
                                        "job_id = :j"), {"u": user_id, "j": job_id}).first()
                if row is None or row[0] < version:
                    lost_versions.append((job_id, version))
                # two 200s naming one version would mean one of those writes was lost
                if version in seen[(user_id, job_id)]:
                    repeated_versions.append((job_id, version))
                seen[(user_id, job_id)].add(version)
    finally:
        engine.dispose()
    return {"backups_checked": len(rec.backups), "backups_missing": len(missing_backups),
            "versions_checked": len(rec.versions), "versions_lost": len(lost_versions),
            "versions_acknowledged_twice": len(repeated_versions),
            "examples": (missing_backups + lost_versions + repeated_versions)[:5]}


async def drive(settings: Settings, base_url: str, database=None, sampler=None,
                chaos=None) -> tuple:
    """chaos: an optional coroutine function (recorder, stopping event) run alongside the
    load from its first moment, awaited before the summary (bench/cluster kills servers)."""
    random.seed(settings.seed)
    rec = Recorder()
    api = Api(base_url, rec, settings.request_timeout, settings.agents + settings.operators + 32,
              settings.retries_503, settings.retry_wait_cap)
    fleet = Fleet(settings, api, rec)
    window = FaultWindow()
    if settings.auth_mode == "token":
        users = sorted({a.user_id for a in fleet.agents})
        api.tokens = await asyncio.to_thread(issue_tokens, settings.database_url, users)
    try:
        await fleet.set_up()
        rec.t0 = time.monotonic()
        rec.samples.clear()
        if sampler:
            sampler.start()
        load_before = os.getloadavg()
        me = psutil.Process()
        cpu_before = sum(me.cpu_times()[:2])
        tasks = [asyncio.ensure_future(fleet.agent_loop(a)) for a in fleet.agents]
        users = sorted({a.user_id for a in fleet.agents})
        tasks += [asyncio.ensure_future(fleet.operator_loop(users[i::settings.operators] or users))
                  for i in range(settings.operators)]
        fault = None
        if settings.fault_at is not None and database is not None:
            fault = asyncio.ensure_future(inject_fault(settings, database, rec, window,
                                                       fleet.stopping))
        elif chaos is not None:
            fault = asyncio.ensure_future(chaos(rec, fleet.stopping))
        await asyncio.sleep(settings.duration)
        fleet.stopping.set()
        await asyncio.gather(*tasks)
        if fault:
            await fault
        # let runs in flight finish their calls
        deadline = time.monotonic() + settings.request_timeout
        while any(a.running for a in fleet.agents) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        for run in list(fleet.runs):  # still retrying: not awaited past the deadline
            run.cancel()
        await asyncio.gather(*fleet.runs, return_exceptions=True)
        elapsed = rec.now()
        if sampler:
            sampler.stop()
        summary = summarise(settings, rec, elapsed, window)
        summary["sessions"] = "used" if fleet.sessions_available else "not available (skipped)"
        summary["load_generator_cpu_s"] = round(sum(me.cpu_times()[:2]) - cpu_before, 1)
        summary["loadavg_before"] = [round(x, 2) for x in load_before]
        summary["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
        if sampler:
            summary["server"] = sampler.report()
        return summary, rec
    finally:
        await api.aclose()


def run(settings: Settings) -> dict:
    """Start what the run needs (private MariaDB unless a URL is given, gunicorn), drive the
    fleet, verify the acknowledged writes, stop everything."""
    from .fleet_mariadb import PrivateMariaDB
    from .fleet_server import Gunicorn, TreeSampler, migrate
    with contextlib.ExitStack() as stack:
        database = None
        url = settings.database_url
        if url is None:
            database = stack.enter_context(PrivateMariaDB(port=settings.db_port))
            url = settings.database_url = database.url
        migrate(url)
        server = stack.enter_context(Gunicorn(url, settings.port, settings.workers,
                                              settings.server_log, settings.auth_mode))
        sampler = TreeSampler(server.process.pid)
        summary, rec = asyncio.run(drive(settings, server.base_url, database, sampler))
        if database is not None and not database.ping():
            database.start()
        summary["verification"] = verify_writes(url, rec)
        return summary


def print_report(summary: dict, out=sys.stdout):
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p(f"fleet: {summary['agents']} agents (poll {summary['poll_seconds']} s), "
      f"{summary['operators']} operators, {summary['workers']} gunicorn workers, "
      f"sessions {summary['sessions']}")
    p(f"{summary['requests']} requests in {summary['duration_s']} s = "
      f"{summary['requests_per_s']} req/s; statuses {summary['statuses']}")
    p(f"{'operation':16} {'count':>7} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for op, o in summary["operations"].items():
        p(f"{op:16} {o['count']:7} {o['errors']:7} {o['p50_ms']:8} {o['p99_ms']:8} {o['max_ms']:8}")
    if "server" in summary:
        s = summary["server"]
        p(f"server: {s['cpu_seconds']} CPU s ({s['cpu_percent_of_one_core']}% of one core), "
          f"peak RSS {s['peak_rss_mib']} MiB (master + workers); workers RSS first "
          f"{s['workers_rss_mib_first']} last {s['workers_rss_mib_last']} MiB")
    p(f"load generator: {summary['load_generator_cpu_s']} CPU s; load average before "
      f"{summary['loadavg_before']} after {summary['loadavg_after']}")
    if summary["session_results"]:
        p(f"session actions: {summary['session_results']}")
    if "fault" in summary:
        p(f"fault: {summary['fault']}")
    if "verification" in summary:
        p(f"acknowledged writes: {summary['verification']}")
    if summary["first_failures"]:
        p("first unexpected answers:")
        for failure in summary["first_failures"]:
            p("  ", failure)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60, help="seconds of load")
    parser.add_argument("--poll", type=float, default=5, help="agents' poll period, seconds")
    parser.add_argument("--operators", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=18150)
    parser.add_argument("--db-port", type=int, default=13307,
                        help="the private MariaDB's port; 0: unix socket only")
    parser.add_argument("--database-url", help="use this database instead of a private MariaDB")
    parser.add_argument("--fault-at", type=float, help="stop the database this many seconds in")
    parser.add_argument("--fault-down", type=float, default=10)
    parser.add_argument("--server-log", help="gunicorn's output goes here")
    parser.add_argument("--auth", choices=("token", "noauth"), default="token",
                        help="token: real API tokens (default); noauth: X-User-Id")
    parser.add_argument("--json", help="also write the summary here")
    args = parser.parse_args(argv)
    settings = Settings(agents=args.agents, duration=args.duration, poll=args.poll,
                        operators=args.operators, workers=args.workers, port=args.port,
                        db_port=args.db_port or None, database_url=args.database_url,
                        fault_at=args.fault_at, fault_down=args.fault_down,
                        server_log=args.server_log, auth_mode=args.auth)
    summary = run(settings)
    print_report(summary)
    print(f"auth: {settings.auth_mode}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(summary, fh, indent=2)
    problems = healthy(summary)
    for problem in problems:
        print("FAILED:", problem)
    return 1 if problems else 0


def healthy(summary: dict) -> list:
    """The run's verdict: an empty list when it passed, else what went wrong."""
    problems = []
    v = summary.get("verification", {})
    if v.get("backups_missing") or v.get("versions_lost") or v.get("versions_acknowledged_twice"):
        problems.append(f"acknowledged writes lost: {v}")
    if summary["errors_json_body_missing"]:
        problems.append(f"{summary['errors_json_body_missing']} error answers without a JSON body")
    fault = summary.get("fault")
    if fault:
        if fault["during_non_503_5xx"] or fault["during_503_without_json"]:
            problems.append(f"while the database was down: {fault}")
        if fault["serving_again_after_s"] is None or fault["serving_again_after_s"] > 5 or \
                fault["failed_after_up_plus_5s"]:
            problems.append(f"not serving within 5 s of the database's return: {fault}")
        if fault["failed_before_down"]:
            problems.append(f"5xx before the database went down: {fault}")
    elif summary["server_errors_5xx"] or summary["no_answer"]:
        problems.append(f"{summary['server_errors_5xx']} 5xx and {summary['no_answer']} "
                        "requests without an answer")
    return problems


if __name__ == "__main__":
    sys.exit(main())
