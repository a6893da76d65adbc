"""Jobs: the list, the composer, the job page with its self-refreshing status card, and the
schedule editor with its live preview. Writes go through app/services/jobs.py."""
import copy
import json

from flask import flash, request, url_for
from flask_login import login_required

from ..models import Client, Job
from ..services import actions as action_rules
from ..services import clients as client_rules
from ..services import documents, forecast, jobs, restores, runs, schedules
from ..services.errors import BadRequest, PreconditionFailed, Unprocessable
from ..services import history as figures
from . import blp, go, is_htmx, owner, page_args, queries, render, versions
from .history import job_charts, job_sparklines
from .forms import JobForm, choices, ScheduleEditForm, ScheduleForm, attach_service_error

EVENTS = ("start", "stop", "abort")
LIVE_STATUSES = ("scheduled", "running", "aborting")


def is_live(job: Job) -> bool:
    """Whether the job's status may change soon: its card keeps polling only then."""
    schedule = job.doc.get("job_schedule") or {}
    status, event = schedule.get("status") or "", schedule.get("event") or ""
    return status in LIVE_STATUSES or (event == "start" and status != "completed")


# --- list ---------------------------------------------------------------------------------

@blp.route("/jobs")
@login_required
def jobs_list():
    limit, offset = page_args()
    page = queries.jobs_page(owner(), request.args, limit, offset)
    # one page of rows, each read from its own document and columns: no query per row
    return render("jobs/list.html", "jobs/_table.html", page=page, args=request.args,
                  rows=[list_row(job) for job in page.items],
                  clients=queries.all_clients(owner()),
                  sessions=queries.all_sessions(owner()),
                  history=job_sparklines([job.job_id for job in page.items]))


def last_run(job: Job) -> dict | None:
    """The job's last finished run as {"result", "at"}: its document's result and end time
    while they stand, else the latest of the stored last success and failure (a start
    request clears the document's result, the columns keep it); None: it never ran."""
    schedule = job.doc.get("job_schedule") or {}
    result, ended = schedule.get("result") or "", schedule.get("time_ended")
    if result and isinstance(ended, int) and not isinstance(ended, bool) and ended > 0:
        return {"result": result, "at": ended}
    seen = [(at, name) for at, name in ((job.last_success_at, "success"),
                                        (job.last_failure_at, "fail")) if at is not None]
    if not seen:
        return None
    at, name = max(seen)
    return {"result": name, "at": at}


def list_row(job: Job) -> dict:
    """What a row of the jobs list says of one job beside its status: the schedule in
    words, the last run and the next run (or why there is none, as the job page says)."""
    schedule = job.doc.get("job_schedule") or {}
    times, reason = forecast.planned(job.doc, 1)
    return {"job": job, "schedule": schedules.describe(schedule), "last": last_run(job),
            "next": times[0] if times else None, "no_next": None if times else reason,
            "running": schedule.get("status") == "running"}


# --- composer -----------------------------------------------------------------------------

def _offered(client: Client | None, library: list) -> list:
    """Library actions the chosen client can run (the same rule the service enforces, on
    the client row already read: no query per action)."""
    if client is None:
        return library
    out = []
    for action in library:
        try:
            client_rules.check_client_runs(client, [{"freezer_action":
                                                     action.doc.get("freezer_action")}])
        except (BadRequest, Unprocessable):
            continue
        out.append(action)
    return out


def _summary(freezer_action: dict) -> str:
    a = freezer_action or {}
    what = a.get("path_to_backup") or a.get("restore_abs_path") or a.get("command") or ""
    return " ".join(str(p) for p in (a.get("action"), a.get("mode"), a.get("backup_name"), what) if p)


def _rows(form) -> list[dict]:
    return [dict(entry.form.data) for entry in form.job_actions]


def _set_rows(form, rows: list[dict]) -> None:
    while len(form.job_actions):
        form.job_actions.pop_entry()
    for row in rows:
        form.job_actions.append_entry(row)


