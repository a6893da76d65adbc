"""Forms of the notification pages: what the operator types, turned into the dicts the
notify services check (their field errors land beside these inputs)."""
from flask_wtf import FlaskForm
from wtforms import (BooleanField, FloatField, IntegerField, PasswordField, SelectField,
                     SelectMultipleField, StringField)
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..services.notify import channels, rules
from .forms import choices
from .versions import remember, version_field


class ChannelForm(FlaskForm):
    name = StringField("Name")
    kind = SelectField("Kind", choices=choices(channels.KINDS.items()))
    url = StringField("URL (webhook: https://..., Apprise: e.g. ntfy://ntfy.sh/topic)")
    secret = PasswordField("Webhook signing secret (blank: keep the stored one, or generate)")
    host = StringField("SMTP server")
    port = IntegerField("SMTP port", validators=[Optional()])
    security = SelectField("SMTP security", choices=choices(
        [("starttls", "STARTTLS"), ("ssl", "SSL/TLS"), ("none", "none")]))
    username = StringField("SMTP user")
    password = PasswordField("SMTP password (blank: keep the stored one)")
    sender = StringField("From")
    recipients = StringField("To (comma-separated)")
    version = version_field()  # the edit form's: a save from a stale tab is refused

    def fill(self, row):
        remember(self, row)
        self.name.data, self.kind.data = row.name, row.kind
        config = row.config or {}
        for key in ("url", "host", "port", "security", "username", "sender"):
            if key in config:
                getattr(self, key).data = config[key]
        self.recipients.data = ", ".join(config.get("recipients") or [])

    def data_for_service(self) -> dict:
        keys = {"webhook": ("url", "secret"), "apprise": ("url",),
                "email": ("host", "port", "security", "username", "password", "sender",
                          "recipients")}.get(self.kind.data, ())
        return {"name": self.name.data, "kind": self.kind.data,
                "config": {key: getattr(self, key).data for key in keys}}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RuleForm(FlaskForm):
    name = StringField("Name")
    kind = SelectField("When", choices=choices(
        [(kind, text) for kind, (text, _, _) in rules.KINDS.items()]))
    threshold = IntegerField("Threshold, seconds (grace, maximum run, silence or margin; "
                             "not used by run and round failures)", validators=[Optional()])
    factor = FloatField("Stuck runs: times the job's typical run", default=3.0,
                        validators=[Optional()])
    remind_after = IntegerField("Remind after, seconds (0: no reminder)", default=0,
                                validators=[Optional()])
    group_seconds = IntegerField("Group notices over, seconds", default=60,
                                 validators=[Optional()])
    channel_ids = MultiCheckboxField("Channels", coerce=int)
    enabled = BooleanField("Enabled", default=True)
    version = version_field()  # the edit form's: a save from a stale tab is refused

    def fill(self, row):
        remember(self, row)
        for key in ("name", "kind", "threshold", "factor", "remind_after", "group_seconds",
                    "channel_ids", "enabled"):
            getattr(self, key).data = getattr(row, key)

    def data_for_service(self) -> dict:
        return {key: getattr(self, key).data for key in (
            "name", "kind", "threshold", "factor", "remind_after", "group_seconds",
            "channel_ids", "enabled")}
