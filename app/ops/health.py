"""/healthz (the process answers; no database), /healthcheck (the same, as the original
answers it: oslo.middleware's plain-text "OK") and /readyz (the database answers and its
schema is at the newest migration this code ships). None needs an identity: load
balancers and orchestrators call them."""
import logging
import os

from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db

log = logging.getLogger(__name__)
bp = Blueprint("ops_health", __name__)


def _script(app) -> ScriptDirectory:
    directory = app.extensions["migrate"].directory
    config = AlembicConfig(os.path.join(directory, "alembic.ini"))
    config.set_main_option("script_location", directory)
    return ScriptDirectory.from_config(config)


def expected_heads(app) -> set[str]:
    """The newest revision(s) in migrations/, read once per app."""
    ops = app.extensions.setdefault("freezer_ops", {})
    if "heads" not in ops:
        ops["heads"] = set(_script(app).get_heads())
    return ops["heads"]


def readiness(app) -> tuple[bool, dict]:
    """(ready, facts): facts name the reason when not ready."""
    expected = expected_heads(app)
    try:
        with db.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except SQLAlchemyError as exc:
        log.warning("readyz: database unreachable: %s", exc)
        return False, {"reason": "database unreachable: " + _first_line(exc)}
    facts = {"revision": ",".join(sorted(current)) or None,
             "expected": ",".join(sorted(expected))}
    if current == expected:
        return True, facts
    if not current:
        facts["reason"] = "database schema missing: run `freezer-manage db sync`"
    elif not all(_known(app, rev) for rev in current):
        facts["reason"] = (f"database at revision {facts['revision']}, unknown to this code "
                           "(migrated by a newer release?)")
    else:
        facts["reason"] = (f"database at revision {facts['revision']}, behind "
                           f"{facts['expected']}: run `freezer-manage db sync`")
    return False, facts


def _known(app, rev) -> bool:
    try:
        return _script(app).get_revision(rev) is not None
    except Exception:  # noqa: BLE001 - alembic raises several kinds for unknown ids
        return False


def _first_line(exc) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0][:200] if str(orig).strip() else type(orig).__name__


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/healthcheck")
def healthcheck():
    """The original's unauthenticated route (freezer-v1.md 1.1), for monitors set up for it."""
    return "OK", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/readyz")
def readyz():
    ready, facts = readiness(current_app._get_current_object())
    if ready:
        return jsonify({"status": "ready", **facts})
    response = jsonify({"status": "unavailable", **facts})
    response.status_code = 503
    response.headers["Retry-After"] = "5"
    return response
