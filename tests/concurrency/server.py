"""The API as production runs it (gunicorn.conf.py, N sync workers) on a port of ours, for
the race tests and bench/session_bench.py. AUTH_MODE=noauth: callers name themselves with
X-User-Id."""
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from bench.fleet_server import stop_process

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
PORTS = range(18100, 18110)  # helper-2's ports


def app_env(database_url: str, **extra) -> dict:
    env = dict(os.environ, DATABASE_URL=database_url, FLASK_APP="wsgi", AUTH_MODE="noauth",
               SECRET_KEY=secrets.token_hex(32))
    env.pop("FREEZER_API_CONFIG", None)
    # a metrics directory of our own: gunicorn.conf.py empties it on start
    env["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="freezer-race-metrics-")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def migrate(database_url: str) -> None:
    subprocess.run([os.path.join(BIN, "flask"), "db", "upgrade"], cwd=ROOT, check=True,
                   env=app_env(database_url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)
        return True
    except urllib.error.HTTPError:
        return True   # any HTTP answer (GET / is 300) means the app is up
    except OSError:
        return False


class Gunicorn:
    def __init__(self, database_url: str, port: int, workers: int = 4, log_path=os.devnull):
        self.database_url, self.port, self.workers, self.log_path = \
            database_url, port, workers, log_path
        self.process = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        if _answers(self.base_url + "/"):
            raise RuntimeError(f"port {self.port} is taken")
        log = open(self.log_path, "ab")
        env = app_env(self.database_url)
        self.metrics_dir = env["PROMETHEUS_MULTIPROC_DIR"]
        self.process = subprocess.Popen(
            [os.path.join(BIN, "gunicorn"), "--config", "gunicorn.conf.py", "--workers",
             str(self.workers), "--bind", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); "
                                   f"see {self.log_path}")
            if _answers(self.base_url + "/"):
                return self
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"gunicorn did not answer within 60 s; see {self.log_path}")

    def __exit__(self, *exc):
        stop_process(self.process)
        shutil.rmtree(getattr(self, "metrics_dir", ""), ignore_errors=True)


def start_on_a_free_port(database_url: str, workers: int = 4, log_path=os.devnull) -> Gunicorn:
    """Enter a Gunicorn on the first of our ports nobody answers on."""
    last = None
    for port in PORTS:
        try:
            return Gunicorn(database_url, port, workers, log_path).__enter__()
        except RuntimeError as exc:
            last = exc
    raise RuntimeError(f"no free port in {PORTS[0]}-{PORTS[-1]}: {last}")
