"""A private MariaDB server for the fault and load checks: its own data directory (under a
temp dir), port and socket, run as a child process. It can be stopped and started again,
which is the point: the machine's shared server (127.0.0.1:3306) is never touched."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
DATABASE = "freezer"


def available() -> str | None:
    """None when a private server can be started here, else why not."""
    for path in (MARIADBD, INSTALL_DB):
        if not os.access(path, os.X_OK):
            return f"{os.path.basename(path)} is not installed (Debian package mariadb-server)"
    return None


class PrivateMariaDB:
    """port None: no TCP at all, only the unix socket (nothing to collide with)."""

    def __init__(self, port: int | None = 13307, basedir: str | None = None):
        self.port = port
        self._own_basedir = basedir is None
        self.basedir = basedir or tempfile.mkdtemp(prefix="freezer-mariadb-")
        self.datadir = os.path.join(self.basedir, "data")
        self.socket = os.path.join(self.basedir, "mariadb.sock")
        self.log = os.path.join(self.basedir, "error.log")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            return f"mysql+mysqldb://root@localhost/{DATABASE}?charset=utf8mb4&unix_socket={self.socket}"
        return f"mysql+mysqldb://root@127.0.0.1:{self.port}/{DATABASE}?charset=utf8mb4"

    # --- lifecycle ---------------------------------------------------------------------

    def __enter__(self):
        self.install()
        self.start()
        self.create_database()
        return self

    def __exit__(self, *exc):
        self.close()

    def install(self):
        if os.path.isdir(os.path.join(self.datadir, "mysql")):
            return
        os.makedirs(self.datadir, exist_ok=True)
        subprocess.run([INSTALL_DB, "--no-defaults", f"--datadir={self.datadir}",
                        "--user=" + _user(), "--auth-root-authentication-method=normal",
                        "--skip-test-db", "--skip-name-resolve"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self, timeout: float = 60):
        if self.process and self.process.poll() is None:
            return
        network = ["--skip-networking"] if self.port is None else \
            [f"--port={self.port}", "--bind-address=127.0.0.1"]
        args = [MARIADBD, "--no-defaults", f"--datadir={self.datadir}", *network,
                f"--socket={self.socket}",
                f"--pid-file={os.path.join(self.basedir, 'mariadb.pid')}",
                f"--log-error={self.log}", "--user=" + _user(), "--skip-name-resolve",
                "--max-connections=500", "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=48M", "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_bin"]
        # Its own session: a Ctrl-C of the caller must not reach it before close() does.
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mariadbd exited ({self.process.returncode}); see {self.log}")
            if self.ping():
                return
            time.sleep(0.2)
        raise RuntimeError(f"mariadbd did not answer within {timeout}s; see {self.log}")

    def stop(self, timeout: float = 60):
        """A clean shutdown (SIGTERM), waited for: the port is closed when this returns."""
        if not self.process or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def close(self):
        self.stop()
        if self._own_basedir:
            shutil.rmtree(self.basedir, ignore_errors=True)

    # --- SQL -----------------------------------------------------------------------------

    def connect(self, database: str | None = DATABASE):
        import MySQLdb
        kwargs = {"db": database} if database else {}
        where = {"unix_socket": self.socket} if self.port is None else \
            {"host": "127.0.0.1", "port": self.port}
        return MySQLdb.connect(**where, user="root", passwd="", connect_timeout=2,
                               charset="utf8mb4", **kwargs)

    def ping(self) -> bool:
        try:
            self.connect(None).close()
            return True
        except Exception:  # noqa: BLE001 - any failure means "not up yet"
            return False

    def create_database(self, name: str = DATABASE):
        conn = self.connect(None)
        try:
            conn.cursor().execute(f"CREATE DATABASE IF NOT EXISTS {name} "
                                  "CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
        finally:
            conn.close()

    def query(self, sql: str, params=()) -> list:
        conn = self.connect()
        try:
            cur = conn.cursor()
            cur.execute(sql, params)
            return list(cur.fetchall())
        finally:
            conn.close()


def _user() -> str:
    import pwd
    return pwd.getpwuid(os.getuid()).pw_name
