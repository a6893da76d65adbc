"""HAProxy (Debian's package) in front of everything, as one child process:

* `api`: the app servers, round robin, each checked on /readyz every second (a server whose
  database is unreachable or not migrated drops out by itself). Requests that reach no app
  server (it died under them, none is up) answer the Freezer 503 JSON, never HAProxy's HTML.
* `db`: the database endpoint the app servers use: one writer at a time (node 1, else node
  2, else node 3, HAProxy `backup` servers), so Galera certification rarely has two writers
  to arbitrate; each node checked by clustercheck (synced or not). Sessions on a node that
  goes down are cut at once, and when the first node is back the backups' sessions are cut
  too, so writes never stay on two nodes.
* a stats page (CSV at /stats;csv) the proof reads server states from."""
import csv
import io
import os
import shutil
import subprocess
import time

import requests

from ..fleet_server import stop_process

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
ERROR_BODY = ('{"title": "Service Unavailable", "description": "No app server could answer; '
              'the request may not have been applied. Retry.", "code": 503}')


def available() -> str | None:
    return None if os.access(HAPROXY, os.X_OK) else "haproxy is not installed (Debian package haproxy)"


class HAProxy:
    def __init__(self, basedir: str, api_port: int, db_port: int, stats_port: int,
                 app_ports: list, nodes: list, app_maxconn: int = 4):
        """nodes: [(name, sql_port, check_port)], the first one the writer; app_maxconn:
        requests in flight per app server (2 x its workers)."""
        self.app_maxconn = app_maxconn
        self.basedir = basedir
        self.api_port, self.db_port, self.stats_port = api_port, db_port, stats_port
        self.app_ports = app_ports
        self.nodes = nodes
        self.cfg = os.path.join(basedir, "haproxy.cfg")
        self.log = os.path.join(basedir, "haproxy.log")
        self.process: subprocess.Popen | None = None
        self._log = None

    def write_config(self):
        os.makedirs(self.basedir, exist_ok=True)
        errorfile = os.path.join(self.basedir, "503.http")
        with open(errorfile, "w") as fh:
            fh.write("HTTP/1.1 503 Service Unavailable\r\nCache-Control: no-cache\r\n"
                     "Connection: close\r\nContent-Type: application/json\r\n"
                     f"Retry-After: 1\r\nContent-Length: {len(ERROR_BODY)}\r\n\r\n{ERROR_BODY}")
        # maxconn: at most a few requests per app server in flight (its sync workers plus
        # one each waiting), the rest wait in HAProxy's queue, so the /readyz checks are
        # never stuck behind a long backlog in the server's listen queue
        apps = "\n".join(f"    server app{i} 127.0.0.1:{port} check maxconn {self.app_maxconn}"
                         for i, port in enumerate(self.app_ports, 1))
        dbs = "\n".join(f"    server {name} 127.0.0.1:{port} check port {check}"
                        f"{' backup' if i else ''}"
                        for i, (name, port, check) in enumerate(self.nodes))
        with open(self.cfg, "w") as fh:
            fh.write(f"""global
    maxconn 4000
    log stdout format raw local0 notice

defaults
    log global
    timeout connect 2s
    timeout client 90s
    timeout server 90s
    # a request waits at most this long for a free app server, then answers 503 JSON
    # (Retry-After 1): past capacity agents are told to come back, never left to time out
    timeout queue 15s
    timeout check 5s
    retries 2
    option redispatch
    errorfile 502 {errorfile}
    errorfile 503 {errorfile}
    errorfile 504 {errorfile}

frontend api
    mode http
    bind 127.0.0.1:{self.api_port}
    option dontlog-normal
    option httplog
    default_backend app

backend app
    mode http
    balance roundrobin
    # only a refused connection is retried on another server: a request that reached a
    # server which then died may have been applied, so its client decides (503 JSON)
    retry-on conn-failure
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 1s fastinter 500ms fall 3 rise 2
{apps}

listen db
    mode tcp
    bind 127.0.0.1:{self.db_port}
    timeout client 1h
    timeout server 1h
    option httpchk GET /
    http-check expect status 200
    default-server inter 1s fastinter 500ms fall 2 rise 2 on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions
{dbs}

frontend stats
    mode http
    bind 127.0.0.1:{self.stats_port}
    stats enable
    stats uri /stats
""")

    def start(self, timeout: float = 20):
        self.write_config()
        check = subprocess.run([HAPROXY, "-c", "-q", "-f", self.cfg], capture_output=True,
                               text=True)
        if check.returncode:
            raise RuntimeError(f"haproxy refused its config: {check.stderr or check.stdout}")
        self._log = open(self.log, "ab")
        self.process = subprocess.Popen([HAPROXY, "-db", "-f", self.cfg], stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"haproxy exited ({self.process.returncode}); see {self.log}")
            try:
                requests.get(f"http://127.0.0.1:{self.stats_port}/stats", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"haproxy did not answer within {timeout}s; see {self.log}")

    def stop(self):
        stop_process(self.process, 10)
        if self._log:
            self._log.close()
            self._log = None

    def states(self) -> dict:
        """{(proxy, server): "UP"|"DOWN"|...} from the stats CSV."""
        text = requests.get(f"http://127.0.0.1:{self.stats_port}/stats;csv", timeout=2).text
        rows = csv.DictReader(io.StringIO(text.lstrip("# ")))
        return {(r["pxname"], r["svname"]): r["status"] for r in rows
                if r["svname"] not in ("FRONTEND", "BACKEND")}

    def wait_state(self, proxy: str, server: str, wanted: str, timeout: float = 60) -> float:
        """Seconds until HAProxy sees `server` in `wanted` state ("UP", "DOWN")."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            with_state = self.states().get((proxy, server), "")
            if with_state.startswith(wanted):
                return time.monotonic() - started
            time.sleep(0.2)
        raise RuntimeError(f"haproxy: {proxy}/{server} not {wanted} within {timeout}s")
