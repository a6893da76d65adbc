"""A three-node MariaDB Galera cluster on one machine, out of Debian's mariadb-server and
galera-4: each node its own data directory, config file, SQL port, socket and Galera ports
under one temp dir, run as child processes. Node 1 bootstraps the cluster
(--wsrep-new-cluster), the others join it by state transfer (rsync SST). A node can be
killed (SIGKILL, as a crash) and started again: it first recovers its last committed
position (--wsrep-recover, what Debian's galera_recovery does for systemd) so it rejoins
by incremental state transfer (IST) from a peer's gcache, not a full copy.

The machine's shared MariaDB (127.0.0.1:3306, /etc/mysql) is never read or touched: every
node starts with its own --defaults-file."""
import os
import re
import shutil
import subprocess
import time

from ..fleet_mariadb import DATABASE, INSTALL_DB, MARIADBD, _user
from ..fleet_server import stop_process

PROVIDER = "/usr/lib/galera/libgalera_smm.so"
SYNCED = "4"  # wsrep_local_state: Synced


def node_user() -> str:
    """Who the nodes run as: root would have rsync SST's daemon write as `nobody` (into a
    datadir it cannot write); so as root, the `mysql` user Debian's package made, as
    production runs it; anyone else runs them as themselves."""
    return "mysql" if os.getuid() == 0 else _user()


def _own(path: str):
    if os.getuid() == 0:
        shutil.chown(path, "mysql", "mysql")


def available() -> str | None:
    """None when a cluster can be started here, else why not."""
    for path in (MARIADBD, INSTALL_DB, PROVIDER, shutil.which("rsync") or "/usr/bin/rsync"):
        if not os.path.exists(path):
            return f"{path} is missing (Debian packages mariadb-server galera-4 rsync)"
    return None