def _apply_op(form, op: str, library: dict) -> None:
    """Add, move or remove an action of the job being composed."""
    rows = _rows(form)
    name, _, arg = op.partition(":")
    if name == "add-library":
        action = library.get(form.add_action_id.data)
        if action is None:
            form.add_action_id.errors = ["pick an action from the library"]
        else:
            rows.append({"action_id": action.action_id,
                         "freezer_action": json.dumps(action.doc.get("freezer_action") or {}),
                         "mandatory": bool(action.doc.get("mandatory")),
                         "max_retries": action.doc.get("max_retries"),
                         "max_retries_interval": action.doc.get("max_retries_interval")})
    elif name == "add-inline":
        action = form.inline_freezer_action()
        if not action.get("backup_name") and action["action"] in ("backup", "restore"):
            form.inline_backup_name.errors = ["a backup name is needed for a "
                                              f"{action['action']}"]
        else:
            rows.append({"action_id": "", "freezer_action": json.dumps(action),
                         "mandatory": False, "max_retries": None, "max_retries_interval": None})
    elif name in ("up", "down", "remove") and arg.isdigit() and int(arg) < len(rows):
        i = int(arg)
        if name == "remove":
            rows.pop(i)
        elif name == "up" and i > 0:
            rows[i - 1], rows[i] = rows[i], rows[i - 1]
        elif name == "down" and i + 1 < len(rows):
            rows[i + 1], rows[i] = rows[i], rows[i + 1]
    _set_rows(form, rows)


def _job_actions(form) -> list[dict]:
    out = []
    for entry in form.job_actions:
        row = entry.form
        element = {"freezer_action": row.action(), "mandatory": bool(row.mandatory.data)}
        if row.action_id.data:
            element["action_id"] = row.action_id.data
        for key in ("max_retries", "max_retries_interval"):
            if row[key].data is not None:
                element[key] = row[key].data
        out.append(element)
    return out


def attach_job_error(form, error, schedule_form=None) -> None:
    """Service errors beside their inputs: job_schedule.* in the schedule fieldset,
    job_actions.N.* on the Nth action, the rest on the job's own fields."""
    schedule_form = schedule_form if schedule_form is not None else \
        getattr(getattr(form, "schedule", None), "form", None)
    for path, message in (error.errors or {"": error.description}).items():
        parts = path.split(".")
        if parts[0] in ("job_schedule", "schedule") and len(parts) > 1 and schedule_form is not None \
                and parts[-1] in schedule_form._fields:
            field = schedule_form[parts[-1]]
            field.errors = list(field.errors) + [message]
        elif parts[0] == "job_actions" and len(parts) > 1 and parts[1].isdigit() \
                and hasattr(form, "job_actions") and int(parts[1]) < len(form.job_actions):
            entry = form.job_actions[int(parts[1])].form
            entry.freezer_action.errors = list(entry.freezer_action.errors) + \
                [f"{'.'.join(parts[2:])}: {message}" if len(parts) > 2 else message]
        elif form is not None:
            attach_service_error(form, type(error)(error.description, {path: message}))


def _targets(form) -> list[str]:
    """The clients the composer makes a job for: the one picked, then any others ticked."""
    return list(dict.fromkeys([form.client_id.data or ""] +
                              [c for c in (form.also_for.data or []) if c]))


def _save(form) -> list[Job] | None:
    """Validate everything first, so every error shows at once; then the service, once per
    client (a refusal for any of them leaves none written: the request rolls back)."""
    ok = form.validate() and settings_ok(form)
    defaults = {}
    try:
        defaults = form.defaults()
    except ValueError as exc:
        form.action_defaults.errors = [str(exc)]
        ok = False
    job_actions = _job_actions(form)
    if not job_actions:
        form.form_errors.append("Add at least one action: pick one from the library or "
                                "write one inline.")
        ok = False
    schedule = form.schedule.form.schedule()
    try:
        schedules.validate_schedule(schedule, "job_schedule")
    except BadRequest as error:
        attach_job_error(form, error)
        ok = False
    if not ok:
        return None
    made = []
    for client_id in _targets(form):
        body = {"client_id": client_id, "description": form.description.data or "",
                "job_actions": copy.deepcopy(job_actions),
                "job_schedule": {**schedule, **restores.STOPPED}}
        if defaults:
            body["action_defaults"] = defaults
        try:
            job = jobs.create(owner(), body)
        except (BadRequest, Unprocessable) as error:
            if client_id != form.client_id.data:
                form.also_for.errors = list(form.also_for.errors) + [
                    f"{client_id}: {error.description}; no job was saved"]
            else:
                attach_job_error(form, error)
            return None
        if form.start_now.data:
            jobs.send_event(owner(), job.job_id, {"start": None})
        made.append(job)
    return made


