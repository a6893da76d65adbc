"""Sessions: jobs whose agents start together. The board follows a running session live."""
from flask import flash, request, url_for
from flask_login import login_required

from ..models import Job, Session
from ..services import documents, jobs, schedules, sessions
from ..services.errors import BadRequest, PreconditionFailed
from . import blp, go, is_htmx, owner, page_args, queries, render, versions
from .forms import ConfirmForm, SessionForm
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
        body = _body(form)
        try:
            schedules.validate_schedule(body["schedule"], "schedule")
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
    rounds = sessions.past_rounds(owner(), session_id)
    candidates = [j for j in queries.jobs_page(owner(), {}, 200, 0).items
                  if j.job_id not in context["entries"]]
    return render("sessions/page.html", **context, candidates=candidates,
                  rounds=rounds, round_jobs=queries.jobs_by_id(
                      owner(), {job_id for r in rounds for job_id in (r.jobs or {})}),
                  other_sessions=queries.sessions_by_id(
                      owner(), {j.session_id for j in candidates if j.session_id}),
                  described=schedules.describe(row.doc.get("schedule") or {}))


def _body(form) -> dict:
    body = {"description": form.description.data or "", "schedule": form.schedule.form.schedule()}
    if form.hold_off.data is not None:
        body["hold_off"] = form.hold_off.data
    return body


@blp.route("/sessions/<session_id>/edit", methods=["GET", "POST"])
@login_required
def session_edit(session_id):
    """Description, hold-off and schedule, carrying the session's version; its jobs take
    the new schedule (app/services/sessions.edit)."""
    row = documents.get(Session, owner(), session_id)
    form = SessionForm() if request.method == "POST" else _filled(row)
    stale = None
    if request.method == "POST" and form.validate():
        try:
            schedules.validate_schedule(form.schedule.form.schedule(), "schedule")
            sessions.edit(owner(), session_id, _body(form), if_match=versions.if_match(form))
            flash("Session saved; its jobs follow its schedule: "
                  f"{schedules.describe(row.doc.get('schedule') or {})}.", "success")
            return go(url_for("ui.session_page", session_id=session_id))
        except PreconditionFailed:
            stale = versions.stale_message("session", row)
            form = _filled(row)
        except BadRequest as error:
            attach_job_error(form, error, form.schedule.form)
    status = (409 if stale else 400) if request.method == "POST" else 200
    members = len(row.doc.get("jobs") or {}) if isinstance(row.doc.get("jobs"), dict) else 0
    return render("sessions/new.html", status=status, form=form, row=row, stale=stale,
                  members=members)


def _filled(row: Session) -> SessionForm:
    form = SessionForm(formdata=None)
    form.fill(row.doc)
    versions.remember(form, row)
    return form


@blp.route("/sessions/<session_id>/start", methods=["GET", "POST"])
@login_required
def session_start(session_id):
    """Start every job of the session now, after a confirmation naming them."""
    row = documents.get(Session, owner(), session_id)
    members = list(queries.jobs_in_session(owner(), session_id).values())
    if request.method == "POST":
        answers = [jobs.send_event(owner(), job.job_id, {"start": None}) for job in members]
        already = sum(1 for a in answers if a != "success")
        flash(f"Start requested for {len(members) - already} job(s)"
              + (f"; {already} had a start pending already" if already else "")
              + ". Each agent starts its job at its next poll.", "success")
        return go(url_for("ui.session_page", session_id=session_id))
    if not members:
        flash("This session has no job to start: add one first.", "error")
        return go(url_for("ui.session_page", session_id=session_id))
    names = ", ".join(f"“{j.doc.get('description') or j.job_id}” on {j.client_id}"
                      for j in members)
    hold_off = row.doc.get("hold_off")
    return render("confirm.html", form=ConfirmForm(),
                  title=f"Start the {len(members)} job(s) of this session now?",
                  what=f"Sends a start to {names}.",
                  warning=("Each agent starts its job at its next poll, whatever the schedule "
                           "says; agents starting within the hold-off "
                           f"({hold_off if hold_off is not None else 60} s) of the first run "
                           "in the same round."),
                  confirm_label=f"Start {len(members)} job(s) now",
                  cancel=url_for("ui.session_page", session_id=session_id))


@blp.route("/sessions/<session_id>/jobs", methods=["POST"])
@login_required
def session_add_job(session_id):
    """The job's schedule becomes exactly the session's (the page then says what is true);
    a job of another session is moved only once the operator confirmed it, by name."""
    row = documents.get(Session, owner(), session_id)
    job_id = request.form.get("job_id", "")
    if not job_id:
        raise BadRequest("Pick a job to add", errors={"job_id": "pick a job"})
    job = documents.get(Job, owner(), job_id)
    other = job.session_id if job.session_id and job.session_id != session_id else None
    if other and request.form.get("confirm_move") != other:
        other_row = documents.find(Session, owner(), other)
        name = (other_row.doc.get("description") if other_row else "") or other
        return render("confirm.html", form=ConfirmForm(), title="Move this job to this session?",
                      what=f"“{job.doc.get('description') or job_id}” is in the session "
                           f"“{name}”. Adding it here takes it out of “{name}”: it leaves that "
                           "session's rounds and takes this session's schedule, "
                           f"{schedules.describe(row.doc.get('schedule') or {})}.",
                      confirm_label=f"Move it from “{name}”",
                      hidden={"job_id": job_id, "confirm_move": other},
                      cancel=url_for("ui.session_page", session_id=session_id))
    job = sessions.add_job(owner(), session_id, job_id, replace_schedule=True)
    described = schedules.describe(job.doc.get("job_schedule") or {})
    moved = " (moved out of its other session)" if other else ""
    flash(f"Job added{moved}: its schedule is now the session's, {described}; it runs in "
          "the session's rounds.", "success")
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
    return render("confirm.html", form=ConfirmForm(), title="Delete this session?",
                  what=row.doc.get("description") or session_id,
                  cancel=url_for("ui.session_page", session_id=session_id))
