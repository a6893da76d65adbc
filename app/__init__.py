"""The Freezer control plane: the v1 JSON API and the operator dashboard in one Flask app."""
import logging
import os
from inspect import iscoroutinefunction

from flask import Flask as _Flask
from flask import Request as _Request
from werkzeug.datastructures import ImmutableMultiDict

from config import Config

log = logging.getLogger(__name__)


class _Parameters(ImmutableMultiDict):
    """`request.args` and `request.form`, with `get` answering an absent key without
    werkzeug's raise and catch of a BadRequestKeyError: webargs asks for every field of a
    list's query schema, absent or not (14 exceptions made and caught a poll)."""

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        if type is not None:
            return super().get(key, default, type)
        values = dict.get(self, key)
        return values[0] if values else default


class Request(_Request):
    parameter_storage_class = _Parameters


class Flask(_Flask):
    """Flask, with `ensure_sync`'s question answered once per function: Flask asks it of
    every hook and view on every request, and `inspect.iscoroutinefunction` (about 15 calls
    a request) was 5 % of a job GET's CPU. A function does not turn async later. A method
    view's handler is bound to a new view object per request: its function is the key."""

    request_class = Request

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._is_async = {}

    def ensure_sync(self, func):
        key = getattr(func, "__func__", func)
        try:
            is_async = self._is_async[key]
        except KeyError:
            is_async = self._is_async[key] = iscoroutinefunction(func)
        except TypeError:  # an unhashable callable: asked each time, as Flask does
            return super().ensure_sync(func)
        return self.async_to_sync(func) if is_async else func


def create_app(config=None):
    app = Flask(__name__, instance_relative_config=True)
    _configure(app, config)
    _init_extensions(app)
    _register_blueprints(app)
    _refuse_unclean_path_ids(app)
    _register_error_handlers(app)
    _register_commands(app)
    _trust_proxies(app)
    _authenticate_keystone(app)
    _register_operations(app)
    from .ops import edge
    edge.init_app(app)  # outermost: trailing slashes, request ids, security headers, metrics
    log.info("freezer-api: AUTH_MODE=%s (%s)", app.config["AUTH_MODE"],
             AUTH_MODES[app.config["AUTH_MODE"]])
    return app


AUTH_MODES = {"token": "API tokens issued to operators",
              "keystone": "Keystone tokens validated by keystonemiddleware auth_token",
              "noauth": "NO AUTHENTICATION: callers name themselves, development only"}


def _authenticate_keystone(app):
    """AUTH_MODE=keystone: auth_token in front of the app whatever the entry point, or no
    app at all (app/auth/keystone.py says why)."""
    if app.config["AUTH_MODE"] == "keystone":
        from .auth import keystone
        keystone.wrap(app)


def _trust_proxies(app):
    hops = app.config.get("TRUSTED_PROXIES") or 0
    if hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _configure(app, config):
    app.config.from_object(Config)
    extra = os.environ.get("FREEZER_API_CONFIG")
    if extra:
        app.config.from_pyfile(extra)
    if config:
        app.config.update(config)
    _database_connect_args(app)
    os.makedirs(app.instance_path, exist_ok=True)
    from . import secret_key
    secret_key.configure(app)  # refuses a placeholder or short key
    mode = app.config["AUTH_MODE"]
    if mode not in AUTH_MODES:
        raise RuntimeError(f"AUTH_MODE must be token, keystone or noauth, not {mode!r}")
    if mode == "noauth" and not app.config.get("TESTING"):
        log.warning("AUTH_MODE=noauth: every caller is trusted to say who it is (X-User-Id). "
                    "Use it for development only.")


def _database_connect_args(app, seconds=5):
    """MySQL/MariaDB: give up connecting after a few seconds, so that while the database
    host is unreachable a request answers 503 instead of hanging in TCP's own timeout
    (minutes) until gunicorn kills the worker. A connect_timeout in the URL wins. And
    mysqlclient's datetimes read faster (app/mysql_conversions.py)."""
    url = str(app.config.get("SQLALCHEMY_DATABASE_URI") or "")
    if not url.startswith(("mysql", "mariadb")):
        return
    from sqlalchemy.engine import make_url
    from .mysql_conversions import connect_args
    ours = connect_args(make_url(url))  # datetimes read in C (app/mysql_conversions.py)
    if "connect_timeout=" not in url:
        ours["connect_timeout"] = seconds
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})  # never the class's dict
    options["connect_args"] = {**ours, **options.get("connect_args", {})}
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def _init_extensions(app):
    from . import db as database
    from .extensions import db, migrate
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    database.init_app(app)
    from . import audit, auth
    audit.init_app(app)  # deletes and append-only rules of the audit trail
    auth.init_app(app)  # sign-in, CSRF, login throttling, /v1 identity


def _register_blueprints(app):
    from . import api, ui
    api.init_app(app)
    ui.init_app(app)  # the operator dashboard (after the API: `/` negotiates, see versions.py)


def _refuse_unclean_path_ids(app):
    """400 for a control character in any id a route takes from its path (after the
    authentication hooks: an unknown caller learns nothing but 401). The values are copied
    before any blueprint's url_value_preprocessor takes one (v2 takes project_id)."""
    from . import context
    from .services import ids

    @app.url_value_preprocessor
    def keep_path_values(_endpoint, values):
        context.environ()[ids.PATH_VALUES_KEY] = dict(values or {})

    @app.before_request
    def check_path_ids():
        ids.check_path(context.environ().get(ids.PATH_VALUES_KEY))


def _register_error_handlers(app):
    from . import errors, redirects
    errors.init_app(app)
    redirects.init_app(app)  # every Location / HX-Redirect stays on the site


def _register_commands(app):
    from . import cli, models  # noqa: F401  (models: so `flask db` sees every table)
    cli.init_app(app)  # `flask users|tokens|runs|jobs ...` (app/cli)


def _register_operations(app):
    """/healthz, /readyz, /metrics, request ids in the logs."""
    from . import ops
    ops.init_app(app)