def composer_choices(form) -> tuple:
    """Fill the composer's choices for the client picked: the clients, the library actions
    it can run, the actions and modes it declares. Returns (client, library)."""
    all_clients = queries.all_clients(owner())
    labels = [(c.client_id, f"{c.hostname or c.client_id} ({c.client_id})") for c in all_clients]
    form.client_id.choices = choices([("", "(pick a client)")] + labels)
    if hasattr(form, "also_for"):
        form.also_for.choices = choices(labels)
    client = next((c for c in all_clients if c.client_id == form.client_id.data), None)
    info = (client.doc.get("client") or {}) if client else {}
    library = _offered(client, queries.library(owner(), 200))
    form.add_action_id.choices = choices([("", "(pick an action)")] + \
        [(a.action_id, action_rules.label(a)) for a in library])
    for field, listing in ((form.inline_action, "supported_actions"),
                           (form.inline_mode, "supported_modes")):
        if isinstance(info.get(listing), list) and info[listing]:
            field.choices = choices((v, v) for v in info[listing])
    return client, library


def fill_settings(form) -> None:
    """Each action row shows its settings as editable JSON (unless the operator's text,
    kept as typed, is being shown back with its error)."""
    for entry in form.job_actions:
        row = entry.form
        if not (row.settings.data or "").strip() or row.settings_error() is None:
            row.settings.data = json.dumps(row.action(), indent=2)


def settings_ok(form) -> bool:
    ok = True
    for entry in form.job_actions:
        error = entry.form.settings_error()
        if error:
            entry.form.freezer_action.errors = list(entry.form.freezer_action.errors) + [error]
            ok = False
    return ok


@blp.route("/jobs/new", methods=["GET", "POST"])
@login_required
def job_new():
    if request.method == "POST":
        form = JobForm()
    else:
        form = JobForm(formdata=None, client_id=request.args.get("client_id", ""))
    client, library = composer_choices(form)
    status = 200
    if request.method == "POST":
        op = request.form.get("op", "refresh")
        if op == "save":
            made = _save(form)
            if made:
                started = " and started." if form.start_now.data else ", stopped: start it when ready."
                if len(made) == 1:
                    flash("Job saved" + started, "success")
                    return go(url_for("ui.job_page", job_id=made[0].job_id))
                flash(f"{len(made)} jobs saved, one per client" + started, "success")
                return go(url_for("ui.jobs_list", q=form.description.data or None))
            status = 400
        else:
            _apply_op(form, op, {a.action_id: a for a in library})
    fill_settings(form)
    return render("jobs/new.html", "jobs/_composer.html", status=status, form=form,
                  client=client, library=library, summary=_summary,
                  action_url=url_for("ui.job_new"))


# --- the job page -------------------------------------------------------------------------

def _job_context(row: Job) -> dict:
    return {"job": row, "schedule": row.doc.get("job_schedule") or {}, "live": is_live(row)}


@blp.route("/jobs/<job_id>")
@login_required
def job_page(job_id):
    row = documents.get(Job, owner(), job_id)
    context = _job_context(row)
    if is_htmx():
        return render("jobs/page.html", "jobs/_status.html", **context)
    before = request.args.get("before", type=int)  # nonsense (or beyond 64 bits): the newest
    before = before if before is not None and 0 < before < 2**63 else None
    history, older = runs.runs_page(row.project_id, row.job_id, 10, before)
    session = None
    if row.session_id:
        from ..models import Session
        session = documents.find(Session, owner(), row.session_id)
    return render("jobs/page.html", **context,
                  described=schedules.describe(context["schedule"]),
                  **_planned(row.doc),
                  runs=runs.views(history), older_runs=older,
                  backups=queries.backups_page(owner(), {"job_id": job_id}, 10, 0),
                  session=session, summary=_summary,
                  job_history=job_charts(figures.job_runs(owner(), row.job_id)))


@blp.route("/jobs/<job_id>/event", methods=["POST"])
@login_required
def job_event(job_id):
    event = request.form.get("event", "")
    if event not in EVENTS:
        raise BadRequest("Unknown event: use start, stop or abort",
                         errors={"event": "start, stop or abort"})
    result = jobs.send_event(owner(), job_id, {event: None})
    row = documents.get(Job, owner(), job_id)
    message = f"{event.capitalize()} requested." if result == "success" else f"{result.capitalize()}."
    if is_htmx():
        return render("jobs/page.html", "jobs/_status.html", message=message, **_job_context(row))
    flash(message, "success")
    return go(url_for("ui.job_page", job_id=job_id))