class Node:
    """One Galera node. Ports: SQL `port`, group communication `gcomm`, IST `ist`, SST `sst`."""

    def __init__(self, cluster: "Cluster", index: int, port: int, gcomm: int, ist: int, sst: int):
        self.cluster = cluster
        self.index = index
        self.name = f"node{index}"
        self.port, self.gcomm, self.ist, self.sst = port, gcomm, ist, sst
        self.basedir = os.path.join(cluster.basedir, self.name)
        self.datadir = os.path.join(self.basedir, "data")
        self.socket = os.path.join(self.basedir, "mariadb.sock")
        self.log = os.path.join(self.basedir, "error.log")
        self.cnf = os.path.join(self.basedir, "my.cnf")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mysql+mysqldb://root@127.0.0.1:{self.port}/{DATABASE}?charset=utf8mb4"

    def write_config(self):
        for path in (self.cluster.basedir, self.basedir, self.datadir):
            os.makedirs(path, exist_ok=True)
            _own(path)
        peers = ",".join(f"127.0.0.1:{n.gcomm}" for n in self.cluster.nodes)
        # a joiner takes its snapshot from a node that is not the writer (node 1 normally,
        # node 2 while node 1 is down): an rsync donor blocks writes while it copies
        donors = ",".join(n.name for n in reversed(self.cluster.nodes) if n is not self) + ","
        options = ";".join([f"gmcast.listen_addr=tcp://127.0.0.1:{self.gcomm}",
                            f"ist.recv_addr=127.0.0.1:{self.ist}",
                            "gcache.size=128M", "gcs.fc_limit=64",
                            # one machine: peers are either there or dead, no WAN jitter
                            "evs.suspect_timeout=PT3S", "evs.inactive_timeout=PT6S",
                            "evs.install_timeout=PT6S"])
        with open(self.cnf, "w") as fh:
            fh.write(f"""[mysqld]
datadir={self.datadir}
socket={self.socket}
port={self.port}
bind-address=127.0.0.1
pid-file={os.path.join(self.basedir, 'mariadb.pid')}
log-error={self.log}
user={node_user()}
skip-name-resolve
max-connections=300
innodb-buffer-pool-size=64M
innodb-log-file-size=48M
character-set-server=utf8mb4
collation-server=utf8mb4_bin
# Galera
binlog-format=ROW
default-storage-engine=InnoDB
innodb-autoinc-lock-mode=2
# a process kill loses nothing at 2 (the log is written to the OS at each commit); a
# whole-host crash is what the other nodes' copies are for
innodb-flush-log-at-trx-commit=2
wsrep-on=ON
wsrep-provider={PROVIDER}
wsrep-cluster-name={self.cluster.name}
wsrep-cluster-address=gcomm://{peers}
wsrep-node-name={self.name}
wsrep-node-address=127.0.0.1
wsrep-node-incoming-address=127.0.0.1:{self.port}
wsrep-provider-options="{options}"
wsrep-sst-method=rsync
wsrep-sst-receive-address=127.0.0.1:{self.sst}
wsrep-sst-donor={donors}
# refuse what Galera cannot replicate safely: tables without a primary key, non-InnoDB
# tables, LOCK TABLES and the like (the app must never need them)
wsrep-mode=REQUIRED_PRIMARY_KEY,STRICT_REPLICATION
""")

    def install(self):
        self.write_config()
        if os.path.isdir(os.path.join(self.datadir, "mysql")):
            return
        subprocess.run([INSTALL_DB, f"--defaults-file={self.cnf}", f"--datadir={self.datadir}",
                        "--user=" + node_user(), "--auth-root-authentication-method=normal",
                        "--skip-test-db", "--skip-name-resolve"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def recovered_position(self) -> str | None:
        """The last committed position (uuid:seqno) of a node that was killed: its
        grastate.dat says seqno -1, InnoDB knows better."""
        grastate = os.path.join(self.datadir, "grastate.dat")
        if not os.path.exists(grastate):
            return None
        with open(grastate) as fh:
            state = fh.read()
        if re.search(r"^seqno:\s+-1\s*$", state, re.M) is None:
            return None  # a clean shutdown recorded its position
        log = os.path.join(self.basedir, "recover.log")
        subprocess.run([MARIADBD, f"--defaults-file={self.cnf}", "--wsrep-recover",
                        f"--log-error={log}"], check=False, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120)
        with open(log) as fh:
            found = re.findall(r"WSREP: Recovered position:\s+(\S+:-?\d+)", fh.read())
        return found[-1] if found else None

    def start(self, bootstrap: bool = False, timeout: float = 120):
        if self.process and self.process.poll() is None:
            return
        args = [MARIADBD, f"--defaults-file={self.cnf}"]
        if bootstrap:
            args.append("--wsrep-new-cluster")
        position = self.recovered_position()
        if position:
            args.append(f"--wsrep-start-position={position}")
        # its own session: a Ctrl-C of the caller must not reach it before stop() does
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        self.wait_synced(timeout)

    def wait_synced(self, timeout: float = 120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name}: mariadbd exited ({self.process.returncode}); "
                                   f"see {self.log}")
            if self.synced():
                return
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} not synced within {timeout}s; see {self.log}")

    def kill(self):
        """A crash: SIGKILL, no shutdown."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self, timeout: float = 60):
        """A clean shutdown (SIGTERM), waited for."""
        stop_process(self.process, timeout)

    # --- SQL -----------------------------------------------------------------------------

    def connect(self, database: str | None = DATABASE, **kwargs):
        import MySQLdb
        if database:
            kwargs["db"] = database
        return MySQLdb.connect(host="127.0.0.1", port=self.port, user="root", passwd="",
                               connect_timeout=2, charset="utf8mb4", **kwargs)

    def status(self) -> dict:
        """wsrep status variables; {} when the node does not answer."""
        try:
            conn = self.connect(None)
        except Exception:  # noqa: BLE001 - down or not yet up
            return {}
        try:
            cur = conn.cursor()
            cur.execute("SHOW GLOBAL STATUS LIKE 'wsrep_%'")
            return {k: v.decode() if isinstance(v, bytes) else v for k, v in cur.fetchall()}
        except Exception:  # noqa: BLE001
            return {}
        finally:
            conn.close()

    def synced(self) -> bool:
        s = self.status()
        return s.get("wsrep_local_state") == SYNCED and s.get("wsrep_ready") == "ON"


class Cluster:
    """ports: the first SQL port; node i gets port+i (SQL), port+10+i (gcomm), port+20+i
    (IST), port+30+i (SST), i = 1..size."""

    def __init__(self, basedir: str, port: int = 23306, size: int = 3):
        self.basedir = basedir
        self.name = f"freezer-{os.getpid()}"
        self.nodes = [Node(self, i, port + i, port + 10 + i, port + 20 + i, port + 30 + i)
                      for i in range(1, size + 1)]

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        for node in self.nodes:
            node.install()
        first, *others = self.nodes
        first.start(bootstrap=True)
        conn = first.connect(None)
        try:
            conn.cursor().execute(f"CREATE DATABASE IF NOT EXISTS {DATABASE} "
                                  "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        finally:
            conn.close()
        for node in others:  # one at a time: each joins by SST from a synced peer
            node.start()

    def stop(self):
        # the last one standing shuts down cleanly and could bootstrap again; all of it
        # is thrown away anyway with the temp dir
        for node in reversed(self.nodes):
            node.stop()

    def sizes(self) -> list:
        return [node.status().get("wsrep_cluster_size") for node in self.nodes]
