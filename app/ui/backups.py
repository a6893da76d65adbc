"""Backups: find a backup (filters in the URL), see its set's level chain, delete it, or
restore it onto any client as a stopped restore job."""
from datetime import datetime, timezone

from flask import current_app, flash, jsonify, request, url_for
from flask_login import login_required

from ..models import Backup
from ..services import documents, history, jobs, restores
from ..services.errors import BadRequest, Unprocessable
from . import blp, go, owner, page_args, queries, render
from .history import set_charts
from .forms import ConfirmForm, RestoreForm, choices, attach_service_error

SETS_PER_PAGE = 10
FILTERS = ("hostname", "backup_name", "container", "level", "from", "to", "job_id")


def _day(value: str, name: str, end=False) -> int | None:
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise BadRequest(f"{name}: write a date as YYYY-MM-DD", errors={name: "use YYYY-MM-DD"})
    return int(day.timestamp()) + (86399 if end else 0)


def _filters(args) -> dict:
    out = {k: args.get(k, "").strip() for k in ("hostname", "backup_name", "container", "job_id")}
    level = args.get("level", "").strip()
    if level and not level.isdigit():
        raise BadRequest("level: a whole number, 0 for full backups",
                         errors={"level": "a whole number"})
    out["level"] = level
    out["after"] = _day(args.get("from", "").strip(), "from")
    out["before"] = _day(args.get("to", "").strip(), "to", end=True)
    out["sort"] = args.get("sort")
    return out


@blp.route("/backups")
@login_required
def backups():
    """Paged by backup set (app/services/history.py), never by row: a set's level chain is
    never split across pages, and a set without a level-0 backup is flagged."""
    limit, offset = page_args(SETS_PER_PAGE)
    errors, status = {}, 200
    try:
        filters = _filters(request.args)
    except BadRequest as error:
        errors, status = error.errors, 400
        filters = {}
    keys, has_next = history.set_keys_page(owner(), filters, limit, offset) if not errors \
        else ([], False)
    page = queries.Page(keys, limit, offset, has_next)
    groups = set_charts(history.sets(owner(), keys, filters))
    return render("backups/list.html", "backups/_results.html", status=status, page=page,
                  groups=groups, args=request.args, errors=errors)


@blp.route("/backups/sets.json")
@login_required
def backup_sets_json():
    """The figures behind the backups page: one page of sets with sizes and growth."""
    limit, offset = page_args(SETS_PER_PAGE)
    filters = _filters(request.args)
    keys, has_next = history.set_keys_page(owner(), filters, limit, offset)
    return jsonify({"sets": [history.set_view(g) for g in history.sets(owner(), keys, filters)],
                    "limit": limit, "offset": offset, "has_next": has_next})


def _backup():
    backup_id = request.values.get("id") or request.values.get("backup_id") or ""
    return documents.get(Backup, owner(), backup_id)


@blp.route("/backups/delete", methods=["GET", "POST"])
@login_required
def backup_delete():
    row = _backup()
    if request.method == "POST":
        documents.delete(Backup, owner(), row.backup_id)
        flash(f"Backup {row.backup_id} deleted (its metadata; the data stays in storage).",
              "success")
        return go(request.form.get("next"), fallback=url_for("ui.backups"))
    return render("confirm.html", form=ConfirmForm(), title="Delete this backup?",
                  what=f"{row.backup_name} of {row.hostname} in {row.container}, level "
                       f"{row.level} ({row.backup_id})",
                  warning="Only the record is deleted here; the agent's storage keeps the data.",
                  cancel=url_for("ui.backups"))


@blp.route("/backups/restore", methods=["GET", "POST"])
@login_required
def backup_restore():
    """Nothing is preselected: the operator picks the host and types the path. Only the
    clients able to run the restore are offered; the others are listed with the reason."""
    row = _backup()
    form = RestoreForm(backup_id=row.backup_id)
    silent_before = queries.silent_since(current_app.config.get("DASHBOARD_SILENT_MINUTES", 60))
    found = restores.candidates(owner(), row, silent_before)
    offered = [c.client for c in found if c.reason is None]
    form.client_id.choices = choices([("", "(pick the host to restore on)")] + \
        [(c.client_id, f"{c.hostname or c.client_id} ({c.client_id})") for c in offered])
    if request.method == "GET":
        form.client_id.data = ""
        form.restore_abs_path.data = ""
    elif form.validate():
        try:
            job = restores.create_restore_job(owner(), row.backup_id, form.client_id.data,
                                              form.restore_abs_path.data,
                                              overwrite=bool(form.overwrite.data),
                                              silent_before=silent_before)
            if form.start_now.data:
                jobs.send_event(owner(), job.job_id, {"start": None})
            flash("Restore job created" + (" and started." if form.start_now.data else
                                           ", stopped: start it when ready."), "success")
            return go(url_for("ui.job_page", job_id=job.job_id))
        except (BadRequest, Unprocessable) as error:
            attach_service_error(form, error)
    chosen = next((c for c in offered if c.client_id == form.client_id.data), None)
    status = 400 if request.method == "POST" else 200
    return render("backups/restore.html", status=status, form=form, backup=row,
                  offered=offered, refused=[c for c in found if c.reason],
                  original=restores.original_path(row),
                  in_place=restores.in_place(row, chosen, form.restore_abs_path.data or ""),
                  silent_minutes=current_app.config.get("DASHBOARD_SILENT_MINUTES", 60))
