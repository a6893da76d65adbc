"""The real deployment path: gunicorn with gunicorn.conf.py and 2 workers on a migrated
database. /metrics must count every request the test made, whichever worker served it."""
import glob
import os
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from .conftest import BIN, ROOT, fresh_database, migrate, server_env

PORTS = range(18130, 18140)  # this suite's own ports
REQUESTS = 40


def free_port():
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port in {PORTS}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    with fresh_database(tmp_path) as url:
        yield from _serve(url, tmp_path)


def _serve(fresh_database_url, tmp_path):
    migrate(fresh_database_url)
    port = free_port()
    metrics_dir = tmp_path / "prometheus"
    log = open(tmp_path / "gunicorn.log", "w+")
    env = server_env(fresh_database_url, AUTH_MODE="noauth",
                     PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    proc = subprocess.Popen(
        [os.path.join(BIN, "gunicorn"), "--config", "gunicorn.conf.py", "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail("gunicorn did not start:\n" + log.read())
            time.sleep(0.2)
        yield base, metrics_dir, log
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        log.close()


def requests_counted(base, route, status):
    text = requests.get(f"{base}/metrics", timeout=30).text
    total = 0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "freezer_http_requests_total" and \
                    sample.labels == {"route": route, "method": "GET", "status": status}:
                total += sample.value
    return total


def test_metrics_sum_every_workers_requests(server):
    base, metrics_dir, log = server
    headers = {"X-User-Id": "alice", "Accept": "application/json"}

    def poll(_):
        # a new connection each time, several at once: both workers take some
        response = requests.get(f"{base}/v1/jobs", headers=headers, timeout=30)
        return response.status_code, response.headers["x-openstack-request-id"]

    def writers():
        return {os.path.basename(p).split("_")[1]
                for p in glob.glob(str(metrics_dir / "counter_*.db"))}

    # Which worker accepts a connection is the kernel's choice: on a loaded machine one
    # worker may take a whole batch, so send batches until both have served some.
    answers = []
    with ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(10):
            answers += pool.map(poll, range(REQUESTS))
            if len(writers()) == 2:
                break
    assert {status for status, _ in answers} == {200}
    assert len({rid for _, rid in answers}) == len(answers)
    assert len(writers()) == 2, "both workers served requests"
    # every scrape, whichever worker answers it, sees all of them
    for _ in range(4):
        assert requests_counted(base, "/v1/jobs", "200") == len(answers)


def test_the_access_log_carries_the_request_id(server):
    base, _, log = server
    requests.get(f"{base}/healthz", headers={"X-OpenStack-Request-ID": "req-from-the-lb-1"},
                 timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        log.seek(0)
        if "req-from-the-lb-1" in log.read():
            return
        time.sleep(0.1)
    pytest.fail("request id not in the access log")
