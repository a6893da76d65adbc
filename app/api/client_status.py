"""/v1/clients/{client_id}/status: when the agent was last heard from, its jobs and its
last backup (services/last_seen.py). The client document itself stays as agents wrote it."""
from ..auth.identity import current_identity
from ..services import last_seen
from . import blp
from .conventions import COMMON_ERRORS, ERROR, doc, json_response

STATUS = {
    "type": "object", "required": ["client_id", "last_seen", "jobs", "last_backup"],
    "properties": {
        "client_id": {"type": "string"}, "hostname": {"type": "string", "nullable": True},
        "last_seen": {"type": "string", "format": "date-time", "nullable": True,
                      "description": "when it last registered or polled its jobs (UTC, "
                                     "to the minute: polls move it at most once a minute)"},
        "seconds_since_seen": {"type": "integer", "nullable": True},
        "jobs": {"type": "array", "items": {"type": "object"}},
        "jobs_truncated": {"type": "boolean"},
        "last_backup": {"type": "object", "nullable": True}}}


@blp.route("/clients/<string:client_id>/status", methods=["GET"])
@blp.doc(**doc(summary="Is the agent alive: last seen, its jobs, its last backup",
               responses={200: ("The status", STATUS), 404: ("No such client", ERROR),
                          **COMMON_ERRORS}))
def client_status(client_id):
    me = current_identity()
    return json_response(last_seen.status(me.user_scope(), client_id))
