"""Helpers of the security tests: the signed-in dashboard operator, the shipped servers (gunicorn, nginx)."""
import contextlib
import http.client
import os
import socket
import subprocess
import time

import pytest

from bench.fleet_server import stop_process
from tests.ops.conftest import BIN, ROOT, fresh_database, migrate, server_env  # noqa: F401
from tests.ui.conftest import ui  # noqa: F401  (the signed-in dashboard operator)


def free_port() -> int:
    """A TCP port the kernel says is free now (bind 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=10):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def unix_request(path, method, url, headers=None, body=None, timeout=10):
    """(status, body) of one request to a server listening on the unix socket `path`."""
    conn = UnixHTTPConnection(path, timeout)
    try:
        conn.request(method, url, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@contextlib.contextmanager
def gunicorn(env: dict, socket_path, log_path, workers=2, wait=True, extra=()):
    """gunicorn with gunicorn.conf.py on a unix socket, as deploy/ runs it; yields the
    process once /healthz answers (or at once with wait=False)."""
    log = open(log_path, "w+")
    proc = subprocess.Popen(
        [os.path.join(BIN, "gunicorn"), "--config", "gunicorn.conf.py", "--workers",
         str(workers), "--bind", f"unix:{socket_path}", *extra, "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while wait:
            with contextlib.suppress(OSError, http.client.HTTPException):
                if unix_request(str(socket_path), "GET", "/healthz", timeout=2)[0] == 200:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail("gunicorn did not start:\n" + log.read())
            time.sleep(0.2)
        yield proc
    finally:
        stop_process(proc)
        log.close()
