"""Changing a saved job in the composer: its client, description and actions (add, remove,
reorder, each action's settings), saved under the version the editor was filled from (a
stale save is refused with the values stored now, app/ui/versions.py); and cloning a job
into a new composer. Writes go through app/services/jobs.py."""
import copy
import json

from flask import flash, request, url_for
from flask_login import login_required

from ..models import Job
from ..services import documents, jobs
from ..services.errors import BadRequest, PreconditionFailed, Unprocessable
from . import blp, go, owner, queries, render, versions
from .forms import JobEditForm, JobForm
from .jobs import (_apply_op, _job_actions, _set_rows, _summary, attach_job_error,
                   composer_choices, fill_settings, settings_ok)


def action_rows(doc: dict) -> list[dict]:
    """A stored job's actions as the composer's rows."""
    rows = []
    for element in doc.get("job_actions") or []:
        if not isinstance(element, dict):
            continue
        rows.append({"action_id": element.get("action_id") or "",
                     "freezer_action": json.dumps(element.get("freezer_action") or {}),
                     "mandatory": bool(element.get("mandatory")),
                     "max_retries": element.get("max_retries"),
                     "max_retries_interval": element.get("max_retries_interval")})
    return rows


def _fill(form, row: Job) -> None:
    form.client_id.data = row.doc.get("client_id") or ""
    form.description.data = row.doc.get("description") or ""
    _set_rows(form, action_rows(row.doc))
    versions.remember(form, row)


def _current_form(row: Job) -> JobEditForm:
    form = JobEditForm(formdata=None)
    _fill(form, row)
    return form


def _save(form, row: Job) -> bool:
    ok = form.validate() and settings_ok(form)
    job_actions = _job_actions(form)
    if not job_actions:
        form.form_errors.append("A job needs at least one action: add one before saving.")
        ok = False
    if not ok:
        return False
    doc = copy.deepcopy(row.doc)
    doc.update(client_id=form.client_id.data, description=form.description.data or "",
               job_actions=job_actions)
    jobs.replace(owner(), row.job_id, doc, if_match=versions.if_match(form))
    return True


@blp.route("/jobs/<job_id>/edit", methods=["GET", "POST"])
@login_required
def job_edit(job_id):
    row = documents.get(Job, owner(), job_id)
    form = JobEditForm() if request.method == "POST" else _current_form(row)
    status, stale = 200, None
    client, library = composer_choices(form)
    if request.method == "POST":
        op = request.form.get("op", "refresh")
        if op == "save":
            try:
                if _save(form, row):
                    flash("Job saved.", "success")
                    return go(url_for("ui.job_page", job_id=job_id))
                status = 400
            except PreconditionFailed:
                stale = versions.stale_message("job", row)
                form = _current_form(row)
                client, library = composer_choices(form)
                status = 409
            except (BadRequest, Unprocessable) as error:
                attach_job_error(form, error)
                status = 400
        else:
            _apply_op(form, op, {a.action_id: a for a in library})
    fill_settings(form)
    return render("jobs/edit.html", "jobs/_composer.html", status=status, form=form,
                  client=client, library=library, summary=_summary, job=row, stale=stale,
                  action_url=url_for("ui.job_edit", job_id=job_id))


@blp.route("/jobs/<job_id>/clone")
@login_required
def job_clone(job_id):
    """A new composer holding a copy of the job (actions, schedule, description): pick the
    client or clients, change what differs, save. Nothing is written before that save."""
    row = documents.get(Job, owner(), job_id)
    form = JobForm(formdata=None)
    form.client_id.data = row.doc.get("client_id") or ""
    form.description.data = f"{row.doc.get('description') or row.job_id} (copy)"
    _set_rows(form, action_rows(row.doc))
    schedule = {k: v for k, v in (row.doc.get("job_schedule") or {}).items()
                if k.startswith("schedule_")}
    form.schedule.form.fill(schedule)
    client, library = composer_choices(form)
    fill_settings(form)
    return render("jobs/new.html", form=form, client=client, library=library,
                  summary=_summary, cloned_from=row, action_url=url_for("ui.job_new"),
                  clients=queries.all_clients(owner()))
