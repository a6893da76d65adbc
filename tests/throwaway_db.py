"""Run a command (the test suite) against a throwaway MariaDB database.

TEST_DATABASE_URL set: run with it as it is. Otherwise, when MariaDB answers on
127.0.0.1:3306 (root, no password), create `freezer_test_<pid>`, run, and drop it.
When nothing answers, say so and succeed: the SQLite run has already happened."""
import os
import subprocess
import sys

HOST, PORT, USER = "127.0.0.1", 3306, "root"


def main(argv):
    command = argv[argv.index("--") + 1:] if "--" in argv else argv
    if os.environ.get("TEST_DATABASE_URL"):
        return subprocess.call(command)
    try:
        import MySQLdb
        conn = MySQLdb.connect(host=HOST, port=PORT, user=USER, passwd="", connect_timeout=3)
    except Exception as exc:  # noqa: BLE001 - any failure means "no MariaDB here"
        print(f"MariaDB does not answer on {HOST}:{PORT} ({exc}); MariaDB run skipped.")
        return 0
    name = f"freezer_test_{os.getpid()}"
    cur = conn.cursor()
    cur.execute(f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
    env = dict(os.environ, TEST_DATABASE_URL=f"mysql+mysqldb://{USER}@{HOST}:{PORT}/{name}?charset=utf8mb4")
    print(f"== the same suite on MariaDB ({name}) ==", flush=True)
    try:
        return subprocess.call(command, env=env)
    finally:
        cur.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
