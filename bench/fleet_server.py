"""The API as production runs it, for the load, fault and race checks: the database migrated,
then gunicorn (gunicorn.conf.py) as a child process on a port of our own, and the CPU and
memory of its process tree sampled with psutil."""
import contextlib
import os
import secrets
import signal
import subprocess
import sys
import threading
import time

import psutil
import requests

SECRET_KEY = secrets.token_hex(32)  # servers run without TESTING: a real key

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


def stop_process(process, grace: float = 35) -> None:
    """SIGTERM, then SIGKILL after gunicorn's graceful timeout (plus a margin)."""
    if process and process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def app_env(database_url: str, **extra) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url, FLASK_APP="wsgi",
               AUTH_MODE=extra.pop("auth_mode", "token"),
               SECRET_KEY=SECRET_KEY)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def migrate(database_url: str) -> None:
    subprocess.run([os.path.join(BIN, "flask"), "db", "upgrade"], cwd=ROOT, check=True,
                   env=app_env(database_url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def issue_tokens(database_url: str, user_ids) -> dict:
    """AUTH_MODE=token: one operator per owner id (username = owner id) and an API token
    each, made with the app's own services, as `flask users create` / `flask tokens create`
    would. Returns {user_id: token}."""
    from app import create_app
    from app.auth import accounts, tokens
    from app.extensions import db
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "AUTH_MODE": "token",
                      "SECRET_KEY": SECRET_KEY})
    out = {}
    with app.app_context():
        for user_id in user_ids:
            user = accounts.find(user_id) or accounts.create(
                user_id, "fleet password " + user_id, user_id=user_id)
            out[user_id] = tokens.issue(user, "fleet")[1]
        db.session.commit()
        db.engine.dispose()
    return out


class Gunicorn:
    def __init__(self, database_url: str, port: int, workers: int = 4, log_path: str | None = None,
                 auth_mode: str = "token", app: str = "wsgi:app", ready_status: int = 300,
                 env: dict | None = None):
        """`env`: more environment for the server, e.g. the keystone-wrapped app
        ('app.auth.keystone:create_app()') with its KEYSTONE_CONFIG_FILE."""
        self.database_url = database_url
        self.app, self.ready_status = app, ready_status  # bench/hello.py answers / with 200
        self.auth_mode = auth_mode
        self.env = env or {}
        self.port = port
        self.workers = workers
        self.log_path = log_path or os.devnull
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self, timeout: float = 60):
        self._log = open(self.log_path, "ab")
        # workers=None: as many as gunicorn.conf.py ships with
        sized = {"GUNICORN_WORKERS": self.workers} if self.workers else {}
        env = app_env(self.database_url, auth_mode=self.auth_mode,
                      FREEZER_API_BIND=f"127.0.0.1:{self.port}", **sized, **self.env)
        self.process = subprocess.Popen(
            [os.path.join(BIN, "gunicorn"), "--config", "gunicorn.conf.py",
             # the control socket's default path is shared by every gunicorn of this user
             "--no-control-socket", self.app],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); "
                                   f"see {self.log_path}")
            try:
                if requests.get(self.base_url + "/", timeout=2).status_code == self.ready_status and \
                        len(self.worker_pids()) >= (self.workers or 1):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout}s")

    def stop(self):
        stop_process(self.process)
        if self._log:
            self._log.close()
            self._log = None

    def kill(self):
        """A crash: SIGKILL to the master and every worker at once; requests in hand are
        cut off unanswered."""
        if not self.process or self.process.poll() is not None:
            return
        victims = [self.process.pid] + self.worker_pids()
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait()
        psutil.wait_procs([p for p in map(_process, victims[1:]) if p], timeout=5)
        if self._log:
            self._log.close()
            self._log = None

    def worker_pids(self) -> list[int]:
        try:
            return [c.pid for c in psutil.Process(self.process.pid).children()]
        except psutil.NoSuchProcess:
            return []


def _process(pid):
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None


class TreeSampler:
    """CPU seconds and RSS of a process tree (gunicorn master + workers), sampled in a
    thread: peak total RSS, each worker's RSS first and last, CPU used between start/stop."""

    def __init__(self, pid: int, interval: float = 0.5):
        self.root = psutil.Process(pid)
        self.interval = interval
        self.peak_rss = 0
        self.first_rss: dict[int, int] = {}
        self.last_rss: dict[int, int] = {}
        self.samples: list[tuple[float, int]] = []  # (monotonic, total rss)
        self._cpu: dict[int, float] = {}
        self._cpu_start: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.wall = 0.0

    def _procs(self):
        try:
            return [self.root] + self.root.children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def _sample(self):
        total = 0
        for proc in self._procs():
            try:
                with proc.oneshot():
                    rss = proc.memory_info().rss
                    times = proc.cpu_times()
            except psutil.NoSuchProcess:
                continue
            total += rss
            self._cpu[proc.pid] = times.user + times.system
            self._cpu_start.setdefault(proc.pid, self._cpu[proc.pid])
            if proc.pid != self.root.pid:
                self.first_rss.setdefault(proc.pid, rss)
                self.last_rss[proc.pid] = rss
        self.peak_rss = max(self.peak_rss, total)
        self.samples.append((time.monotonic(), total))

    def _run(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def start(self):
        self._t0 = time.monotonic()
        self._sample()
        self._thread.start()
        return self

    def stop(self):
        self._stop.set()
        self._thread.join()
        self._sample()
        self.wall = time.monotonic() - self._t0

    @property
    def cpu_seconds(self) -> float:
        return sum(self._cpu[pid] - self._cpu_start[pid] for pid in self._cpu)

    def report(self) -> dict:
        mib = 1024 * 1024
        t0 = self.samples[0][0] if self.samples else 0
        by_minute = {}
        for when, total in self.samples:  # the last sample of each minute
            by_minute[int((when - t0) // 60)] = round(total / mib, 1)
        return {
            "total_rss_mib_by_minute": list(by_minute.values()),
            "cpu_seconds": round(self.cpu_seconds, 1),
            "cpu_percent_of_one_core": round(100 * self.cpu_seconds / self.wall, 1) if self.wall else 0,
            "peak_rss_mib": round(self.peak_rss / mib, 1),
            "workers_rss_mib_first": [round(v / mib, 1) for v in self.first_rss.values()],
            "workers_rss_mib_last": [round(self.last_rss[p] / mib, 1) for p in self.first_rss
                                     if p in self.last_rss],
        }
