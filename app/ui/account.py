"""The operator's own display setting: the time zone the dashboard shows times in. Chosen
once on the account (every browser and device then agrees); until then the browser's zone
is offered by app.js and stored on the first page it loads."""
from flask import flash, g, render_template, request, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField

from ..extensions import db
from ..services import time_zones
from ..services.errors import BadRequest
from . import blp, go


class TimeZoneForm(FlaskForm):
    time_zone = SelectField("Time zone", choices=[], validate_choice=False)  # checked below
    #: "1" when app.js sends the browser's zone: stored only if none was chosen yet
    detected = HiddenField()
    next = HiddenField()


def _form() -> TimeZoneForm:
    form = TimeZoneForm()
    form.time_zone.choices = [(name, name) for name in time_zones.names()]
    if request.method == "GET":
        form.time_zone.data = current_user.time_zone or "UTC"
        form.next.data = request.args.get("next", "")
    return form


@blp.route("/account/time-zone", methods=["GET", "POST"])
@login_required
def time_zone():
    form = _form()
    if request.method == "GET":
        return render_template("account/time_zone.html", form=form)
    if form.detected.data == "1" and current_user.time_zone:
        return "", 204  # chosen before: the browser's guess changes nothing
    if not form.validate_on_submit():
        return render_template("account/time_zone.html", form=form), 400
    try:
        name = time_zones.check(form.time_zone.data)
    except BadRequest as error:
        form.time_zone.errors = [error.errors["time_zone"]]
        return render_template("account/time_zone.html", form=form), 400
    current_user.time_zone = name
    g.pop("operator_zone", None)  # filters.operator_zone keeps it per request
    db.session.flush()
    if form.detected.data == "1":
        return "", 204
    flash(f"Times are now shown in {name}; hover over one to see it in UTC.", "info")
    return go(form.next.data, url_for("ui.time_zone"))
