"""Actions library: the reusable actions operators put there, named (freezer-v1.md §6),
through app/services/actions.py like the API. The copies stored for jobs' embedded actions
are not listed (app/services/actions.py)."""
from flask import flash, request, url_for
from flask_login import login_required

from ..models import Action
from ..services import actions, documents
from ..services.errors import BadRequest, Conflict, PreconditionFailed
from . import blp, go, owner, page_args, queries, render, versions
from .forms import ActionForm, ConfirmForm, attach_service_error


@blp.route("/actions")
@login_required
def actions_list():
    limit, offset = page_args()
    page = queries.actions_page(owner(), request.args, limit, offset)
    return render("actions/list.html", "actions/_table.html", page=page, args=request.args)


def _form(row=None):
    """POSTed values; a refresh (htmx GET when action or mode changes) from the query
    string; else the stored action."""
    if request.method == "POST":
        return ActionForm()
    if request.args.get("refresh"):
        return ActionForm(formdata=request.args, meta={"csrf": False})
    return _stored(row)


def _stored(row=None) -> ActionForm:
    form = ActionForm(formdata=None)
    if row is not None:
        form.fill(row.doc)
        form.name.data = row.name or ""
        versions.remember(form, row)
    return form


def _save(form, save, row=None):
    """The saved row, or None with the form showing why; an edit whose action was saved
    elsewhere since the form was filled shows the stored action instead (form.stale)."""
    form.stale = None
    if request.method != "POST" or "refresh" in request.form or not form.validate():
        return None, form
    try:
        return save(form.document()), form
    except PreconditionFailed:
        stale = _stored(row)
        stale.stale = versions.stale_message("action", row)
        return None, stale
    except (BadRequest, Conflict) as error:
        attach_service_error(form, error)
        return None, form


def _show(form, row=None):
    fragment = "actions/_fields.html" if request.args.get("refresh") else None
    status = 400 if request.method == "POST" and "refresh" not in request.form else 200
    stale = getattr(form, "stale", None)
    return render("actions/form.html", fragment, status=409 if stale else status, form=form,
                  row=row, stale=stale)


@blp.route("/actions/new", methods=["GET", "POST"])
@login_required
def action_new():
    form = _form()
    saved, form = _save(form, lambda doc: actions.create(owner(), doc, name=form.name.data))
    if saved is not None:
        flash("Action saved.", "success")
        return go(url_for("ui.actions_list"))
    return _show(form)


@blp.route("/actions/<action_id>/edit", methods=["GET", "POST"])
@login_required
def action_edit(action_id):
    row = documents.get(Action, owner(), action_id)
    form = _form(row)
    saved, form = _save(form, lambda doc: actions.replace(
        owner(), action_id, doc, if_match=versions.if_match(form), name=form.name.data), row)
    if saved is not None:
        flash("Action saved.", "success")
        return go(url_for("ui.actions_list"))
    return _show(form, row)


@blp.route("/actions/<action_id>/delete", methods=["GET", "POST"])
@login_required
def action_delete(action_id):
    row = documents.get(Action, owner(), action_id)
    form = ConfirmForm()
    if request.method == "POST":
        documents.delete(Action, owner(), action_id)
        flash("Action deleted. Jobs that embed it keep their copy.", "success")
        return go(url_for("ui.actions_list"))
    return render("confirm.html", form=form, title="Delete this action?",
                  what=f"{actions.label(row)} ({action_id})", cancel=url_for("ui.actions_list"))
