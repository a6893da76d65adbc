"""Writes made after the request's own transaction has ended, in a short transaction of
their own: bookkeeping that must survive the rollback of a 4xx (a failed sign-in is
counted and audited although the request answers 401) and must not hold the request's
locks (a token's or session's last use)."""
import logging

from flask import has_request_context

from . import context
from .extensions import db

log = logging.getLogger(__name__)
_KEY = "freezer.deferred_writes"


def defer(write) -> None:
    """Run `write(connection)` once the request is over (each request's writes together)."""
    context.environ().setdefault(_KEY, []).append(write)


def init_app(app):
    @app.teardown_request
    def run_deferred(_exc):
        writes = context.environ().pop(_KEY, None) if has_request_context() else None
        if not writes:
            return
        try:
            with db.engine.begin() as connection:
                for write in writes:
                    write(connection)
        except Exception:  # never fail a request over bookkeeping
            log.warning("could not write the request's bookkeeping", exc_info=True)
