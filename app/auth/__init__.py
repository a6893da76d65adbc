"""Identity and access: who calls /v1 (identity.py), operator sign-in for the dashboard
(views.py), API tokens (tokens.py), operator accounts (accounts.py); their commands are in
app/cli/users.py."""
import logging

from flask import has_request_context, request
from flask.sessions import SecureCookieSessionInterface

from .. import context

log = logging.getLogger(__name__)

#: /v1 endpoints that need no identity: the API's own description (no data in it).
PUBLIC_V1_ENDPOINTS = {"api-docs.openapi_json", "api-docs.openapi_swagger_ui"}


API_PREFIXES = ("/v1", "/v2")


def is_api_path(path: str) -> bool:
    """/v1 and /v2: token-authenticated JSON, never a cookie."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in API_PREFIXES)


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS, so one deployment
    works on plain http://localhost and behind a TLS proxy (gunicorn takes the scheme from
    X-Forwarded-Proto when the proxy is in FORWARDED_ALLOW_IPS).

    /v1 and /v2 have no session at all (Flask's null session: readable, empty, never
    saved): they take a token, never a cookie, so a dashboard cookie sent along is not even
    decoded, and no agent request pays for signing or reading one."""

    def open_session(self, app, request):
        if is_api_path(request.path):
            return self.make_null_session(app)
        return super().open_session(app, request)

    def get_cookie_secure(self, app):
        return bool(app.config["SESSION_COOKIE_SECURE"]
                    or (has_request_context() and request.is_secure))


def init_app(app):
    from ..extensions import csrf, login_manager
    from .. import deferred
    from . import sessions, views
    from .identity import current_identity

    app.session_interface = SessionInterface()

    login_manager.init_app(app)
    login_manager.user_loader(sessions.load)
    login_manager.unauthorized_handler(views.sign_in_first)

    # CSRF everywhere but /v1 (token-authenticated, never a cookie): checked by our own hook
    # so a path rule, not a list of blueprints, decides what is exempt.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    csrf.init_app(app)

    @app.before_request
    def check_access():
        # flask-login and Flask-WTF cache the user and the CSRF token on `g`; an app context
        # can outlive one request (pytest-flask keeps one per test), but both belong to
        # the request's session.
        namespace, asked = context.globals_(), context.current_request()
        namespace.pop("_login_user", None)
        namespace.pop(app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
        if is_api_path(asked.path):
            if asked.endpoint not in PUBLIC_V1_ENDPOINTS:
                current_identity()  # 401 before anything else is looked at
        elif app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect(apply_exemptions=True)

    deferred.init_app(app)  # token and session last use, failed sign-ins, after the request
    app.register_blueprint(views.bp)
    from . import keystone_tokens
    keystone_tokens.init_app(app)  # AUTH_MODE=token: a Keystone v3 token route for the freezer CLI
