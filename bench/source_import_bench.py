"""freezer-manage import --from URL at size: a live source (this server under gunicorn, API
token auth, on a SQLite store of N jobs and 2N backups: default 10,000 and 20,000) imported
into an empty database (SQLite, or --target-server's engine: a throwaway database there),
then imported again (every document unchanged); wall time and peak memory (max RSS) of each
command at N/10 and at N, so the ratio says whether memory stays flat in the size of the
source (docs/migration.md).

    .venv/bin/python bench/source_import_bench.py [--jobs 10000]
        [--target-server mysql+mysqldb://root@127.0.0.1:3306/?charset=utf8mb4]"""
import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "bench"))
from store_file_bench import fill, target_database  # noqa: E402  (the export bench's store)

KEY = secrets.token_hex(32)
BIN = os.path.dirname(sys.executable)
MANAGE = os.path.join(BIN, "freezer-manage")


def env_for(url, **more):
    return dict({k: v for k, v in os.environ.items() if k != "FREEZER_API_CONFIG"},
                DATABASE_URL=url, SECRET_KEY=KEY, **more)


def token_for(url):
    """An operator owning the bench's documents (user u, project p) and an API token."""
    from app import create_app
    from app.auth import accounts, tokens
    from app.extensions import db
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "AUTH_MODE": "token",
                      "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        user = accounts.create("bench", secrets.token_hex(16), user_id="u", project_id="p")
        db.session.commit()
        _row, plain = tokens.issue(user, "bench")
        db.session.commit()
        db.engine.dispose()
    return plain


def serve(url, directory):
    with socket_port() as port:
        pass
    log = open(os.path.join(directory, f"source-{port}.log"), "w")
    proc = subprocess.Popen([os.path.join(BIN, "gunicorn"), "--config", "gunicorn.conf.py",
                             "wsgi:app"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            env=env_for(url, AUTH_MODE="token", GUNICORN_WORKERS="2",
                                        GUNICORN_ACCESS_LOG="/dev/null",
                                        FREEZER_API_BIND=f"127.0.0.1:{port}"))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if requests.get(base + "/", timeout=2).status_code in (200, 300):
                return proc, base
        except requests.RequestException:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the source did not start: {open(log.name).read()[-2000:]}")
        time.sleep(0.3)


class socket_port:
    def __enter__(self):
        import socket
        self.s = socket.socket()
        self.s.bind(("127.0.0.1", 0))
        return self.s.getsockname()[1]

    def __exit__(self, *exc):
        self.s.close()


def peak_rss(args, url, **env):
    """Wall time, peak memory (MiB), CPU time (user + system: steadier than wall time on a
    shared machine) and stdout of one command."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        pid = subprocess.Popen(args, env=env_for(url, **env), stdout=out,
                               stderr=subprocess.STDOUT).pid
        _, status, usage = os.wait4(pid, 0)
        out.seek(0)
        text = out.read()
    assert status == 0, text[-3000:]
    return (time.perf_counter() - start, usage.ru_maxrss / 1024,
            usage.ru_utime + usage.ru_stime, text)


def measure(jobs, directory, target_server):
    source = f"sqlite:///{directory}/source-{jobs}.sqlite"
    fill(source, jobs)
    token = token_for(source)
    proc, base = serve(source, directory)
    target, drop = target_database(target_server, directory, f"target-{jobs}")
    try:
        subprocess.run([MANAGE, "db", "sync"], env=env_for(target), check=True,
                       capture_output=True)
        args = [MANAGE, "import", "--from", base, f"--token={token}"]
        first = peak_rss(args, target, OS_PROJECT_ID="p")
        assert re.search(rf"jobs +new {jobs}, updated 0", first[3]), first[3][-2000:]
        assert re.search(rf"backups +new {2 * jobs}, updated 0", first[3]), first[3][-2000:]
        again = peak_rss(args, target, OS_PROJECT_ID="p")
        assert re.search(rf"jobs +new 0, updated 0, unchanged {jobs}", again[3]), again[3]
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        drop()
    return {"jobs": jobs, "backups": 2 * jobs, "target": target.split(":")[0],
            "import_s": first[0], "import_cpu_s": first[2], "import_peak_mib": first[1],
            "rerun_s": again[0], "rerun_cpu_s": again[2], "rerun_peak_mib": again[1]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=10000)
    parser.add_argument("--target-server", help="import into a throwaway database on this "
                        "server (e.g. mysql+mysqldb://root@127.0.0.1:3306/?charset=utf8mb4)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        small = measure(args.jobs // 10, directory, args.target_server)
        large = measure(args.jobs, directory, args.target_server)
    for row in (small, large):
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v
                          for k, v in row.items()}))
    print(f"peak memory ratio at 10x the source: import "
          f"{large['import_peak_mib'] / small['import_peak_mib']:.2f}x, rerun "
          f"{large['rerun_peak_mib'] / small['rerun_peak_mib']:.2f}x")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
