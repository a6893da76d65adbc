"""The landing page: am I protected right now? Each number links to the list behind it."""
from flask import abort, current_app, flash, request, session, url_for
from flask_login import current_user, login_required

from ..services import forecast
from ..services.notify import incidents
from ..services.scope import PROJECT_ID
from . import PROJECT_KEY, blp, go, owner, queries, render
from .history import overview_charts, overview_figures

FAILED_HOURS = 24
UPCOMING_HOURS = 24


def _threshold(name: str, config_key: str, default: int) -> int:
    value = request.args.get(name, type=int)
    return value if value and value > 0 else current_app.config.get(config_key, default)


@login_required
def overview():
    """The cheap, indexed numbers; the forecast and the stale-job check (whose cost grows
    with the number of jobs) arrive in a second request (attention())."""
    me = owner()
    silent_minutes = _threshold("silent_minutes", "DASHBOARD_SILENT_MINUTES", 60)
    failed_count, failed = queries.failed_jobs_since(me, FAILED_HOURS)
    return render("overview/page.html", "overview/_numbers.html",
                  running_count=queries.count_jobs(me, status="running"),
                  running=queries.running_jobs(me),
                  failed_count=failed_count, failed=failed, failed_hours=FAILED_HOURS,
                  silent_count=queries.count_silent_clients(me, silent_minutes),
                  silent=queries.silent_clients(me, silent_minutes),
                  silent_minutes=silent_minutes,
                  incident_count=incidents.count_open(me),
                  incidents=incidents.open_in(me, 10), **_thresholds(),
                  **overview_charts(overview_figures()))


def _thresholds() -> dict:
    return {"stale_hours": _threshold("stale_hours", "DASHBOARD_STALE_HOURS", 48),
            "upcoming_hours": UPCOMING_HOURS}


@blp.route("/overview/attention")
@login_required
def attention():
    """Next runs (the forecast service) and jobs without a recent success."""
    me = owner()
    context = _thresholds()
    stale_count, stale = queries.stale_jobs(me, context["stale_hours"])
    upcoming, more_upcoming = forecast.upcoming_with_more(me, UPCOMING_HOURS, limit=10,
                                                          dated_only=True)
    return render("overview/attention.html", "overview/_attention.html", upcoming=upcoming,
                  more_upcoming=more_upcoming, at_next_poll=queries.count_awaiting_poll(me),
                  stale_count=stale_count, stale=stale, **context)


# `/` itself belongs to app/api/versions.py, which hands browsers to this view; the rule here
# only lets url_for("ui.overview") build "/".
blp.add_url_rule("/", "overview", overview, build_only=True)


@blp.route("/upcoming")
@login_required
def upcoming():
    hours = request.args.get("hours", UPCOMING_HOURS, type=int) or UPCOMING_HOURS
    hours = max(1, min(hours, 24 * 31))
    entries, more = forecast.upcoming_with_more(owner(), hours, limit=200, dated_only=True)
    return render("overview/upcoming.html", entries=entries, more=more, hours=hours,
                  at_next_poll=queries.count_awaiting_poll(owner()))


@blp.route("/project", methods=["POST"])
@login_required
def switch_project():
    """An admin works in another project (its documents, whoever wrote them); an empty
    value goes back to the admin's own. Others have only their own project (403)."""
    if not current_user.is_admin:
        abort(403, "Only administrators may switch project")
    project_id = (request.form.get("project_id") or "").strip()
    if project_id and not PROJECT_ID.fullmatch(project_id):
        flash("A project id is 1 to 255 letters, digits, _ and -", "error")
    elif project_id and project_id != current_user.project_id:
        session[PROJECT_KEY] = project_id
    else:
        session.pop(PROJECT_KEY, None)
    return go(request.form.get("next"), url_for("ui.overview"))
