"""Where a redirect may lead: only within this site. `safe_target` is the one check for
every target that comes from a request (`next=`, a form's `next`), and an after_request
hook applies it to every Location, HX-Redirect and HX-Location the app sends, so a
view that forgets cannot send a browser (or htmx, which runs `javascript:` in
HX-Redirect) anywhere else."""
import logging
from urllib.parse import urlsplit

from flask import request

log = logging.getLogger(__name__)
HEADERS = ("Location", "HX-Redirect", "HX-Location")
_NAMES = frozenset(name.lower() for name in HEADERS)
MAX_LENGTH = 2048


def safe_target(target) -> str | None:
    """A path on this site ("/..." but not "//host" or "/\\host", which browsers read as
    hosts), without control characters, else None."""
    if not target or not isinstance(target, str) or len(target) > MAX_LENGTH:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _on_site(value: str) -> bool:
    """What the app itself may send: a safe path, or an absolute http(s) URL of this very
    host (werkzeug's own redirects, e.g. a missing trailing slash, are absolute)."""
    if safe_target(value):
        return True
    if any(ord(c) < 32 or ord(c) == 127 for c in value) or "\\" in value:
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and parts.netloc == request.host \
        and (parts.path == "" or safe_target(parts.path) is not None)


def init_app(app):
    @app.after_request
    def keep_redirects_on_site(response):
        # one pass over the headers (most answers have none of these), not a scan per name
        refused = [(name, value) for name, value in response.headers.items()
                   if name.lower() in _NAMES and not _on_site(value)]
        for name, value in refused:
            log.warning("refused an off-site %s target %r", name, value[:200])
            response.headers[name] = "/"
        return response
