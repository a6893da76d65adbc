"""Security headers on every response (WSGI, outermost: error pages, werkzeug's own
answers, keystonemiddleware's 401s and responses replaced by late hooks included).

The Content-Security-Policy allows scripts and styles from this site only: no inline
script, no eval, no inline style element (htmx is configured to match in base.html:
includeIndicatorStyles, allowEval and allowScriptTags off), and no framing at all.
HSTS is sent on HTTPS requests only (behind a TLS proxy: FREEZER_TRUSTED_PROXIES or
gunicorn's FORWARDED_ALLOW_IPS make the scheme https)."""

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HEADERS = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),  # frame-ancestors for browsers that predate it
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
]
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
_NAMES = {name.lower() for name, _ in HEADERS + [HSTS]}


class SecurityHeadersMiddleware:
    def __init__(self, wsgi_app, hsts: bool = True):
        self.wsgi_app = wsgi_app
        self.hsts = hsts

    def __call__(self, environ, start_response):
        def with_headers(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers if k.lower() not in _NAMES]
            headers.extend(HEADERS)
            # read when the answer starts: ProxyFix (inside) has set the scheme by then
            if self.hsts and environ.get("wsgi.url_scheme") == "https":
                headers.append(HSTS)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, with_headers)


def init_app(app):
    app.wsgi_app = SecurityHeadersMiddleware(app.wsgi_app, app.config.get("HSTS_ENABLED", True))
