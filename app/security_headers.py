"""Security headers on every response, added by the WSGI layer outside everything else
(app/ops/edge.py): error pages, werkzeug's own answers, keystonemiddleware's 401s and
responses replaced by late hooks included.

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
NAMES = {name.lower() for name, _ in HEADERS + [HSTS]}
_OVER_HTTPS = HEADERS + [HSTS]


def for_scheme(scheme: str | None, hsts: bool = True) -> list:
    """The headers an answer over this scheme carries (those it set itself are dropped)."""
    return _OVER_HTTPS if hsts and scheme == "https" else HEADERS
