"""x-openstack-request-id: every response carries one, taken from the request when the
caller sent one (as the original's oslo request_id middleware did), else generated; log
lines carry it as %(request_id)s. The WSGI layer outside everything (app/ops/edge.py) sets it,
so error pages and answers replaced by late after_request hooks (the commit's 409/503)
carry it too."""
import logging
import re
import uuid

from flask import has_request_context, request

HEADER = "x-openstack-request-id"
ENVIRON_KEY = "freezer.request_id"
# A caller's id is echoed only when it cannot smuggle anything into headers or logs.
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
LOG_FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s [%(request_id)s] %(message)s"


def request_id_for(environ) -> str:
    sent = environ.get("HTTP_X_OPENSTACK_REQUEST_ID", "").strip()
    if sent and _SAFE.match(sent):
        return sent if sent.startswith("req-") else f"req-{sent}"
    return f"req-{uuid.uuid4()}"


def current_request_id() -> str | None:
    if has_request_context():
        return request.environ.get(ENVIRON_KEY)
    return None


class RequestIdFilter(logging.Filter):
    """Gives every record a `request_id` ("-" outside a request), for LOG_FORMAT."""

    def filter(self, record):
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return True


def init_logging(app):
    """When nothing configured logging (gunicorn leaves the root logger bare; so do
    mod_wsgi and uwsgi), log the app's lines to stderr with the request id. Tests and
    hosts that configure logging themselves are left alone."""
    root = logging.getLogger()
    if app.testing or root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
