"""Administration (administrators only): operators' lifecycle (disable, enable, delete,
revoke all their tokens), each asked first and CSRF-checked; and the audit trail, which
every operator may read for their own events and an administrator for everyone's."""
from functools import wraps

from flask import abort, flash, request, url_for
from flask_login import current_user, login_required

from ..audit import trail
from ..auth import accounts, tokens
from ..services.errors import ServiceError
from . import blp, go, render
from .forms import ConfirmForm

#: what each operator action does: (service call, question, button, warning, done)
ACTIONS = {
    "disable": (accounts.disable, "Disable operator {name}?", "Yes, disable",
                "They are signed out everywhere at once and their API tokens answer 401 until "
                "they are enabled again.", "{name} is disabled."),
    "enable": (accounts.enable, "Enable operator {name}?", "Yes, enable",
               "Their unrevoked API tokens work again; they sign in anew.", "{name} is enabled."),
    "revoke-tokens": (lambda name: tokens.revoke_all(accounts.get(name)),
                      "Revoke every API token of {name}?", "Yes, revoke all",
                      "Every agent using one of them gets 401 from now on.",
                      "Every token of {name} is revoked."),
    "delete": (accounts.delete, "Delete operator {name}?", "Yes, delete",
               "The account, its tokens and sessions go at once. The documents it owned stay "
               "(an operator created with its owner id sees them again).",
               "Operator {name} is deleted."),
}


def admin_required(view):
    @wraps(view)
    @login_required
    def wrapper(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapper


@blp.route("/admin/operators")
@admin_required
def operators():
    rows = accounts.list_users()
    live = {user.id: sum(1 for t in user.tokens if t.active) for user in rows}
    return render("admin/operators.html", operators=rows, live_tokens=live)


@blp.route("/admin/operators/<username>/<action>", methods=["GET", "POST"])
@admin_required
def operator_action(username, action):
    if action not in ACTIONS:
        abort(404)
    user = accounts.get(username)
    change, question, button, warning, done = ACTIONS[action]
    if user.id == current_user.id and action in ("disable", "delete"):
        flash("You cannot disable or delete yourself here (use `flask users`).", "error")
        return go(url_for("ui.operators"))
    if request.method == "POST":
        try:
            change(user.username)
        except ServiceError as exc:
            flash(exc.description, "error")
            return go(url_for("ui.operators"))
        flash(done.format(name=user.username), "success")
        return go(url_for("ui.operators"))
    return render("confirm.html", form=ConfirmForm(), title=question.format(name=user.username),
                  what=f"{user.username} (owner id {user.user_id})", warning=warning,
                  confirm_label=button, cancel=url_for("ui.operators"))


@blp.route("/audit")
@login_required
def audit_trail():
    """Newest first, 50 a page (older: before=<id>); filters actor and event."""
    actor = (request.args.get("actor") or "").strip()[:150]
    if not current_user.is_admin:
        actor = current_user.username  # everyone reads their own trail
    before = request.args.get("before", type=int)
    filters = trail.Filters(actor=actor, event=(request.args.get("event") or "").strip()[:40],
                            before_id=before if before and before > 0 else None)
    rows = trail.page(filters, 51)
    return render("admin/audit.html", events=rows[:50],
                  older=rows[49].id if len(rows) > 50 else None, filters=filters,
                  can_filter_actor=current_user.is_admin)
