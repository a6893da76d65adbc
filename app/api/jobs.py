"""/v1/jobs: what agents poll and report on (freezer-v1.md §7)."""
from flask.views import MethodView

from ..auth.identity import current_identity
from ..models import Job
from ..services import documents, jobs, last_seen
from . import blp
from .conventions import (COMMON_ERRORS, ERROR, PRECONDITION, ListArgs, created, doc,
                          envelope, id_answer, if_match, item, json_response, listing,
                          no_content, request_json, search_from_request, written)

EVENT_BODY = {"type": "object", "minProperties": 1, "maxProperties": 1,
              "properties": {"start": {}, "stop": {}, "abort": {}},
              "additionalProperties": False}
EVENT_ANSWER = {"type": "object", "required": ["result"],
                "properties": {"result": {"type": "string"}}}


@blp.route("/jobs")
class Jobs(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.doc(**doc(summary="List (poll) the caller's jobs",
                   description='Agents poll with the body {"match": [{"client_id": C}], '
                               '"match_not": [{"status": "completed"}]}.',
                   responses={200: ("The page", envelope("jobs", "Job")), **COMMON_ERRORS}))
    def get(self, args):
        me = current_identity()
        search = search_from_request(args)
        polled = last_seen.polled_client_id(search)
        if polled:  # an agent polling its jobs: it is alive (written at most once a minute)
            last_seen.touch(me.user_scope(), polled)
        rows = documents.list_texts(Job, me.user_scope(), search, args["limit"], args["offset"])
        return listing("jobs", rows)

    @blp.doc(**doc(summary="Create a job", body="JobCreate",
                   responses={201: ("Created", id_answer("job_id")),
                              422: ("The client cannot run it", ERROR), **COMMON_ERRORS}))
    def post(self):
        me = current_identity()
        row = jobs.create(me.user_scope(), request_json())
        return created("job_id", row.job_id)


@blp.route("/jobs/<string:job_id>")
class JobItem(MethodView):
    @blp.doc(**doc(summary="One job", responses={200: ("The job", "Job"),
                                                 404: ("No such job", ERROR)}))
    def get(self, job_id):
        me = current_identity()
        return item(documents.read(Job, me.user_scope(), job_id))

    @blp.doc(**doc(summary="Create or replace the job with this id", body="JobCreate",
                   responses={201: ("Stored", id_answer("job_id", True)), **PRECONDITION,
                              422: ("The client cannot run it", ERROR), **COMMON_ERRORS}))
    def post(self, job_id):
        me = current_identity()
        row = jobs.replace(me.user_scope(), job_id, request_json(), if_match())
        return written("job_id", row, 201)

    @blp.doc(**doc(summary="Merge changes into a job (recursive merge)", body="JobPatch",
                   responses={200: ("Updated", id_answer("job_id", True)),
                              404: ("No such job", ERROR),
                              412: ("If-Match names another version", ERROR), **COMMON_ERRORS}))
    def patch(self, job_id):
        me = current_identity()
        row = jobs.patch(me.user_scope(), job_id, request_json(), if_match())
        return written("job_id", row, 200)

    @blp.doc(**doc(summary="Delete a job",
                   responses={204: ("Deleted", None), 404: ("No such job", ERROR),
                              **PRECONDITION}))
    def delete(self, job_id):
        me = current_identity()
        jobs.delete(me.user_scope(), job_id, if_match())
        return no_content()


@blp.route("/jobs/<string:job_id>/event", methods=["POST"])
@blp.doc(**doc(summary="Ask the job's agent to start, stop or abort it",
               body=EVENT_BODY,
               responses={202: ("Accepted: success or 'X already requested'", EVENT_ANSWER),
                          404: ("No such job", ERROR), **PRECONDITION, **COMMON_ERRORS}))
def job_event(job_id):
    me = current_identity()
    result = jobs.send_event(me.user_scope(), job_id, request_json(), if_match())
    return json_response({"result": result}, 202)
