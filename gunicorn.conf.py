"""gunicorn settings; `make run` and deployments use this file:
    gunicorn --config gunicorn.conf.py wsgi:app

Every value can be overridden on the command line or by the variables named below."""
import glob
import multiprocessing
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from config import bind_address  # noqa: E402  (this checkout's config.py, from HERE)


def _app_config():
    """BIND/HOST/PORT as the app reads them: the environment, then FREEZER_API_CONFIG."""
    from flask import Config as FlaskConfig

    from config import Config
    cfg = FlaskConfig(os.path.join(HERE, "instance"))  # relative names: as the app reads them
    cfg.from_object(Config)
    if os.environ.get("FREEZER_API_CONFIG"):
        cfg.from_pyfile(os.environ["FREEZER_API_CONFIG"])
    return cfg


_cfg = _app_config()
bind = bind_address(_cfg)
# Sync workers: the work is short database round trips. 2 x CPUs + 1, at most 16 (each
# worker holds its own database connection pool).
workers = int(os.environ.get("GUNICORN_WORKERS") or min(2 * multiprocessing.cpu_count() + 1, 16))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM/SIGHUP a worker finishes the request in hand (up to this long) before exiting.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Recycle workers now and then (jittered so they do not all restart together): a safety net
# against a slow leak, none known (a worker's RSS moved 94.8 -> 95.0 MiB over 57,000 agent
# requests). Rarely: a worker's start costs 0.9 s of CPU (imports, create_app), which every
# 10,000 requests was 90 us a request, a tenth of a job GET, spent in bursts that also
# stalled the requests behind them (bench/PROFILE.md, round 5).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
# Behind a load balancer / reverse proxy on the same host, trust its X-Forwarded-* only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl), which
# several servers on one host would fight over: off unless a path is given.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or None
control_socket_disable = control_socket is None

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Combined format plus the request id (the app's own log lines carry the same id) and
# the time taken in microseconds.
access_log_format = ('%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" '
                     '%({x-openstack-request-id}o)s %(D)s')

# Prometheus multiprocess mode: every worker writes its counters to one directory per
# server instance, /metrics sums them. PROMETHEUS_MULTIPROC_DIR names it (systemd:
# /run/freezer-api/metrics); unset, each gunicorn gets a private temporary one, so two
# servers on one host never mix (or wipe) each other's counts. Set before any worker
# imports prometheus_client (no preload_app).
_PRIVATE = "FREEZER_API_PRIVATE_METRICS_DIR"  # survives a config reload (SIGHUP)
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="freezer-api-metrics-")
    os.environ[_PRIVATE] = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def _exposed(address: str) -> bool:
    """A TCP address other hosts reach (not loopback, not a unix socket)."""
    if address.startswith(("unix:", "fd://")):
        return False
    host = address.rpartition(":")[0].strip("[]")
    return not (host == "localhost" or host.startswith("127.") or host == "::1")


def on_starting(server):
    """Start from an empty metrics directory: files of a previous run would be summed in."""
    for address in server.cfg.bind:
        if _exposed(address):
            # sync workers read a request's headers and body themselves: a few slow
            # clients hold them all (docs/deployment.md)
            server.log.warning("gunicorn listens on %s, reachable from other hosts: put nginx "
                               "in front (deploy/nginx-freezer-api.conf) and bind to a unix "
                               "socket or loopback", address)
    path = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(path, exist_ok=True)
    for name in glob.glob(os.path.join(path, "*.db")):
        os.remove(name)


def child_exit(server, worker):
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    private = os.environ.get(_PRIVATE)
    if private and private == os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shutil.rmtree(private, ignore_errors=True)
