"""One change measured in one process: OP's CPU a request with the kept write connection
(app/connection.py `_KeptWrite`) on and off, in alternating blocks of B requests, so the
host's drift (shared machines move 30 % minute to minute) falls on both alike. On the
database `make bench BENCH_ARGS=--reuse` leaves (its RESET applied first):

    .venv/bin/python bench/alternate_request.py status_patch [BLOCKS] [B]

Operations: as bench/profile_request.py. Figures: bench/PROFILE.md, round 6."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from app import connection, create_app  # noqa: E402
from app.extensions import Session  # noqa: E402
from bench import profile_request, request_bench  # noqa: E402
from bench.fleet_server import issue_tokens  # noqa: E402

URL = profile_request.DEFAULT_URL


def main():
    op = sys.argv[1]
    blocks = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    request_bench.reset(URL)
    token = issue_tokens(URL, ["bench-owner-0"])["bench-owner-0"]
    app = create_app({"SQLALCHEMY_DATABASE_URI": URL, "AUTH_MODE": "token",
                      "SECRET_KEY": "bench", "TESTING": True})
    make, headers = profile_request.requests_for(op, app, token)

    def environ():
        return profile_request.environ_for(make, headers)

    def call(env):
        profile_request.call_app(app, env)

    hook = Session.bind_hook
    if hook is None:
        sys.exit("no kept write connection here (SQLite?): nothing to compare")
    for _ in range(100):
        call(environ())
    spent, count = {True: 0, False: 0}, {True: 0, False: 0}
    for i in range(blocks):
        kept = i % 2 == 0
        Session.bind_hook = hook if kept else None
        if not kept:
            connection._kept_write.give_back()
        envs = [environ() for _ in range(size)]
        call(environ())  # the first of a block takes (or gives back) the connection
        t0 = time.process_time_ns()
        for env in envs:
            call(env)
        spent[kept] += time.process_time_ns() - t0
        count[kept] += size
    print(f"{op}: kept connection {spent[True] / count[True] / 1000:.0f} us, "
          f"the pool's {spent[False] / count[False] / 1000:.0f} us of CPU a request")


if __name__ == "__main__":
    main()