@blp.route("/jobs/<job_id>/delete", methods=["GET", "POST"])
@login_required
def job_delete(job_id):
    row = documents.get(Job, owner(), job_id)
    if request.method == "POST":
        jobs.delete(owner(), job_id)
        flash("Job deleted.", "success")
        return go(url_for("ui.jobs_list"))
    from .forms import ConfirmForm
    return render("confirm.html", form=ConfirmForm(), title="Delete this job?",
                  what=row.doc.get("description") or job_id, cancel=url_for("ui.job_page", job_id=job_id),
                  warning="Its agent stops running it at its next poll.")


# --- schedules ----------------------------------------------------------------------------

def _planned(doc: dict) -> dict:
    """The next runs the job page shows, or why there are none (stopped, at next poll)."""
    times, reason = forecast.planned(doc, 5)
    return {"next_runs": times, "no_runs_reason": None if times else reason}


def _with_schedule(doc: dict | None, schedule: dict) -> dict:
    """The job as it would be with `schedule` (its status and event kept, as saving does)."""
    doc = doc or {}
    kept = {k: v for k, v in (doc.get("job_schedule") or {}).items()
            if not k.startswith("schedule_")}
    return {**doc, "job_schedule": {**kept, **schedule}}


def preview_context(schedule_form, doc: dict | None = None) -> dict:
    """The next five runs of the schedule being typed for the job `doc` (none when it is
    stopped or completed: the reason instead), or the error beside its field."""
    schedule = schedule_form.schedule()
    try:
        schedules.validate_schedule(schedule, "job_schedule")
    except BadRequest as error:
        attach_job_error(None, error, schedule_form)
        return {"preview_error": error.description, "runs_preview": [], "sform": schedule_form}
    times, reason = forecast.planned(_with_schedule(doc, schedule), 5)
    return {"preview_error": None, "runs_preview": times, "no_runs_reason": reason,
            "described": schedules.describe(schedule), "sform": schedule_form}


@blp.route("/schedule/preview")
@login_required
def schedule_preview():
    prefix = request.args.get("prefix", "schedule-")
    form = ScheduleForm(formdata=request.args, prefix=prefix if prefix.endswith("-") else "")
    job_id = request.args.get("job_id")  # the schedule editor of a saved job
    doc = documents.get(Job, owner(), job_id).doc if job_id else None
    return render("jobs/_preview.html", "jobs/_preview.html", **preview_context(form, doc))


@blp.route("/jobs/<job_id>/schedule", methods=["GET", "POST"])
@login_required
def job_schedule(job_id):
    row = documents.get(Job, owner(), job_id)
    if request.method == "POST":
        form = ScheduleEditForm()
    else:
        form = _current_schedule_form(row)
    stale = None
    if request.method == "POST" and form.validate():
        doc = _with_schedule(copy.deepcopy(row.doc), form.schedule.form.schedule())
        try:
            schedules.validate_schedule(doc["job_schedule"], "job_schedule")
            jobs.replace(owner(), job_id, doc, if_match=versions.if_match(form))
            flash("Schedule saved." + _held_note(row.doc), "success")
            return go(url_for("ui.job_page", job_id=job_id))
        except PreconditionFailed:
            # saved elsewhere since this editor was filled: show what is stored now
            stale = versions.stale_message("job", row)
            form = _current_schedule_form(row)
        except (BadRequest, Unprocessable) as error:
            attach_job_error(form, error, form.schedule.form)
    status = (409 if stale else 400) if request.method == "POST" else 200
    return render("jobs/schedule.html", status=status, form=form, job=row, stale=stale,
                  **preview_context(form.schedule.form, row.doc))


def _held_note(doc: dict) -> str:
    """What a saved schedule does to a job its agent holds scheduled: nothing yet."""
    schedule = doc.get("job_schedule") or {}
    if schedule.get("status") in schedules.HELD_STATUSES and schedule.get("event") != "start":
        return (" Its agent keeps running the job on the schedule it read when it started it:"
                " stop the job, then start it, to apply this one.")
    return ""


def _current_schedule_form(row: Job) -> ScheduleEditForm:
    form = ScheduleEditForm(formdata=None)
    form.schedule.form.fill(row.doc.get("job_schedule") or {})
    versions.remember(form, row)
    return form
