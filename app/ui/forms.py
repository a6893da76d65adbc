"""The dashboard's forms (Flask-WTF: every form carries the CSRF token). They turn what an
operator typed into the v1 documents the services take; the services decide what is valid
and their field errors are shown beside the matching input."""
import json

from flask_wtf import FlaskForm
from wtforms import (BooleanField, FieldList, Form, FormField, HiddenField, IntegerField,
                     RadioField, SelectField, SelectMultipleField, StringField, TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from ..services.schemas import SUPPORTED
from .versions import version_field

# freezer_action keys the action form edits, and which of them matter per action and mode
# (freezer-v1.md §6, §9.3); any other key of an action is kept under "other options".
COMMON_KEYS = ("action", "mode", "storage", "engine_name", "backup_name", "container")
KEYS_FOR_ACTION = {
    "backup": ("path_to_backup", "max_level", "compression"),
    "restore": ("restore_abs_path", "restore_from_date", "hostname"),
    "admin": ("remove_older_than",),
    "exec": ("command",),
    "info": (),
}
KEYS_FOR_MODE = {"mysql": ("mysql_conf",), "sqlserver": ("sql_server_conf",),
                 "cinder": ("cinder_vol_id",), "cindernative": ("cinder_vol_id",),
                 "nova": ("nova_inst_id",), "glance": ("glance_image_id",)}
REQUIRED_FOR_ACTION = {"backup": ("backup_name", "container"),
                       "restore": ("backup_name", "container"),
                       "exec": ("command",)}
REQUIRED_FOR_MODE_ACTION = {("fs", "backup"): ("path_to_backup",),
                            ("fs", "restore"): ("restore_abs_path",)}
INT_KEYS = ("max_level", "remove_older_than")
MANAGED_KEYS = tuple(dict.fromkeys(
    COMMON_KEYS + sum(KEYS_FOR_ACTION.values(), ()) + sum(KEYS_FOR_MODE.values(), ())))
LABELS = {"path_to_backup": "Path to back up", "restore_abs_path": "Restore to (absolute path)",
          "restore_from_date": "Restore the state of (date, e.g. 2026-11-27T02:00:00)",
          "hostname": "Restore from host (blank: this host)", "max_level": "Max incremental level",
          "remove_older_than": "Remove backups older than (days)", "engine_name": "Engine",
          "mysql_conf": "MySQL config file", "sql_server_conf": "SQL Server config file",
          "cinder_vol_id": "Cinder volume id", "nova_inst_id": "Nova instance id",
          "glance_image_id": "Glance image id", "backup_name": "Backup name",
          "container": "Container", "command": "Command", "compression": "Compression"}


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the choices WTForms 3.3 wants."""
    return [SelectChoice(value, label) for value, label in pairs]


def _choices(values, blank=None):
    out = [(v, v) for v in values]
    return choices(([("", blank)] + out) if blank is not None else out)


def visible_keys(action: str, mode: str) -> list[str]:
    return list(dict.fromkeys(("backup_name", "container") + KEYS_FOR_ACTION.get(action, ())
                              + KEYS_FOR_MODE.get(mode, ())))


def required_keys(action: str, mode: str) -> set[str]:
    return set(REQUIRED_FOR_ACTION.get(action, ())) | \
        set(REQUIRED_FOR_MODE_ACTION.get((mode, action), ()))


class JSONObjectField(TextAreaField):
    """A JSON object typed into a textarea (blank is {})."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        text = (self.data or "").strip()
        self.object = {}
        if text:
            try:
                value = json.loads(text)
            except ValueError as exc:
                self.object = None
                self.parse_error = f"not valid JSON: {exc.msg} (line {exc.lineno})"
                return
            if not isinstance(value, dict):
                self.object = None
                self.parse_error = 'must be a JSON object, e.g. {"ssh_port": 22}'
                return
            self.object = value

    def pre_validate(self, form):
        if getattr(self, "parse_error", None):
            raise ValidationError(self.parse_error)


class ActionForm(FlaskForm):
    name = StringField("Name (how the library and the job composer show it)",
                       validators=[InputRequired("name it, e.g. “etc nightly to swift”")])
    action = SelectField("Action", choices=_choices(SUPPORTED["actions"]), default="backup")
    mode = SelectField("Mode", choices=_choices(SUPPORTED["modes"]), default="fs")
    storage = SelectField("Storage", choices=_choices(SUPPORTED["storages"], "(agent default)"),
                          validators=[Optional()])
    engine_name = SelectField("Engine", choices=_choices(SUPPORTED["engines"], "(agent default)"),
                              validators=[Optional()])
    backup_name = StringField(LABELS["backup_name"])
    container = StringField(LABELS["container"])
    path_to_backup = StringField(LABELS["path_to_backup"])
    max_level = IntegerField(LABELS["max_level"], validators=[Optional(), NumberRange(min=0)])
    compression = SelectField(LABELS["compression"], choices=_choices(
        ["gzip", "bzip2", "xz", "zstd"], "(agent default)"), validators=[Optional()])
    restore_abs_path = StringField(LABELS["restore_abs_path"])
    restore_from_date = StringField(LABELS["restore_from_date"])
    hostname = StringField(LABELS["hostname"])
    remove_older_than = IntegerField(LABELS["remove_older_than"],
                                     validators=[Optional(), NumberRange(min=0)])
    command = StringField(LABELS["command"])
    mysql_conf = StringField(LABELS["mysql_conf"])
    sql_server_conf = StringField(LABELS["sql_server_conf"])
    cinder_vol_id = StringField(LABELS["cinder_vol_id"])
    nova_inst_id = StringField(LABELS["nova_inst_id"])
    glance_image_id = StringField(LABELS["glance_image_id"])
    max_retries = IntegerField("Max retries", validators=[Optional(), NumberRange(min=0)])
    max_retries_interval = IntegerField("Retry interval (seconds)",
                                        validators=[Optional(), NumberRange(min=0)])
    mandatory = BooleanField("Mandatory (the job fails if this action fails)")
    other = JSONObjectField("Other options (JSON object)")
    version = version_field()  # the editor's: a save from a stale tab is refused

    def visible(self) -> list[str]:
        return visible_keys(self.action.data, self.mode.data)

    def required(self) -> set[str]:
        return required_keys(self.action.data, self.mode.data)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for key in self.required():
            field = self[key]
            if field.data in (None, ""):
                field.errors = list(field.errors) + [f"required for a {self.action.data} "
                                                     f"in {self.mode.data} mode"]
                ok = False
        return ok

    def fill(self, doc: dict) -> None:
        """Show a stored action document."""
        action = doc.get("freezer_action") or {}
        for key in MANAGED_KEYS:
            if key in action and action[key] is not None:
                self[key].data = action[key]
        for key in ("max_retries", "max_retries_interval"):
            self[key].data = doc.get(key)
        self.mandatory.data = bool(doc.get("mandatory"))
        other = {k: v for k, v in action.items() if k not in MANAGED_KEYS}
        self.other.data = json.dumps(other, indent=2) if other else ""

    def freezer_action(self) -> dict:
        """The freezer_action the form describes. Keys the form has no input for travel in
        "other options" (filled in from the stored action when editing)."""
        action = dict(self.other.object or {})
        action["action"] = self.action.data
        action["mode"] = self.mode.data
        for key in ("storage", "engine_name") + tuple(self.visible()):
            value = self[key].data
            if value not in (None, ""):
                action[key] = int(value) if key in INT_KEYS else value
        return action

    def document(self) -> dict:
        doc = {"freezer_action": self.freezer_action(), "mandatory": bool(self.mandatory.data)}
        for key in ("max_retries", "max_retries_interval"):
            if self[key].data is not None:
                doc[key] = self[key].data
        return doc


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


SCHEDULE_KINDS = choices([("none", "No schedule (run when started)"),
                          ("date", "Once, at a date"), ("interval", "Every interval"),
                          ("cron", "Cron fields")])
CRON_KEYS = ("schedule_year", "schedule_month", "schedule_day", "schedule_week",
             "schedule_day_of_week", "schedule_hour", "schedule_minute", "schedule_second")
KEYS_FOR_KIND = {"none": (), "date": ("schedule_date",),
                 "interval": ("schedule_interval", "schedule_start_date", "schedule_end_date"),
                 "cron": CRON_KEYS + ("schedule_start_date", "schedule_end_date")}
DATE_HINT = "2026-12-01T02:00:00"


class ScheduleForm(Form):
    """job_schedule / session schedule: the three trigger kinds the freezer scheduler knows."""

    kind = RadioField("Schedule", choices=SCHEDULE_KINDS, default="none")
    schedule_date = StringField("Run at", render_kw={"placeholder": DATE_HINT})
    schedule_interval = StringField("Interval", render_kw={"placeholder": "1 days, 6 hours, continuous"})
    schedule_start_date = StringField("Start (optional)", render_kw={"placeholder": DATE_HINT})
    schedule_end_date = StringField("End (optional)", render_kw={"placeholder": DATE_HINT})
    schedule_year = StringField("Year", render_kw={"placeholder": "*"})
    schedule_month = StringField("Month", render_kw={"placeholder": "*"})
    schedule_day = StringField("Day", render_kw={"placeholder": "*"})
    schedule_week = StringField("Week", render_kw={"placeholder": "*"})
    schedule_day_of_week = StringField("Day of week", render_kw={"placeholder": "mon-fri"})
    schedule_hour = StringField("Hour", render_kw={"placeholder": "2"})
    schedule_minute = StringField("Minute", render_kw={"placeholder": "30"})
    schedule_second = StringField("Second", render_kw={"placeholder": "0"})

    def schedule(self) -> dict:
        kind = self.kind.data if self.kind.data in KEYS_FOR_KIND else "none"
        return {key: self[key].data.strip() for key in KEYS_FOR_KIND[kind]
                if (self[key].data or "").strip()}

    def fill(self, schedule: dict) -> None:
        schedule = schedule or {}
        if schedule.get("schedule_date"):
            self.kind.data = "date"
        elif schedule.get("schedule_interval"):
            self.kind.data = "interval"
        elif any(schedule.get(k) for k in CRON_KEYS):
            self.kind.data = "cron"
        else:
            self.kind.data = "none"
        for key in sum(KEYS_FOR_KIND.values(), ()):
            if isinstance(schedule.get(key), str):
                self[key].data = schedule[key]


class JobActionRow(Form):
    """One action of a job being composed; its freezer_action travels as JSON."""

    action_id = HiddenField()
    freezer_action = HiddenField()
    mandatory = BooleanField("Mandatory")
    max_retries = IntegerField("Max retries", validators=[Optional(), NumberRange(min=0)])
    max_retries_interval = IntegerField("Retry interval (s)",
                                        validators=[Optional(), NumberRange(min=0)])
    # the action's settings as the operator edits them (JSON); when they read as an
    # object they replace the hidden copy, so every change of a row travels with it
    settings = TextAreaField("Settings (JSON)", render_kw={"rows": 6})

    def settings_error(self) -> str | None:
        text = (self.settings.data or "").strip()
        if not text:
            return None
        try:
            value = json.loads(text)
        except ValueError as exc:
            return f"settings: not valid JSON ({exc.msg}, line {exc.lineno})"
        if not isinstance(value, dict) or not isinstance(value.get("action"), str):
            return 'settings: a JSON object with at least "action", e.g. {"action": "backup"}'
        return None

    def action(self) -> dict:
        for text in (self.settings.data, self.freezer_action.data):
            try:
                value = json.loads(text or "")
            except ValueError:
                continue
            if isinstance(value, dict) and (text is not self.settings.data
                                            or self.settings_error() is None):
                return value
        return {}


class JobActionsForm(FlaskForm):
    """What the composer and the job editor share: the client, description and actions."""
    client_id = SelectField("Client", validators=[InputRequired("pick the client that runs it")])
    description = StringField("Description")
    job_actions = FieldList(FormField(JobActionRow), min_entries=0)
    add_action_id = SelectField("Add from the library", validate_choice=False)
    # narrowed to what the picked client declares; not checked on save (the service checks
    # the actions a job holds), so changing the client never trips over a leftover choice
    inline_action = SelectField("Action", choices=_choices(SUPPORTED["actions"]), default="backup",
                                validate_choice=False)
    inline_mode = SelectField("Mode", choices=_choices(SUPPORTED["modes"]), default="fs",
                              validate_choice=False)
    inline_backup_name = StringField("Backup name")
    inline_container = StringField("Container")
    inline_path = StringField("Path (to back up, or to restore to)")

    def inline_freezer_action(self) -> dict:
        action = {"action": self.inline_action.data, "mode": self.inline_mode.data}
        if self.inline_backup_name.data:
            action["backup_name"] = self.inline_backup_name.data.strip()
        if self.inline_container.data:
            action["container"] = self.inline_container.data.strip()
        if self.inline_path.data:
            key = "restore_abs_path" if self.inline_action.data == "restore" else "path_to_backup"
            action[key] = self.inline_path.data.strip()
        return action


class JobEditForm(JobActionsForm):
    version = version_field()  # a save from a stale tab is refused (app/ui/versions.py)


class JobForm(JobActionsForm):
    action_defaults = TextAreaField("Action defaults (key=value per line, applied where an "
                                    "action has no value)",
                                    render_kw={"rows": 2, "placeholder": "storage=swift"})
    schedule = FormField(ScheduleForm)
    start_now = BooleanField("Start now (otherwise the job is saved stopped)")
    # one job per client: the same actions and schedule for each (the "client" above too)
    also_for = SelectMultipleField("Also create it for these clients", validate_choice=False)

    def defaults(self) -> dict:
        out = {}
        for number, line in enumerate((self.action_defaults.data or "").splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"line {number}: write key=value")
            value = value.strip()
            out[key.strip()] = int(value) if value.lstrip("-").isdigit() else value
        return out


class RestoreForm(FlaskForm):
    backup_id = HiddenField(validators=[InputRequired()])
    client_id = SelectField("Restore on client", validators=[InputRequired("pick a client")])
    restore_abs_path = StringField("Restore to (absolute path)",
                                   validators=[InputRequired("say where to restore")])
    # an in-place restore (its own host, the path it was taken from) needs this ticked
    overwrite = BooleanField("Yes, overwrite the live data at this path on this host")
    start_now = BooleanField("Start now (otherwise the restore job is saved stopped)")

    def validate_restore_abs_path(self, field):
        if not field.data.startswith("/"):
            raise ValidationError("must be an absolute path, starting with /")


def attach_service_error(form, error, prefix: str = "") -> None:
    """Show a service's field errors ({dotted.path: message}) beside the matching inputs;
    what matches no input is shown at the top of the form."""
    for path, message in (error.errors or {"": error.description}).items():
        name = path.rsplit(".", 1)[-1]
        field = form._fields.get(prefix + name) if name else None
        if field is not None:
            field.errors = list(field.errors) + [message]
        else:
            form.form_errors.append(f"{path}: {message}" if path and path != "body" else message)


class ScheduleEditForm(FlaskForm):
    schedule = FormField(ScheduleForm)
    version = version_field()  # a save from a stale tab is refused (app/ui/versions.py)


class SessionForm(FlaskForm):
    description = StringField("Description")
    hold_off = IntegerField("Hold-off (seconds a round stays open to late agents)",
                            default=30, validators=[Optional(), NumberRange(min=0)])
    schedule = FormField(ScheduleForm)
    version = version_field()  # the editor's: a save from a stale tab is refused

    def fill(self, doc: dict) -> None:
        self.description.data = doc.get("description") or ""
        hold_off = doc.get("hold_off")
        self.hold_off.data = hold_off if isinstance(hold_off, int) else None
        self.schedule.form.fill(doc.get("schedule") or {})
