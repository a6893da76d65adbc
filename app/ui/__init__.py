"""The operator dashboard: server-rendered pages (Jinja + htmx) over the same services as
the v1 API. Every page is behind login and scoped to the signed-in operator's documents;
every write carries the CSRF token (checked app-wide by app/auth)."""
from flask import (Blueprint, current_app, make_response, redirect, render_template, request,
                   session, url_for)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..redirects import safe_target
from ..services.scope import Scope, per_project

blp = Blueprint("ui", __name__)

DEFAULT_LIMIT = 25
MAX_LIMIT = 200


PROJECT_KEY = "ui_project"  # the project an admin switched to (the session cookie)


def current_project() -> str:
    """The operator's project; an admin may have switched to another one."""
    if current_user.is_admin:
        return session.get(PROJECT_KEY) or current_user.project_id
    return current_user.project_id


def owner() -> Scope:
    """What every query of the dashboard is scoped to: the operator's project (every user's
    documents in it, DECISIONS.md); what it writes carries the operator's user id."""
    return per_project(current_user.user_id, current_project(), current_user.is_admin)


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and \
        request.headers.get("HX-Boosted") != "true"


def render(template: str, fragment: str | None = None, status: int = 200, **context):
    """The full page, or for an htmx request only the fragment it swaps in. Full pages
    include their fragment, so the markup exists once (contact-app)."""
    name = fragment if fragment and is_htmx() else template
    response = make_response(render_template(name, **context), status)
    response.vary.add("HX-Request")
    return response


def page_args(default_limit: int = DEFAULT_LIMIT) -> tuple[int, int]:
    """limit/offset from the query string; nonsense falls back to the first page."""
    limit = request.args.get("limit", default_limit, type=int)
    offset = request.args.get("offset", 0, type=int)
    return max(1, min(limit or default_limit, MAX_LIMIT)), max(0, offset or 0)


def url_with(**changes) -> str:
    """This page's URL with some query parameters changed (None removes one): filters,
    sorting and paging all live in the URL, so every view can be linked and reloaded."""
    args = {k: v for k, v in request.args.items()}
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def go(url: str | None, fallback: str = "/"):
    """After a write: a redirect, or for htmx a 204 telling it where to go next (a
    redirect would be followed inside the XHR and swapped into the page). A target that
    would leave the site (e.g. a form's `next`) is replaced by `fallback`."""
    url = safe_target(url) or fallback
    if is_htmx():
        return "", 204, {"HX-Redirect": url}
    return redirect(url)


def has_endpoint(name: str) -> bool:
    return name in current_app.view_functions


def init_app(app):
    # the page modules add their routes to blp when imported
    from . import actions, admin, backups, clients, jobs, notify, overview, search, sessions  # noqa: F401
    from . import job_bulk, job_edit  # noqa: F401
    from . import account, activity  # noqa: F401
    app.register_blueprint(blp)
    app.jinja_env.globals.setdefault("csrf_token", generate_csrf)
    app.jinja_env.globals.update(has_endpoint=has_endpoint, url_with=url_with)
    app.jinja_env.globals.update(current_project=current_project)
    from . import charts, filters
    filters.init_app(app)
    charts.init_app(app)
