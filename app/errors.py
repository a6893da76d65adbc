"""One error dispatcher for the whole app: Freezer JSON under /v1 (and for API clients),
an HTML page for the dashboard."""
import logging

from flask import current_app, jsonify, render_template, render_template_string, request
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from .auth import is_api_path
from .db import note_conflict, replay_request, rollback
from .services.errors import ServiceError

log = logging.getLogger(__name__)

TITLES = {400: "Bad request format", 401: "Unauthorized", 403: "Access Forbidden",
          404: "Not Found", 405: "Bad Method", 406: "Media type not acceptable",
          409: "Document already existing", 412: "Precondition Failed",
          413: "Request Entity Too Large", 415: "Unsupported Media Type",
          422: "Unprocessable Entity", 429: "Too Many Requests",
          500: "Internal Server Error", 503: "Service Unavailable"}

_HTML = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{{ code }} {{ title }}</title></head><body><main>
<h1>{{ code }} {{ title }}</h1><p>{{ description }}</p><p><a href="/">Back to the dashboard</a></p>
</main></body></html>"""


def wants_json() -> bool:
    path = request.path
    if path == "/":  # versions document for API clients, the overview for browsers
        return request.accept_mimetypes.best_match(["application/json", "text/html"]) != "text/html"
    if is_api_path(path) or path in ("/healthz", "/readyz", "/metrics"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes.accept_html


def error_response(code, title, description, errors=None, headers=None):
    if wants_json():
        body = {"title": title, "description": description, "code": code}
        if errors:
            body["errors"] = errors
        response = jsonify(body)
    else:
        response = _as_response(_html_page(code, title, description))
    response.status_code = code
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _html_page(code, title, description) -> str:
    """The dashboard's error page in its look; the bare page when even that fails (e.g.
    the database is down and the signed-in user cannot be loaded)."""
    try:
        return render_template("errors/error.html", code=code, title=title,
                               description=description)
    except Exception:  # noqa: BLE001 - an error page must always render
        log.warning("error page template failed; answering the bare page", exc_info=True)
        rollback()
        return render_template_string(_HTML, code=code, title=title, description=description)


def _as_response(body):
    from flask import make_response
    return make_response(body)


def handle_http_exception(error: HTTPException):
    code = error.code or 500
    title = TITLES.get(code, error.name)
    description = error.description
    errors = None
    data = getattr(error, "data", None) or {}
    if data.get("errors"):  # webargs/flask-smorest argument errors
        errors = _flatten(data["errors"])
        field, message = next(iter(errors.items()))
        title = "Invalid parameter"
        description = f'The "{field}" parameter is invalid: {message}'
        code = 400
    elif data.get("message"):
        description = data["message"]
    headers = {}
    if code == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return error_response(code, title, description, errors, headers)


def _flatten(errors, prefix="") -> dict:
    out = {}
    for key, value in errors.items():
        name = f"{prefix}{key}"
        if key in ("query", "json", "path", "headers", "form") and isinstance(value, dict) and not prefix:
            out.update(_flatten(value))
        elif isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value[0] if isinstance(value, list) and value else str(value)
    return out


def handle_service_error(error: ServiceError):
    if getattr(error, "replay", False):
        replay_request()
    return error_response(error.status, error.title, error.description, error.errors, error.headers)


def handle_operational_error(error: OperationalError):
    rollback()
    if note_conflict(error):  # replayed by app.db.ReplayOnConflict while attempts last
        log.info("transaction lost a write conflict: %s", error.orig)
        return error_response(503, "Service Unavailable",
                              "The change conflicted with concurrent ones; nothing was "
                              "changed. Retry.", headers={"Retry-After": "1"})
    from .statement_timeout import is_timeout
    if is_timeout(error):
        seconds = current_app.config.get("DB_STATEMENT_TIMEOUT")
        log.warning("a statement ran into DB_STATEMENT_TIMEOUT (%s s): %s", seconds, error)
        return error_response(503, "Service Unavailable",
                              f"A database statement ran longer than DB_STATEMENT_TIMEOUT "
                              f"({seconds:g} s) and was stopped; nothing was changed. Ask "
                              "for less (a narrower search, a smaller page) or retry later.",
                              headers={"Retry-After": "5"})
    log.warning("database unavailable: %s", error)
    return error_response(503, "Service Unavailable",
                          "The database is unavailable; nothing was changed. Retry shortly.",
                          headers={"Retry-After": "5"})


def handle_integrity_error(error: IntegrityError):
    rollback()
    return error_response(409, "Document already existing",
                          "A document with that id already exists")


def handle_unexpected(error: Exception):
    rollback()
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_response(500, "Internal Server Error",
                          "An unexpected error occurred; it has been logged.")


def init_app(app):
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(OperationalError, handle_operational_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(Exception, handle_unexpected)
