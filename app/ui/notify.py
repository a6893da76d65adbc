"""Notifications in the dashboard: channels (with "send test"), rules, the delivery log.
Everything through app/services/notify, scoped to the signed-in operator."""
from flask import flash, request, url_for
from flask_login import login_required

from .. import clock
from ..services.errors import BadRequest, PreconditionFailed
from ..services.notify import channels, delivery, notices, rules
from . import blp, go, owner, page_args, render, versions
from .forms import ConfirmForm, attach_service_error
from .notify_forms import ChannelForm, RuleForm


def _saved(form, save, row=None, what="") -> bool:
    """Save through the service; an edit (`row`) only if the row is still at the form's
    version, else the form shows the stored values and why (form.stale)."""
    form.stale = None
    if request.method != "POST" or not form.validate():
        return False
    try:
        save(form.data_for_service())
        return True
    except PreconditionFailed:
        form.stale = versions.stale_message(what, row)
        form.process(formdata=None)
        form.fill(row)
        return False
    except BadRequest as error:
        attach_service_error(form, error)
        return False


def _status(form=None) -> int:
    if request.method != "POST":
        return 200
    return 409 if getattr(form, "stale", None) else 400


@blp.route("/notify/channels")
@login_required
def notify_channels():
    return render("notify/channels.html", rows=channels.listing(owner()),
                  kinds=channels.KINDS, target=channels.target)


@blp.route("/notify/channels/new", methods=["GET", "POST"])
@login_required
def notify_channel_new():
    form = ChannelForm()
    if _saved(form, lambda data: channels.create(owner(), data)):
        flash("Channel saved. Send it a test to check it.", "success")
        return go(url_for("ui.notify_channels"))
    return render("notify/channel_form.html", status=_status(), form=form, row=None)


@blp.route("/notify/channels/<int:channel_id>/edit", methods=["GET", "POST"])
@login_required
def notify_channel_edit(channel_id):
    row = channels.get(owner(), channel_id)
    form = ChannelForm()
    if request.method == "GET":
        form.fill(row)
    if _saved(form, lambda data: channels.update(owner(), channel_id, data,
                                                 versions.if_match(form)), row, "channel"):
        flash("Channel saved.", "success")
        return go(url_for("ui.notify_channels"))
    return render("notify/channel_form.html", status=_status(form), form=form, row=row,
                  stale=form.stale)


@blp.route("/notify/channels/<int:channel_id>/test", methods=["POST"])
@login_required
def notify_channel_test(channel_id):
    """One test notice, tried right away (bounded by NOTIFY_SEND_TIMEOUT); if it fails,
    the log shows why and the watcher retries it like any notice."""
    row = channels.get(owner(), channel_id)
    notice = notices.new_notice(row, "test", clock.utcnow())
    error = delivery.send_now(notice, row)
    if error is None:
        flash(f"Test notice sent to {row.name}.", "success")
    else:
        flash(f"Test notice to {row.name} failed: {error}", "error")
    return go(url_for("ui.notify_log"))


@blp.route("/notify/channels/<int:channel_id>/delete", methods=["GET", "POST"])
@login_required
def notify_channel_delete(channel_id):
    row = channels.get(owner(), channel_id)
    form = ConfirmForm()
    if request.method == "POST":
        channels.delete(owner(), channel_id)
        flash("Channel deleted; rules that used it no longer do.", "success")
        return go(url_for("ui.notify_channels"))
    return render("confirm.html", form=form, title="Delete this channel?",
                  what=f"{row.name} ({channels.target(row.kind, row.config)})",
                  cancel=url_for("ui.notify_channels"))


def _rule_form():
    form = RuleForm()
    form.channel_ids.choices = [(c.pk, c.name) for c in channels.listing(owner())]
    return form


@blp.route("/notify/rules")
@login_required
def notify_rules():
    names = {c.pk: c.name for c in channels.listing(owner())}
    return render("notify/rules.html", rows=rules.listing(owner()), names=names,
                  kinds=rules.KINDS)


@blp.route("/notify/rules/new", methods=["GET", "POST"])
@login_required
def notify_rule_new():
    form = _rule_form()
    if request.method == "GET":
        form.threshold.data = rules.default_threshold(request.args.get("kind", "missed_schedule"))
    if _saved(form, lambda data: rules.create(owner(), data)):
        flash("Rule saved.", "success")
        return go(url_for("ui.notify_rules"))
    return render("notify/rule_form.html", status=_status(), form=form, row=None)


@blp.route("/notify/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@login_required
def notify_rule_edit(rule_id):
    row = rules.get(owner(), rule_id)
    form = _rule_form()
    if request.method == "GET":
        form.fill(row)
    if _saved(form, lambda data: rules.update(owner(), rule_id, data, versions.if_match(form)),
              row, "rule"):
        flash("Rule saved.", "success")
        return go(url_for("ui.notify_rules"))
    return render("notify/rule_form.html", status=_status(form), form=form, row=row,
                  stale=form.stale)


@blp.route("/notify/rules/<int:rule_id>/delete", methods=["GET", "POST"])
@login_required
def notify_rule_delete(rule_id):
    row = rules.get(owner(), rule_id)
    form = ConfirmForm()
    if request.method == "POST":
        rules.delete(owner(), rule_id)
        flash("Rule deleted; its open incidents are closed.", "success")
        return go(url_for("ui.notify_rules"))
    return render("confirm.html", form=form, title="Delete this rule?", what=row.name,
                  cancel=url_for("ui.notify_rules"))


@blp.route("/notify/log")
@login_required
def notify_log():
    limit, offset = page_args(50)
    rows = notices.log(owner(), limit + 1, offset)
    return render("notify/log.html", rows=rows[:limit], more=len(rows) > limit,
                  limit=limit, offset=offset)
