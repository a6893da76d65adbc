"""Property 3, slow clients cannot starve the service: the shipped nginx configuration
(deploy/nginx-freezer-api.conf, its paths and ports replaced) in front of gunicorn with 2
sync workers on a unix socket, as deploy/ runs them. While slow clients hold connections
(slowloris: one header line, or one body byte, every 2 s), health probes keep answering.
The control: the same slow clients straight at gunicorn starve it (what the review saw)."""
import contextlib
import os
import pathlib
import re
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from .conftest import ROOT, fresh_database, free_port, gunicorn, migrate, server_env

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not os.path.exists(NGINX),
                                reason="nginx missing: `make install-test` installs it")
SHIPPED = os.path.join(ROOT, "deploy", "nginx-freezer-api.conf")
SLOW_CLIENTS = 24       # far more than gunicorn's 2 workers
PROBE_SECONDS = 8       # how long the probes run beside them
PROBE_TIMEOUT = 2.0


def site_config(sock, http_port, tls_port, cert, key) -> str:
    """The shipped file with this test's socket, ports and certificate."""
    text = pathlib.Path(SHIPPED).read_text()
    replacements = [
        ("unix:/run/freezer-api/gunicorn.sock", f"unix:{sock}"),
        ("/etc/ssl/certs/freezer-api.pem", str(cert)),
        ("/etc/ssl/private/freezer-api.key", str(key)),
    ]
    for old, new in replacements:
        assert old in text, f"{old} is no longer in {SHIPPED}: update this test"
        text = text.replace(old, new)
    text = re.sub(r"listen \[::\]:\d+[^;]*;\n", "", text)  # no IPv6 in the test
    text = re.sub(r"listen 80;", f"listen 127.0.0.1:{http_port};", text)
    text = re.sub(r"listen 443 ", f"listen 127.0.0.1:{tls_port} ", text)
    return text


