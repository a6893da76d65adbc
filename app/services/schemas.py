"""The v1 document schemas (freezer-v1.md §9, JSON-Schema draft 4), one source for
validation and for the OpenAPI description."""

from .ids import NO_CONTROL

# ASCII on purpose: Python's \w also matches non-ASCII letters, while OpenAPI tooling reads
# the published pattern as ECMA-262 (ASCII \w); spelled out, both mean the same ids.
WORD = r"[A-Za-z0-9_-]"
ID = r"^" + WORD + r"+$"
FQDN = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
CLIENT_ID = r"^(?:" + WORD + r"+_)?" + FQDN + r"$"
ISO_DT = r"^[+-]?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?$"

JOB_EVENTS = ["", "stop", "start", "abort", "remove"]
JOB_STATUSES = ["", "completed", "stop", "scheduled", "running", "aborting", "removed"]
JOB_RESULTS = ["", "success", "fail", "aborted"]

SUPPORTED = {
    "actions": ["backup", "restore", "info", "admin", "exec"],
    "modes": ["fs", "mongo", "mysql", "sqlserver", "cinder", "glance", "cindernative", "nova"],
    "storages": ["local", "swift", "ssh", "s3", "ftp", "ftps"],
    "engines": ["tar", "rsync", "rsyncv2", "nova", "osbrick", "glance"],
}

_id = {"type": "string", "pattern": ID, "maxLength": 255}

FREEZER_ACTION_PROPERTIES = {
    "action": {"type": "string", "pattern": ID},
    "mode": {"type": "string", "pattern": ID},
    "path_to_backup": {"type": "string"},
    "backup_name": {"type": "string"},
    "container": {"type": "string"},
    "restore_abs_path": {"type": "string"},
}

FREEZER_ACTION = {"type": "object", "properties": FREEZER_ACTION_PROPERTIES,
                  "additionalProperties": True}

SCHEDULE = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "time_created": {"type": "integer"},
        "time_started": {"type": "integer"},
        "time_ended": {"type": "integer"},
        "current_pid": {"type": "integer"},
        "event": {"type": "string", "enum": JOB_EVENTS},
        "status": {"type": "string", "enum": JOB_STATUSES},
        "result": {"type": "string", "enum": JOB_RESULTS},
        "schedule_date": {"type": "string", "pattern": ISO_DT},
        "schedule_start_date": {"type": "string", "pattern": ISO_DT},
        "schedule_end_date": {"type": "string", "pattern": ISO_DT},
        "schedule_interval": {"type": "string",
                              "pattern": r"^(continuous|(\d+ +(weeks|days|hours|minutes|seconds)))$"},
        "schedule_year": {"type": "string", "pattern": r"^\d{4}$"},
        "schedule_month": {"type": "string"},
        "schedule_day": {"type": "string"},
        "schedule_week": {"type": "string"},
        "schedule_day_of_week": {"type": "string"},
        "schedule_hour": {"type": "string"},
        "schedule_minute": {"type": "string"},
        "schedule_second": {"type": "string"},
    },
}

JOB_ACTION = {
    "type": "object",
    "properties": {
        "freezer_action": FREEZER_ACTION,
        "max_retries": {"type": "integer"},
        "max_retries_interval": {"type": "integer"},
        "mandatory": {"type": "boolean"},
        "action_id": _id,
        "user_id": _id,
    },
    "additionalProperties": True,
}

_JOB_PROPERTIES = {
    "job_actions": {"type": "array", "items": JOB_ACTION},
    "job_schedule": SCHEDULE,
    "job_id": _id,
    "client_id": {"type": "string", "pattern": CLIENT_ID, "maxLength": 255},
    "session_id": {"type": "string", "pattern": r"^" + WORD + r"*$", "maxLength": 255},
    "session_tag": {"type": "integer"},
    "session_name": {"type": "string"},
    "user_id": _id,
    "project_id": _id,
    "description": {"type": "string"},
    "_version": {"type": "integer"},
    "action_defaults": FREEZER_ACTION,
}

JOB = {
    "type": "object",
    "additionalProperties": False,
    "required": ["job_actions", "job_schedule", "job_id", "client_id", "user_id"],
    "properties": dict(_JOB_PROPERTIES, user_credentials={
        "type": "object", "required": ["trust_id", "trustor_user_id"],
        "properties": {"trust_id": {"type": "string"}, "trustor_user_id": _id}}),
}

