"""The Freezer document schemas, published as OpenAPI components from the same dicts
that validate requests (app/services/schemas.py)."""
import copy

from ..services import schemas as s
from ..services.ids import NO_CONTROL


def _without_required(schema: dict, *names) -> dict:
    out = copy.deepcopy(schema)
    out["required"] = [r for r in out.get("required", []) if r not in names]
    if not out["required"]:
        del out["required"]
    return out


def _nullable_string():
    return {"type": "string", "nullable": True}


# Request bodies: what the server fills in itself may be sent (agents echo documents back
# as fetched) and is ignored, but only after it passed its rule (validation.discard), so
# it is documented with that rule.
_IGNORED = "Ignored: the server sets this (a value sent must still pass this rule)."


def _request(schema: dict, *ignored, optional=(), min_properties=False) -> dict:
    out = _without_required(schema, *ignored, *optional)
    for name in ignored:
        # the ids, owner and version are checked before they are dropped; anything else
        # ignored (a session's jobs on create) is dropped unread
        checked = name.endswith("_id") or name == "_version"
        rule = copy.deepcopy(out["properties"].get(name, {})) if checked else {}
        out["properties"][name] = {**rule, "description": _IGNORED if checked else
                                   "Ignored: the server sets this."}
    if min_properties:
        out["minProperties"] = 1  # an empty object answers 400 "Missing request body"
    return out


def _job_request(schema: dict, *ignored, **kw) -> dict:
    out = _request(schema, *ignored, **kw)
    out["properties"]["session_id"] = {
        "description": "Ignored: a job joins or leaves a session only through "
                       "PUT/DELETE /v1/sessions/{session_id}/jobs/{job_id}."}
    # every element of job_actions needs its freezer_action (400 otherwise)
    items = out["properties"]["job_actions"]["items"] = copy.deepcopy(s.JOB_ACTION)
    items["required"] = ["freezer_action"]
    return out


def _backup_metadata() -> dict:
    """The agent's and the seed's field names are both accepted, but one of each pair is
    required: hostname|host_name and time_stamp|timestamp."""
    out = copy.deepcopy(s.BACKUP_METADATA)
    out["allOf"] = [{"anyOf": [{"required": ["hostname"]}, {"required": ["host_name"]}]},
                    {"anyOf": [{"required": ["time_stamp"]}, {"required": ["timestamp"]}]}]
    return out


COMPONENTS = {
    "Job": s.JOB,
    "JobCreate": _job_request(s.JOB, "job_id", "user_id", "_version", optional=["job_schedule"]),
    "JobPatch": _job_request(s.JOB_PATCH, "job_id", "user_id", "_version"),
    "Action": s.ACTION,
    "ActionCreate": _request(s.ACTION, "user_id", "_version", optional=["action_id"]),
    "ActionReplace": _request(s.ACTION, "action_id", "user_id", "_version"),
    "ActionPatch": _request(s.ACTION_PATCH, "action_id", "user_id", "_version",
                            min_properties=True),
    "Session": s.SESSION,
    "SessionCreate": _request(s.SESSION, "session_id", "user_id", "_version", "jobs",
                              optional=["session_tag"]),
    "SessionReplace": _request(s.SESSION, "session_id", "user_id", "_version"),
    "SessionPatch": s.SESSION_PATCH,
    "ClientInfo": s.CLIENT_INFO,
    "ClientPatch": dict(s.CLIENT_PATCH, minProperties=1),
    "Client": {"type": "object", "required": ["client", "user_id"],
               "properties": {"client": {"$ref": "#/components/schemas/ClientInfo"},
                              "user_id": {"type": "string"}}},
    "BackupMetadata": _backup_metadata(),
    "BackupPatch": dict(s.BACKUP_PATCH, minProperties=1),
    "Backup": {"type": "object", "required": ["backup_id", "user_id", "backup_metadata"],
               "properties": {"backup_id": {"type": "string"}, "user_id": {"type": "string"},
                              "user_name": _nullable_string(),
                              "project_id": {"type": "string", "description": "v2 only"},
                              "status": {"type": "string", "enum": s.BACKUP_STATUSES,
                                         "description": "v2 only"},
                              "backup_uuid": {"type": "string",
                                              "description": "v2 only: the backup_id"},
                              "backup_metadata": {"$ref": "#/components/schemas/BackupMetadata"},
                              "_version": {"type": "integer"}}},
}

# Path ids: what the server accepts when it stores a document under that id.
PATH_IDS = {"action_id": s.ID, "job_id": s.ID, "session_id": s.ID, "client_id": s.CLIENT_ID,
            "project_id": s.ID,
            "backup_id": NO_CONTROL}  # built from metadata: any text but control characters


def register_components(spec):
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, component=copy.deepcopy(schema))


def document_path_ids(spec):
    """Give the id path parameters flask-smorest generated (plain strings) the pattern the
    server enforces, so clients and generated tests know a bad id is a 400 or 404."""
    for path in spec._paths.values():  # apispec keeps no public accessor for path items
        for parameter in path.get("parameters", []):
            pattern = PATH_IDS.get(parameter.get("name"))
            if parameter.get("in") == "path" and pattern:
                parameter["schema"] = {"type": "string", "pattern": pattern, "minLength": 1,
                                       "maxLength": 1024 if pattern is NO_CONTROL else 255}
    for name, path in spec._paths.items():
        if name.startswith("/v2/"):  # every v2 route checks the path project first
            for operation in path.values():
                if isinstance(operation, dict) and "responses" in operation:
                    operation["responses"].setdefault("403", {
                        "description": "The path project is not the caller's (admin and "
                                       "service callers excepted)",
                        "content": {"application/json": {"schema": {
                            "$ref": "#/components/schemas/FreezerError"}}}})
