"""/v1/jobs and /v2/{project_id}/jobs: what agents poll and report on (freezer-v1.md §7,
freezer-v2.md §7)."""
import marshmallow as ma
from flask.views import MethodView

from ..models import Job
from ..services import documents, jobs, last_seen
from . import both
from .conventions import (COMMON_ERRORS, ERROR, PRECONDITION, ListArgs, created, doc,
                          envelope, id_answer, if_match, item, json_response, listing,
                          no_content, request_json, search_from_request, written)
from .versioning import current

class JobListArgs(ListArgs):
    all_projects = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "v2: jobs of every project, for admin and service callers "
                                 "only (ignored for anyone else, and in v1)"})


EVENT_BODY = {"type": "object", "minProperties": 1, "maxProperties": 1,
              "properties": {"start": {}, "stop": {}, "abort": {}},
              "additionalProperties": False}
EVENT_ANSWER = {"type": "object", "required": ["result"],
                "properties": {"result": {"type": "string"}}}


@both.route("/jobs")
class Jobs(MethodView):
    @both.arguments(JobListArgs(), location="query")  # an instance: not rebuilt per request
    @both.doc(**doc(summary="List (poll) the caller's jobs",
                    description='Agents poll with the body {"match": [{"client_id": C}], '
                                '"match_not": [{"status": "completed"}]}.',
                    responses={200: ("The page", envelope("jobs", "Job")), **COMMON_ERRORS}))
    def get(self, args):
        version = current()
        scope = version.scope()
        search = search_from_request(args)
        polled = last_seen.polled_client_id(search)
        if polled:  # an agent polling its jobs: it is alive (written at most once a minute)
            last_seen.touch(scope, polled)
        if version.per_project and args["all_projects"]:
            scope = scope.across_projects()  # honoured for privileged callers only
        rows = documents.list_texts(Job, scope, search, args["limit"], args["offset"])
        return listing("jobs", jobs.hide_foreign_pids(scope, rows))

    @both.doc(**doc(summary="Create a job", body="JobCreate",
                    responses={201: ("Created", id_answer("job_id")),
                               422: ("The client cannot run it", ERROR), **COMMON_ERRORS}))
    def post(self):
        scope = current().scope()
        row = jobs.create(scope, request_json())
        return created("job_id", row.job_id)


@both.route("/jobs/<string:job_id>")
class JobItem(MethodView):
    @both.doc(**doc(summary="One job", responses={200: ("The job", "Job"),
                                                  404: ("No such job", ERROR)}))
    def get(self, job_id):
        scope = current().scope()
        return item(jobs.hide_foreign_pids(scope, [documents.read(Job, scope, job_id)])[0])

    @both.doc(**doc(summary="Create or replace the job with this id", body="JobCreate",
                    responses={201: ("Stored", id_answer("job_id", True)), **PRECONDITION,
                               422: ("The client cannot run it", ERROR), **COMMON_ERRORS}))
    def post(self, job_id):
        scope = current().scope()
        row = jobs.replace(scope, job_id, request_json(), if_match())
        return written("job_id", row, 201)

    @both.doc(**doc(summary="Merge changes into a job (recursive merge)", body="JobPatch",
                    responses={200: ("Updated", id_answer("job_id", True)),
                               404: ("No such job", ERROR),
                               412: ("If-Match names another version", ERROR), **COMMON_ERRORS}))
    def patch(self, job_id):
        scope = current().scope()
        row = jobs.patch(scope, job_id, request_json(), if_match())
        return written("job_id", row, 200)

    @both.doc(**doc(summary="Delete a job",
                    responses={204: ("Deleted", None), 404: ("No such job", ERROR),
                               **PRECONDITION}))
    def delete(self, job_id):
        scope = current().scope()
        jobs.delete(scope, job_id, if_match())
        return no_content()


@both.route("/jobs/<string:job_id>/event", methods=["POST"])
@both.doc(**doc(summary="Ask the job's agent to start, stop or abort it",
                body=EVENT_BODY,
                responses={202: ("Accepted: success or 'X already requested'", EVENT_ANSWER),
                           404: ("No such job", ERROR), **PRECONDITION, **COMMON_ERRORS}))
def job_event(job_id):
    scope = current().scope()
    result = jobs.send_event(scope, job_id, request_json(), if_match())
    return json_response({"result": result}, 202)