def main_config(prefix, site) -> str:
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {site};
}}
"""


def self_signed(directory):
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


@contextlib.contextmanager
def nginx(tmp_path, sock):
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    cert, key = self_signed(tmp_path)
    http_port, tls_port = free_port(), free_port()
    site = prefix / "freezer-api.conf"
    site.write_text(site_config(sock, http_port, tls_port, cert, key))
    conf = prefix / "nginx.conf"
    conf.write_text(main_config(prefix, site))
    checked = subprocess.run([NGINX, "-t", "-p", str(prefix), "-c", str(conf)],
                             capture_output=True, text=True, timeout=30)
    assert checked.returncode == 0, checked.stderr
    proc = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", tls_port), timeout=1).close()
                break
            assert proc.poll() is None and time.monotonic() < deadline, \
                (prefix / "error.log").read_text()
            time.sleep(0.1)
        yield http_port, tls_port
    finally:
        proc.terminate()
        proc.wait(30)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """gunicorn (2 sync workers, unix socket) behind the shipped nginx: (http, https) ports."""
    tmp_path = tmp_path_factory.mktemp("deployed")
    with fresh_database(tmp_path) as url:
        migrate(url)
        sock = tmp_path / "gunicorn.sock"
        env = server_env(url, AUTH_MODE="token", FREEZER_TRUSTED_PROXIES="1")
        with gunicorn(env, sock, tmp_path / "gunicorn.log", workers=2):
            with nginx(tmp_path, sock) as ports:
                yield sock, ports


def _tls(sock):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context.wrap_socket(sock, server_hostname="localhost")


def _connect(target, tls):
    if isinstance(target, str):  # a unix socket: gunicorn itself
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(PROBE_TIMEOUT)
        sock.connect(target)
        return sock
    sock = socket.create_connection(("127.0.0.1", target), timeout=PROBE_TIMEOUT)
    return _tls(sock) if tls else sock


def slow_clients(target, tls, stop: threading.Event, count=SLOW_CLIENTS):
    """`count` slowloris connections (half trickle headers, half a body), kept open (and
    reopened when dropped) until `stop` is set."""
    def one(index):
        while not stop.is_set():
            conn = None
            try:
                conn = _connect(target, tls)
                if index % 2:
                    conn.sendall(b"GET /v1/jobs HTTP/1.1\r\nHost: localhost\r\n")
                    line = b"X-Slow: 1\r\n"
                else:
                    conn.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: localhost\r\n"
                                 b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n")
                    line = b" "
                while not stop.wait(2):
                    conn.sendall(line)
            except OSError:
                stop.wait(0.2)
            finally:
                if conn is not None:
                    conn.close()
    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    return threads


def probe(target, tls, path="/healthz") -> float | None:
    """Seconds /healthz took to answer 200, None when it did not within PROBE_TIMEOUT."""
    started = time.monotonic()
    answer = b""
    try:
        with contextlib.closing(_connect(target, tls)) as conn:
            conn.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                         .encode())
            while b"\r\n\r\n" not in answer:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                answer += chunk
    except OSError:
        return None
    return time.monotonic() - started if answer.startswith(b"HTTP/1.1 200") else None


def probes_beside_slow_clients(target, tls, seconds=PROBE_SECONDS, count=SLOW_CLIENTS):
    stop = threading.Event()
    threads = slow_clients(target, tls, stop, count)
    try:
        time.sleep(1)  # let them connect and start trickling
        results, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline:
            results.append(probe(target, tls))
            time.sleep(0.25)
        return results
    finally:
        stop.set()
        for thread in threads:
            thread.join(5)


def test_probes_keep_answering_through_nginx_while_slow_clients_hold_connections(deployed):
    _sock, (http_port, tls_port) = deployed
    assert probe(tls_port, tls=True) is not None
    results = probes_beside_slow_clients(tls_port, tls=True)
    assert len(results) >= 3 and all(r is not None for r in results), results
    # over plain HTTP too (load balancers' probes)
    assert probe(http_port, tls=False) is not None


def test_without_nginx_the_same_slow_clients_starve_gunicorn(deployed):
    """The control: gunicorn's 2 sync workers, reached directly, are held by 2 slow clients
    (the review's finding), so the test above would catch a deployment without nginx."""
    sock, _ports = deployed
    assert probe(str(sock), tls=False) is not None
    results = probes_beside_slow_clients(str(sock), tls=False, seconds=4, count=4)
    assert any(r is None for r in results), results


def test_https_answers_carry_the_client_scheme_through_the_proxy(deployed):
    """X-Forwarded-Proto from nginx is believed (FREEZER_TRUSTED_PROXIES=1): the session
    cookie of the sign-in page is Secure over HTTPS; http:// redirects to https://."""
    _sock, (http_port, tls_port) = deployed
    answer = b""
    with contextlib.closing(_connect(tls_port, tls=True)) as conn:
        conn.sendall(b"GET /auth/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        while chunk := conn.recv(65536):
            answer += chunk
    head = answer.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.1 200"), head
    cookies = [line for line in head.split("\r\n") if line.lower().startswith("set-cookie")]
    assert cookies and all("Secure" in line for line in cookies), head
    with contextlib.closing(_connect(http_port, tls=False)) as conn:
        conn.sendall(b"GET /v1/jobs HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert conn.recv(4096).startswith(b"HTTP/1.1 301")


def test_the_shipped_deployment_puts_gunicorn_behind_the_proxy():
    env = pathlib.Path(ROOT, "deploy", "freezer-api.env.example").read_text()
    assert re.search(r"^FREEZER_API_BIND=unix:/run/freezer-api/gunicorn.sock$", env, re.M), env
    assert re.search(r"^FREEZER_TRUSTED_PROXIES=1$", env, re.M), env
    assert "0.0.0.0" not in env
    assert "unix:/run/freezer-api/gunicorn.sock" in pathlib.Path(SHIPPED).read_text()
