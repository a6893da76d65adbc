"""The Freezer document schemas, published as OpenAPI components from the same dicts
that validate requests (app/services/schemas.py)."""
import copy

from ..services import schemas as s


def _without_required(schema: dict, *names) -> dict:
    out = copy.deepcopy(schema)
    out["required"] = [r for r in out.get("required", []) if r not in names]
    if not out["required"]:
        del out["required"]
    return out


def _nullable_string():
    return {"type": "string", "nullable": True}


COMPONENTS = {
    "Job": s.JOB,
    "JobCreate": _without_required(s.JOB, "job_id", "user_id", "job_schedule"),
    "JobPatch": s.JOB_PATCH,
    "Action": s.ACTION,
    "ActionCreate": _without_required(s.ACTION, "action_id", "user_id"),
    "ActionPatch": s.ACTION_PATCH,
    "Session": s.SESSION,
    "SessionCreate": _without_required(s.SESSION, "session_id", "user_id", "session_tag"),
    "SessionPatch": s.SESSION_PATCH,
    "ClientInfo": s.CLIENT_INFO,
    "ClientPatch": s.CLIENT_PATCH,
    "Client": {"type": "object", "required": ["client", "user_id"],
               "properties": {"client": {"$ref": "#/components/schemas/ClientInfo"},
                              "user_id": {"type": "string"}}},
    "BackupMetadata": s.BACKUP_METADATA,
    "Backup": {"type": "object", "required": ["backup_id", "user_id", "backup_metadata"],
               "properties": {"backup_id": {"type": "string"}, "user_id": {"type": "string"},
                              "user_name": _nullable_string(),
                              "backup_metadata": {"$ref": "#/components/schemas/BackupMetadata"},
                              "_version": {"type": "integer"}}},
}


def register_components(spec):
    for name, schema in COMPONENTS.items():
        spec.components.schema(name, component=copy.deepcopy(schema))
