"""Sessions: jobs whose agents start together. The board follows a running session live."""
from flask import flash, request, url_for
from flask_login import login_required

from ..models import Session
from ..services import documents, schedules, sessions
from ..services.errors import BadRequest
from . import blp, go, is_htmx, owner, page_args, queries, render
from .forms import SessionForm
from .jobs import attach_job_error


def is_live(session: Session) -> bool:
    """The board polls until the round it shows has completed."""
    return (session.doc.get("status") or "") != "completed"


@blp.route("/sessions")
@login_required
def sessions_list():
    limit, offset = page_args()
    page = queries.sessions_page(owner(), request.args, limit, offset)
    return render("sessions/list.html", "sessions/_table.html", page=page, args=request.args)


@blp.route("/sessions/new", methods=["GET", "POST"])
@login_required
def session_new():
    form = SessionForm() if request.method == "POST" else SessionForm(formdata=None)
    if request.method == "POST" and form.validate():
        schedule = form.schedule.form.schedule()
        body = {"description": form.description.data or "", "schedule": schedule}
        if form.hold_off.data is not None:
            body["hold_off"] = form.hold_off.data
        try:
            schedules.validate_schedule(schedule, "schedule")
            row = sessions.create(owner(), body)
            flash("Session created: add the jobs that must start together.", "success")
            return go(url_for("ui.session_page", session_id=row.session_id))
        except BadRequest as error:
            attach_job_error(form, error, form.schedule.form)
    status = 400 if request.method == "POST" else 200
    return render("sessions/new.html", status=status, form=form)


def _board(row: Session) -> dict:
    entries = row.doc.get("jobs") if isinstance(row.doc.get("jobs"), dict) else {}
    return {"session": row, "entries": entries, "live": is_live(row),
            "jobs": queries.jobs_by_id(owner(), entries.keys())}


@blp.route("/sessions/<session_id>")
@login_required
def session_page(session_id):
    row = documents.get(Session, owner(), session_id)
    context = _board(row)
    if is_htmx():
        return render("sessions/page.html", "sessions/_board.html", **context)
    candidates = [j for j in queries.jobs_page(owner(), {}, 200, 0).items
                  if j.job_id not in context["entries"]]
    return render("sessions/page.html", **context, candidates=candidates,
                  described=schedules.describe(row.doc.get("schedule") or {}))


@blp.route("/sessions/<session_id>/jobs", methods=["POST"])
@login_required
def session_add_job(session_id):
    job_id = request.form.get("job_id", "")
    if not job_id:
        raise BadRequest("Pick a job to add", errors={"job_id": "pick a job"})
    sessions.add_job(owner(), session_id, job_id)
    flash("Job added: it now follows the session's schedule.", "success")
    return go(url_for("ui.session_page", session_id=session_id))


@blp.route("/sessions/<session_id>/jobs/<job_id>/remove", methods=["POST"])
@login_required
def session_remove_job(session_id, job_id):
    sessions.remove_job(owner(), session_id, job_id)
    flash("Job removed from the session and stopped.", "success")
    return go(url_for("ui.session_page", session_id=session_id))


@blp.route("/sessions/<session_id>/delete", methods=["GET", "POST"])
@login_required
def session_delete(session_id):
    row = documents.get(Session, owner(), session_id)
    if request.method == "POST":
        sessions.delete(owner(), session_id)
        flash("Session deleted; its jobs keep running on their own schedules.", "success")
        return go(url_for("ui.sessions_list"))
    from .forms import ConfirmForm
    return render("confirm.html", form=ConfirmForm(), title="Delete this session?",
                  what=row.doc.get("description") or session_id,
                  cancel=url_for("ui.session_page", session_id=session_id))