JOB_PATCH = {"type": "object", "additionalProperties": False, "properties": _JOB_PROPERTIES}

_ACTION_PROPERTIES = dict(FREEZER_ACTION_PROPERTIES, action_id=_id, user_id=_id, project_id=_id,
                          freezer_action=FREEZER_ACTION,
                          max_retries={"type": "integer"},
                          max_retries_interval={"type": "integer"},
                          mandatory={"type": "boolean"})

ACTION = {"type": "object", "additionalProperties": True,
          "required": ["action_id", "user_id", "freezer_action"],
          "properties": _ACTION_PROPERTIES}

ACTION_PATCH = {"type": "object", "additionalProperties": True, "properties": _ACTION_PROPERTIES}

_SESSION_PROPERTIES = {
    "schedule": SCHEDULE,
    "session_id": _id,
    "user_id": _id,
    "project_id": _id,
    "session_tag": {"type": "integer"},
    "time_started": {"type": "integer"},
    "time_ended": {"type": "integer"},
    "hold_off": {"type": "integer", "minimum": 0},
    "description": {"type": "string"},
    "jobs": {"type": "object"},
}

SESSION = {"type": "object", "additionalProperties": True,
           "required": ["session_id", "session_tag", "user_id", "schedule"],
           "properties": _SESSION_PROPERTIES}

SESSION_PATCH = {"type": "object", "additionalProperties": True, "properties": _SESSION_PROPERTIES}

CLIENT_INFO = {
    "type": "object",
    "additionalProperties": True,
    "required": ["client_id"],
    "properties": {
        "client_id": {"type": "string", "pattern": CLIENT_ID, "maxLength": 255},
        "hostname": {"type": "string", "pattern": r"[A-Za-z0-9]", "maxLength": 255,
                     "allOf": [{"pattern": NO_CONTROL}]},
        "description": {"type": "string"},
        "uuid": {"type": "string"},
        "is_central": {"type": "boolean"},
        **{f"supported_{kind}": {"type": "array", "items": {"type": "string", "enum": values}}
           for kind, values in SUPPORTED.items()},
    },
}

CLIENT_PATCH = {
    "type": "object",
    "additionalProperties": False,
    "properties": {k: v for k, v in CLIENT_INFO["properties"].items()
                   if k in ("hostname", "description")
                   or k.startswith("supported_")},
}

# The metadata fields kept in indexed columns must fit them (BIGINT, INT, VARCHAR(255)):
# MariaDB refuses what does not fit, and the answer must be a 400, not a 500.
INT64 = {"minimum": -2 ** 63, "maximum": 2 ** 63 - 1}
_level = {"type": "integer", "minimum": 0, "maximum": 2 ** 31 - 1}

# What builds a backup id (container_hostname_backupname_timestamp_level) is an id too.
_id_part = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": NO_CONTROL}

BACKUP_METADATA = {
    "type": "object",
    "additionalProperties": True,
    "required": ["container", "backup_name"],
    "properties": {
        "container": _id_part,
        "hostname": _id_part,
        "host_name": _id_part,
        "backup_name": _id_part,
        "time_stamp": {"type": "integer", **INT64},
        "timestamp": {"type": "integer", **INT64},
        "curr_backup_level": _level,
        "level": _level,
        "job_id": {"type": "string", "maxLength": 255, "pattern": NO_CONTROL},
    },
}

# v2 (freezer-v2.md §9.6, §9.7): a top-level `status`; `backup_name` always required,
# `container` and `hostname` unless the record is still being made, failed or going away.
BACKUP_STATUSES = ["creating", "available", "error", "deleting", "deleted"]
BACKUP_STATUSES_WITHOUT_LOCATION = ("creating", "error", "deleting")
BACKUP_METADATA_V2 = dict(BACKUP_METADATA, required=["backup_name"])
BACKUP_PATCH = {
    "type": "object",
    "additionalProperties": True,
    "properties": {
        "status": {"type": "string", "enum": BACKUP_STATUSES},
        "backup_metadata": {"type": "object"},
    },
}
