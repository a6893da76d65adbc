"""docs/walkthrough.md runs as pasted: its shell blocks, in order, in one bash, against a
gunicorn this test starts (token mode, its own database, an operator `admin` as `make run`
makes it). Each `# => ` line is an answer the page promises; `…` stands for what varies."""
import os
import re
import subprocess

import pytest

from .conftest import BIN, ROOT, free_port, migrate, run, server_env, wait_until_serving

PAGE = os.path.join(ROOT, "docs", "walkthrough.md")


def _page() -> str:
    with open(PAGE, encoding="utf-8") as fh:
        return fh.read()
MARK = "__walkthrough_block_done__"


def blocks(text: str) -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", text, re.S | re.M)


def expected(block: str) -> list[re.Pattern]:
    lines = [line[len("# => "):] for line in block.splitlines() if line.startswith("# => ")]
    return [re.compile(".*".join(re.escape(part) for part in line.split("…")) + r"\Z")
            for line in lines]


@pytest.fixture
def server(fresh_database_url, tmp_path):
    migrate(fresh_database_url)
    assert run([os.path.join(BIN, "flask"), "users", "bootstrap"], fresh_database_url,
               FLASK_APP="wsgi").returncode == 0
    port = free_port()
    env = server_env(fresh_database_url, AUTH_MODE="token", FREEZER_API_PORT=str(port),
                     GUNICORN_WORKERS="2")
    env.pop("FREEZER_API_BIND", None)
    with open(tmp_path / "gunicorn.log", "w+") as log:
        proc = subprocess.Popen([os.path.join(BIN, "gunicorn"), "--config", "gunicorn.conf.py",
                                 "wsgi:app"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            wait_until_serving(f"http://127.0.0.1:{port}/healthz", proc, log)
            yield {**env, "API": f"http://127.0.0.1:{port}"}
        finally:
            proc.terminate()
            proc.wait(40)


def test_the_page_has_blocks_and_promises():
    found = blocks(_page())
    assert len(found) >= 4 and sum(len(expected(b)) for b in found) >= 30


def test_every_block_of_the_walkthrough_runs_as_pasted(server):
    shell = subprocess.Popen(["bash", "--norc", "--noprofile"], cwd=ROOT, env=server,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
    try:
        for number, block in enumerate(blocks(_page()), 1):
            shell.stdin.write(block + f"\necho {MARK}\n")
            shell.stdin.flush()
            output = []
            for line in shell.stdout:
                if line.rstrip("\n") == MARK:
                    break
                output.append(line.rstrip("\r\n"))
            else:
                pytest.fail(f"block {number}: the shell ended:\n" + "\n".join(output))
            position = 0
            for pattern in expected(block):
                while position < len(output) and not pattern.match(output[position]):
                    position += 1
                assert position < len(output), (
                    f"block {number}: no line matching {pattern.pattern!r} (in order) in:\n"
                    + "\n".join(output))
                position += 1
    finally:
        shell.stdin.close()
        shell.wait(30)
        shell.stdout.close()
