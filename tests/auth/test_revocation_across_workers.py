"""A revoked token stops working in every gunicorn worker within tokens.RECHECK_EVERY,
although each worker answers a live token from memory in between (app/auth/tokens.py)."""
import os
import socket
import time

import requests

from app.auth import tokens
from bench.fleet_server import SECRET_KEY, Gunicorn, issue_tokens, migrate

WORKERS = 3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def statuses(url, token, n=30):
    # a fresh connection each: the kernel spreads them over the workers
    return {requests.get(url + "/v1/clients", headers={"X-Auth-Token": token,
                                                        "Connection": "close"},
                         timeout=10).status_code for _ in range(n)}


def test_a_token_revoked_elsewhere_stops_in_every_worker_within_a_second(tmp_path):
    url = f"sqlite:///{tmp_path / 'revoke.sqlite'}"
    migrate(url)
    token = issue_tokens(url, ["revokee"])["revokee"]
    with Gunicorn(url, free_port(), WORKERS, os.path.join(tmp_path, "gunicorn.log")) as server:
        assert statuses(server.base_url, token) == {200}  # every worker now holds it
        from app import create_app
        from app.extensions import db
        other = create_app({"SQLALCHEMY_DATABASE_URI": url, "AUTH_MODE": "token",
                            "SECRET_KEY": SECRET_KEY})
        with other.app_context():  # another process would do the same: the dashboard, the CLI
            tokens.revoke(tokens.resolve(token)[0].id)
            db.session.commit()
            db.engine.dispose()
        revoked_at = time.monotonic()
        time.sleep(max(0.0, revoked_at + tokens.RECHECK_EVERY + 0.05 - time.monotonic()))
        assert statuses(server.base_url, token) == {401}
