"""The whole scale-out topology on one machine, out of the real programs:

    agents -> HAProxy :20800 (api, /readyz checks) -> gunicorn :20801 :20802 :20803
    app servers -> HAProxy :20810 (db, one writer + backups, clustercheck) -> Galera nodes
    Galera: node1 :23307, node2 :23308, node3 :23309 (gcomm 2331x, IST 2332x, SST 2333x)

Started in that order from the bottom, the schema migrated once (through the database
endpoint, before any app server starts), stopped in the reverse order, and everything
(data directories, configs, logs) lives in one temp dir that is removed at the end.
Every process is a child of this one; nothing of the machine's own MariaDB is used."""
import contextlib
import os
import shutil
import tempfile
import time

from ..fleet_mariadb import DATABASE
from ..fleet_server import Gunicorn, migrate
from . import galera
from .clustercheck import ClusterCheck
from .haproxy import HAProxy
from .haproxy import available as haproxy_available

API_PORT = 20800
APP_PORTS = (20801, 20802, 20803)
DB_PORT = 20810
CHECK_PORTS = (20821, 20822, 20823)
STATS_PORT = 20830
NODE_BASE_PORT = 23306


def missing() -> str | None:
    return galera.available() or haproxy_available()


class Topology:
    def __init__(self, app_servers: int = 3, workers: int = 2, keep_logs: str | None = None,
                 say=print):
        self.basedir = tempfile.mkdtemp(prefix="freezer-cluster-")
        os.chmod(self.basedir, 0o711)  # the nodes may run as another user (galera.node_user)
        self.keep_logs = keep_logs
        self.say = say
        self.workers = workers
        self.cluster = galera.Cluster(os.path.join(self.basedir, "galera"), NODE_BASE_PORT)
        self.check = ClusterCheck(self.cluster.nodes, CHECK_PORTS)
        self.haproxy = HAProxy(os.path.join(self.basedir, "haproxy"), API_PORT, DB_PORT,
                               STATS_PORT, list(APP_PORTS[:app_servers]),
                               [(n.name, n.port, c) for n, c in zip(self.cluster.nodes,
                                                                     CHECK_PORTS)],
                               app_maxconn=2 * workers)
        self.apps = [self.app_server(f"app{i}", self.db_url, port)
                     for i, port in enumerate(APP_PORTS[:app_servers], 1)]
        self._stack = contextlib.ExitStack()

    def app_server(self, name: str, database_url: str, port: int) -> Gunicorn:
        """Its log and its metrics directory in the temp dir: a server killed with SIGKILL
        cannot remove a private one itself."""
        return Gunicorn(database_url, port, self.workers,
                        os.path.join(self.basedir, f"{name}.log"),
                        env={"PROMETHEUS_MULTIPROC_DIR": os.path.join(self.basedir,
                                                                      f"{name}-metrics")})

    @property
    def db_url(self) -> str:
        """What the app servers use: HAProxy's single-writer endpoint."""
        return f"mysql+mysqldb://root@127.0.0.1:{DB_PORT}/{DATABASE}?charset=utf8mb4"

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{API_PORT}"

    @property
    def nodes(self):
        return self.cluster.nodes

    # --- lifecycle -----------------------------------------------------------------------

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def start(self):
        t0 = time.monotonic()
        self._stack.callback(self.cluster.stop)
        self.cluster.start()
        self.say(f"galera: 3 nodes synced, cluster size {self.cluster.sizes()} "
                 f"({time.monotonic() - t0:.0f} s)")
        self._stack.callback(self.check.stop)
        self.check.start()
        self._stack.callback(self.haproxy.stop)
        self.haproxy.start()
        self.haproxy.wait_state("db", "node1", "UP")
        migrate(self.db_url)  # once, through the endpoint; the servers never migrate
        self.say("schema migrated once through the database endpoint")
        for app in self.apps:
            self._stack.callback(app.stop)
            app.start()
        for i in range(1, len(self.apps) + 1):
            self.haproxy.wait_state("app", f"app{i}", "UP")
        self.say(f"up in {time.monotonic() - t0:.0f} s: API {self.api_url} "
                 f"({len(self.apps)} gunicorn x {self.workers} workers), database endpoint "
                 f"127.0.0.1:{DB_PORT}, HAProxy stats http://127.0.0.1:{STATS_PORT}/stats")

    def close(self):
        try:
            self._stack.close()
        finally:
            if self.keep_logs:
                self._copy_logs()
            shutil.rmtree(self.basedir, ignore_errors=True)

    def _copy_logs(self):
        os.makedirs(self.keep_logs, exist_ok=True)
        for dirpath, _dirs, files in os.walk(self.basedir):
            for name in files:
                if name.endswith(".log") or name.endswith(".cfg") or name == "my.cnf":
                    rel = os.path.relpath(os.path.join(dirpath, name), self.basedir)
                    target = os.path.join(self.keep_logs, rel.replace(os.sep, "_"))
                    with contextlib.suppress(OSError):
                        shutil.copyfile(os.path.join(dirpath, name), target)

    # --- faults --------------------------------------------------------------------------

    def kill_app(self, i: int):
        self.apps[i - 1].kill()

    def restart_app(self, i: int) -> float:
        """Starts it again; seconds until HAProxy has it back in the pool."""
        started = time.monotonic()
        self.apps[i - 1].start()
        self.haproxy.wait_state("app", f"app{i}", "UP")
        return time.monotonic() - started

    def kill_node(self, i: int):
        self.nodes[i - 1].kill()

    def restart_node(self, i: int) -> float:
        """Recovers, rejoins (IST), syncs; seconds until HAProxy sees it UP again."""
        started = time.monotonic()
        self.nodes[i - 1].start()
        self.haproxy.wait_state("db", self.nodes[i - 1].name, "UP")
        return time.monotonic() - started
