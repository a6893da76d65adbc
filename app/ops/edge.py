"""The one WSGI layer outside everything else (keystonemiddleware's auth_token, ProxyFix,
the conflict replay, Flask): what every response, whoever answered it, must carry and
count. One layer, not one per concern: each layer's own call and `start_response` wrapper
cost about 1 % of a status PATCH (bench/PROFILE.md, round 10).

On the way in, `/v1/jobs/` is made `/v1/jobs` (so in /v2: freezer clients add a slash to
every collection call) and the request gets its id. On the way out, the answer's headers
get the security headers (app/security_headers.py) and the request id
(app/ops/request_id.py), replacing any the app set, and the status sent (after the
commit's hook, keystonemiddleware's 401s included) is counted with the time the request
took (app/ops/metrics.py)."""
import time

from .. import security_headers
from . import metrics, request_id

_UNDER_API = ("/v1/", "/v2/")  # app/auth API_PREFIXES, with their slash
_REPLACED = security_headers.NAMES | {request_id.HEADER}


class Edge:
    def __init__(self, wsgi_app, hsts: bool = True):
        self.wsgi_app = wsgi_app
        self.hsts = hsts

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        path = environ.get("PATH_INFO", "")
        if path.endswith("/") and path.startswith(_UNDER_API):
            environ["PATH_INFO"] = path.rstrip("/") or "/"
        rid = environ.setdefault(request_id.ENVIRON_KEY, request_id.request_id_for(environ))
        sent = []

        def respond(status, headers, exc_info=None):
            sent.append(status)
            headers = [(k, v) for k, v in headers if k.lower() not in _REPLACED]
            # read when the answer starts: ProxyFix (inside) has set the scheme by then
            headers += security_headers.for_scheme(environ.get("wsgi.url_scheme"), self.hsts)
            headers.append((request_id.HEADER, rid))
            return start_response(status, headers, exc_info)

        try:
            return self.wsgi_app(environ, respond)
        finally:
            metrics.record(environ, sent[-1] if sent else None, started)


def init_app(app):
    """Last, around whatever else wraps the app."""
    app.wsgi_app = Edge(app.wsgi_app, app.config.get("HSTS_ENABLED", True))
