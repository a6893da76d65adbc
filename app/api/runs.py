"""/v1/jobs/{job_id}/runs: the run history agents' reports build (services/runs.py)."""

from ..auth.identity import current_identity
from ..models import Job, Run
from ..services import documents, runs
from . import blp
from .conventions import COMMON_ERRORS, ERROR, KeysetArgs, doc, json_response

RUN = {
    "type": "object",
    "properties": {
        "run_id": {"type": "integer"}, "job_id": {"type": "string"},
        "client_id": {"type": "string", "nullable": True},
        "state": {"type": "string", "enum": ["running", "ended"]},
        "started_at": {"type": "string", "format": "date-time"},
        "ended_at": {"type": "string", "format": "date-time", "nullable": True},
        "duration": {"type": "number", "nullable": True, "description": "seconds"},
        "result": {"type": "string", "nullable": True,
                   "description": "success, fail, aborted; \"\" when the run left running "
                                  "without one; null while running"},
        "backup_count": {"type": "integer",
                         "description": "the backups posted with the job's id during the run"},
        "backups": {"type": "array", "items": {"type": "object"},
                    "description": f"the first {Run.BACKUPS_LISTED} of them (backup_count "
                                   "counts them all; GET /v1/backups lists every one)"},
        "backup_size_compressed": {"type": "number", "nullable": True,
                                   "description": "MB, summed over all of them"},
        "backup_size_uncompressed": {"type": "number", "nullable": True,
                                     "description": "MB, summed over all of them"}}}
RUNS = {"type": "object", "required": ["runs"],
        "properties": {"runs": {"type": "array", "items": RUN},
                       "next_before": {"type": "integer", "nullable": True,
                                       "description": "pass as before= for the next (older) "
                                                      "page; null on the last page"},
                       "last_run": dict(RUN, nullable=True),
                       "last_success": dict(RUN, nullable=True)}}


@blp.route("/jobs/<string:job_id>/runs", methods=["GET"])
@blp.arguments(KeysetArgs, location="query")
@blp.doc(**doc(summary="The job's runs, newest first, with its last and last successful run",
               responses={200: ("The page", RUNS), 404: ("No such job", ERROR),
                          **COMMON_ERRORS}))
def job_runs(args, job_id):
    me = current_identity()
    row = documents.get(Job, me.user_scope(), job_id)
    page, next_before = runs.runs_page(row.project_id, row.job_id, args["limit"], args.get("before"))
    last = runs.last_run(row.project_id, row.job_id)
    success = runs.last_success(row.project_id, row.job_id)
    facts = runs.backup_facts([*page, last, success])  # the open one's, read once
    return json_response({
        "runs": [runs.view(run, facts) for run in page],
        "next_before": next_before,
        "last_run": runs.view(last, facts),
        "last_success": runs.view(success, facts)})
