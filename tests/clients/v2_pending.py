"""Until the /v2 routes are on main (issue 11), the v2 real-client tests are reported as
expected failures with that reason (never run, never a silent skip); the mark goes away
by itself the moment the app serves /v2."""
import pytest


def _serves_v2() -> bool:
    from app import create_app
    app = create_app({"TESTING": True, "AUTH_MODE": "noauth", "SECRET_KEY": "x" * 32,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return any(rule.rule.startswith("/v2/") for rule in app.url_map.iter_rules())


needs_v2 = pytest.mark.xfail(not _serves_v2(), run=False, strict=True,
                             reason="the /v2 routes are not on main yet (issue 11)")
