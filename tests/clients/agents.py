"""The real freezer scheduler (which runs the real freezer-agent) as a child process, and the
scenario both releases are proven with: a local-filesystem backup job and an exec job in one
session, created by the test through the API, run by the scheduler, checked through the API
and on disk."""
import datetime
import os
import subprocess
import time

import requests

from bench.fleet_server import stop_process
from tests.clients.harness import CLIENTS_BIN, CLIENTS_V1_BIN, ROOT

# freezer 19.0.0 reads CONF.disable_exec but registers it only under [scheduler]: the launcher
# users get (docs/agents.md) registers the missing option, then runs freezer's own main().
LAUNCHER_19 = os.path.join(ROOT, "deploy", "freezer-scheduler-19.0.0.py")

# what in a scheduler log means a call to the API (or to Keystone) failed
LOG_ERRORS = ("[*] Error", "Traceback", "Unable to get jobs", "Error while registering",
              "ERROR", "CRITICAL")


class Scheduler:
    """freezer-scheduler in the foreground, polling every `interval` seconds, logging to a
    file. release "19.0.0" speaks v2; "18.0.0" runs with --enable-v1-api."""

    def __init__(self, release, credentials: dict, client_id, workdir, interval=2):
        """`credentials`: the environment with a user's OS_* variables (harness.client_env)."""
        self.release = release
        self.workdir = workdir
        self.log_path = os.path.join(workdir, f"scheduler-{release}.log")
        jobs_dir = os.path.join(workdir, "jobs")
        os.makedirs(jobs_dir, exist_ok=True)
        bindir = CLIENTS_BIN if release == "19.0.0" else CLIENTS_V1_BIN
        if release == "19.0.0":
            self.args = [os.path.join(bindir, "python"), LAUNCHER_19,
                         "--scheduler-no-daemon", "--scheduler-interval", str(interval),
                         "--scheduler-jobs-dir", jobs_dir]
            if client_id:  # else its own: <token project>_<hostname>
                self.args += ["--scheduler-client-id", client_id]
        else:
            self.args = [os.path.join(bindir, "freezer-scheduler"), "--no-daemon",
                         "--enable-v1-api", "-i", str(interval), "-c", client_id, "-f", jobs_dir]
        self.args += ["--log-file", self.log_path, "start"]
        # freezer-agent is looked up on PATH: the release's own
        self.env = {**credentials, "PATH": bindir + os.pathsep + os.environ["PATH"],
                    "HOME": workdir}
        self.process = None

    def __enter__(self):
        self._out = open(os.path.join(self.workdir, f"scheduler-{self.release}.out"), "wb")
        self.process = subprocess.Popen(self.args, env=self.env, cwd=self.workdir,
                                        stdout=self._out, stderr=subprocess.STDOUT)
        return self

    def __exit__(self, *exc):
        stop_process(self.process, grace=10)
        self._out.close()

    def log(self) -> str:
        text = ""
        for name in (self.log_path, self._out.name):
            if os.path.exists(name):
                with open(name, errors="replace") as f:
                    text += f.read()
        return text

    def errors(self) -> list[str]:
        return [line for line in self.log().splitlines() if any(e in line for e in LOG_ERRORS)]


class Api:
    """The test's own calls to our server, with a token from the stub Keystone."""

    def __init__(self, base, token):
        self.base = base.rstrip("/")
        self.headers = {"X-Auth-Token": token, "Accept": "application/json"}

    def call(self, method, path, body=None, expect=(200,)):
        r = requests.request(method, self.base + path, json=body, headers=self.headers,
                             timeout=30)
        assert r.status_code in expect, f"{method} {path}: {r.status_code} {r.text[:500]}"
        return r.json() if r.content else None


def wait_for(what, check, timeout, interval=0.5, scheduler=None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        if scheduler and scheduler.process.poll() is not None:
            raise AssertionError(f"the scheduler exited ({scheduler.process.returncode}) "
                                 f"waiting for {what}:\n{scheduler.log()[-4000:]}")
        time.sleep(interval)
    log = scheduler.log()[-4000:] if scheduler else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last})\n{log}")


def session_round(api: Api, scheduler: Scheduler, client_id: str, tmp, name: str, lead=6):
    """Create the session and its two jobs for `client_id` once the scheduler has registered,
    wait for both jobs to end, and return what a user checks: the jobs, the session, the
    backup documents and the paths of the backup's source, container and exec marker."""
    source = tmp / f"{name}-source"
    (source / "sub").mkdir(parents=True)
    (source / "a.txt").write_text("alpha\n")
    (source / "sub" / "b.txt").write_text("beta\n")
    container, exec_container, marker = (tmp / f"{name}-container", tmp / f"{name}-exec",
                                         tmp / f"{name}-exec-ran")
    wait_for(f"{client_id} registered", lambda: requests.get(
        f"{api.base}/clients/{client_id}", headers=api.headers, timeout=10).status_code == 200,
        60, scheduler=scheduler)

    # naive local time, as the scheduler parses it; far enough ahead for a poll or two
    when = (datetime.datetime.now() + datetime.timedelta(seconds=lead)).strftime(
        "%Y-%m-%dT%H:%M:%S")
    schedule = {"schedule_date": when, "event": "start"}
    session_id = api.call("POST", "/sessions/", {"description": f"{name} session",
                                                 "hold_off": 120, "schedule": schedule},
                          expect=(201,))["session_id"]
    backup_job = api.call("POST", "/jobs/", {
        "description": f"{name} backup job", "client_id": client_id, "job_schedule": schedule,
        "job_actions": [{"freezer_action": {
            "action": "backup", "mode": "fs", "storage": "local", "path_to_backup": str(source),
            "container": str(container), "backup_name": name,
            "log_file": str(tmp / f"{name}-backup.log")},
            "max_retries": 1, "max_retries_interval": 2}]}, expect=(201,))["job_id"]
    exec_job = api.call("POST", "/jobs/", {
        "description": f"{name} exec job", "client_id": client_id, "job_schedule": schedule,
        "job_actions": [{"freezer_action": {
            "action": "exec", "command": f"touch {marker}", "storage": "local",
            "container": str(exec_container), "log_file": str(tmp / f"{name}-exec.log")},
            "max_retries": 1, "max_retries_interval": 2}]}, expect=(201,))["job_id"]
    for job_id in (backup_job, exec_job):
        api.call("PUT", f"/sessions/{session_id}/jobs/{job_id}", expect=(204,))

    def ended():  # both jobs completed and the backup's metadata posted
        jobs = [api.call("GET", f"/jobs/{j}") for j in (backup_job, exec_job)]
        backups = api.call("GET", "/backups/", {"match": [{"job_id": backup_job}]})["backups"]
        done = all(j["job_schedule"].get("status") == "completed" for j in jobs) and backups
        return (jobs, backups) if done else None
    jobs, backups = wait_for(f"both {name} jobs completed", ended, 120, scheduler=scheduler)
    return {"jobs": jobs, "session": api.call("GET", f"/sessions/{session_id}"),
            "session_id": session_id, "backups": backups,
            "backup_job": backup_job, "exec_job": exec_job, "source": source,
            "container": container, "marker": marker}


def backed_up_files(container) -> set[str]:
    """The file names inside the backup's tar stream(s) under a local-storage container."""
    import tarfile
    names = set()
    for root, _dirs, files in os.walk(container):
        for f in files:
            path = os.path.join(root, f)
            try:
                with tarfile.open(path, "r:*") as tar:
                    names.update(os.path.basename(m.name) for m in tar.getmembers() if m.isfile())
            except (tarfile.TarError, OSError, EOFError):
                continue
    return names

