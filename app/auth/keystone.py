"""AUTH_MODE=keystone: the app behind keystonemiddleware's auth_token (the optional
requirements-keystone.txt), as the original freezer-api ran.

    gunicorn --config gunicorn.conf.py 'app.auth.keystone:create_app()'

auth_token validates X-Auth-Token with Keystone, strips identity headers a client sent and
sets X-Identity-Status, X-User-Id, X-User-Name, X-Roles; app/auth/identity.py trusts those
only when the status is Confirmed. It runs with delay_auth_decision, so the versions
document, health probes and the dashboard (its own sign-in) need no Keystone token, while
/v1 answers 401 for anything auth_token did not confirm.

Its settings come from [keystone_authtoken] of /etc/freezer/freezer.conf, the original's
file (KEYSTONE_CONFIG_PROJECT or KEYSTONE_CONFIG_FILE choose another), or from `conf`."""
import os


def middleware_conf() -> dict:
    conf = {"oslo_config_project": os.environ.get("KEYSTONE_CONFIG_PROJECT", "freezer")}
    if os.environ.get("KEYSTONE_CONFIG_FILE"):
        conf["oslo_config_file"] = os.environ["KEYSTONE_CONFIG_FILE"]
    return conf


def wrap(app, conf: dict | None = None):
    """Put auth_token in front of a created app (AUTH_MODE must be keystone)."""
    if app.config["AUTH_MODE"] != "keystone":
        raise RuntimeError("keystonemiddleware in front of the app needs AUTH_MODE=keystone")
    from keystonemiddleware import auth_token
    options = {**(middleware_conf() if conf is None else conf), "delay_auth_decision": True}
    app.wsgi_app = auth_token.AuthProtocol(app.wsgi_app, options)
    return app


def create_app(config: dict | None = None, conf: dict | None = None):
    """The app in AUTH_MODE=keystone, wrapped (a factory for gunicorn, uwsgi, mod_wsgi)."""
    from .. import create_app as make_app
    return wrap(make_app({"AUTH_MODE": "keystone", **(config or {})}), conf)
