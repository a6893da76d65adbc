"""AUTH_MODE=keystone: the app behind keystonemiddleware's auth_token (the optional
requirements-keystone.txt), as the original freezer-api ran.

`create_app()` puts auth_token in front of the app itself whenever AUTH_MODE is keystone,
so every entry point (wsgi.py for gunicorn, mod_wsgi and uwsgi, `make run`, the factory
below) serves the wrapped app, and a start that cannot wrap it (middleware not installed,
no [keystone_authtoken] settings) stops with the reason instead of serving.

auth_token validates X-Auth-Token with Keystone, strips identity headers a client sent and
sets X-Identity-Status, X-User-Id, X-User-Name, X-Roles. Between auth_token and the app sits
`_MarkValidated`, which puts VALIDATED in the WSGI environ: a key no HTTP client can set
(clients reach only HTTP_* keys). app/auth/identity.py believes the identity headers only
on a request that carries it, and only with X-Identity-Status: Confirmed. auth_token runs
with delay_auth_decision, so the versions document, the probes and the dashboard (its own
sign-in) need no Keystone token, while /v1 answers 401 for anything auth_token did not
confirm.

Settings come from the app's KEYSTONE_AUTHTOKEN (a dict, e.g. from FREEZER_API_CONFIG),
else [keystone_authtoken] of /etc/freezer/freezer.conf, the original's file
(KEYSTONE_CONFIG_PROJECT or KEYSTONE_CONFIG_FILE choose another)."""
import configparser
import os
import warnings

#: set in the WSGI environ by the layer auth_token calls; never reachable from a client
VALIDATED = "freezer.keystone.validated"
_WRAPPED = "freezer.keystone"
#: one of these in [keystone_authtoken] says where Keystone is
_LOCATION_OPTIONS = ("www_authenticate_uri", "auth_uri", "auth_url", "identity_uri")


class KeystoneConfigError(RuntimeError):
    pass


class _MarkValidated:
    """Inside auth_token: whatever reaches this layer went through auth_token first."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ[VALIDATED] = True
        return self.wsgi_app(environ, start_response)


def middleware_conf() -> dict:
    conf = {"oslo_config_project": os.environ.get("KEYSTONE_CONFIG_PROJECT", "freezer")}
    if os.environ.get("KEYSTONE_CONFIG_FILE"):
        conf["oslo_config_file"] = os.environ["KEYSTONE_CONFIG_FILE"]
    return conf


def _config_files(conf: dict) -> list[str]:
    if conf.get("oslo_config_file"):
        return [conf["oslo_config_file"]]
    from oslo_config import cfg  # installed with keystonemiddleware
    return list(cfg.find_config_files(project=conf["oslo_config_project"]))


def check_conf(conf: dict) -> None:
    """Refuse a start whose auth_token could never validate a token: it would answer 401
    to every agent (or, with another setting, worse) and the cause would stay hidden."""
    if "oslo_config_project" not in conf and "oslo_config_file" not in conf:
        if not any(conf.get(name) for name in _LOCATION_OPTIONS):
            raise KeystoneConfigError(
                "AUTH_MODE=keystone: KEYSTONE_AUTHTOKEN names no Keystone "
                f"(set one of {', '.join(_LOCATION_OPTIONS)})")
        return
    files = _config_files(conf)
    if not files or not all(os.path.isfile(name) for name in files):
        where = conf.get("oslo_config_file") or \
            f"/etc/{conf['oslo_config_project']}/{conf['oslo_config_project']}.conf"
        raise KeystoneConfigError(
            f"AUTH_MODE=keystone: no keystonemiddleware configuration file ({where} not "
            "found); write its [keystone_authtoken] section, or set KEYSTONE_CONFIG_FILE or "
            "KEYSTONE_CONFIG_PROJECT")
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.read(files)
    section = parser["keystone_authtoken"] if parser.has_section("keystone_authtoken") else {}
    if not any(section.get(name) for name in _LOCATION_OPTIONS):
        raise KeystoneConfigError(
            f"AUTH_MODE=keystone: [keystone_authtoken] in {', '.join(files)} names no Keystone "
            f"(set one of {', '.join(_LOCATION_OPTIONS)})")


def _auth_token():
    try:
        with warnings.catch_warnings():  # webob (under auth_token) imports the deprecated cgi
            warnings.simplefilter("ignore", DeprecationWarning)
            from keystonemiddleware import auth_token
    except ImportError as exc:
        raise KeystoneConfigError(
            "AUTH_MODE=keystone needs keystonemiddleware: "
            ".venv/bin/pip install -r requirements-keystone.txt") from exc
    return auth_token


def wrap(app, conf: dict | None = None):
    """Put auth_token in front of a created app (AUTH_MODE must be keystone). Once only:
    create_app() already did it, so a WSGI file that wraps wsgi.py's app changes nothing."""
    if app.config["AUTH_MODE"] != "keystone":
        raise RuntimeError("keystonemiddleware in front of the app needs AUTH_MODE=keystone")
    if app.extensions.get(_WRAPPED):
        return app
    auth_token = _auth_token()
    if conf is None:
        conf = app.config.get("KEYSTONE_AUTHTOKEN") or middleware_conf()
    check_conf(conf)
    options = {**conf, "delay_auth_decision": True}
    app.wsgi_app = auth_token.AuthProtocol(_MarkValidated(app.wsgi_app), options)
    app.extensions[_WRAPPED] = True
    return app


def create_app(config: dict | None = None, conf: dict | None = None):
    """The app in AUTH_MODE=keystone, wrapped (a factory for gunicorn, uwsgi, mod_wsgi)."""
    from .. import create_app as make_app
    config = {"AUTH_MODE": "keystone", **(config or {})}
    if conf is not None:
        config["KEYSTONE_AUTHTOKEN"] = conf
    return make_app(config)
