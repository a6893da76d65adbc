"""/v1/sessions: groups of jobs that start together (freezer-v1.md §8)."""

from flask.views import MethodView

from ..models import Session
from ..services import documents, sessions
from . import both
from .conventions import (COMMON_ERRORS, ERROR, PRECONDITION, ListArgs, created, doc,
                          envelope, id_answer, if_match, item, json_response, listing,
                          no_content, request_json, search_from_request, written)
from .versioning import current

# OpenAPI 3.0 has no type lists: a tag is an integer or a numeric string
TAG = {"oneOf": [{"type": "integer"}, {"type": "string", "pattern": r"^\s*[+-]?\d+\s*$"}]}
ACTION_BODY = {
    "type": "object", "minProperties": 1,
    "properties": {
        "start": {"type": "object", "required": ["job_id", "current_tag"],
                  "properties": {"job_id": {"type": "string"},
                                 "current_tag": TAG}},
        "end": {"type": "object", "required": ["job_id", "result"],
                "properties": {"job_id": {"type": "string"},
                               "current_tag": TAG,
                               "result": {"type": "string",
                                          "enum": list(sessions.END_RESULTS)}}}},
}
ACTION_ANSWER = {"type": "object", "required": ["result", "session_tag"],
                 "properties": {"result": {"type": "string",
                                           "enum": ["success", "hold-off", "out-of-sync"]},
                                "session_tag": {"type": "integer"}}}


@both.route("/sessions")
class Sessions(MethodView):
    @both.arguments(ListArgs(), location="query")  # an instance: not rebuilt per request
    @both.doc(**doc(summary="List the caller's sessions",
                    responses={200: ("The page", envelope("sessions", "Session")),
                               **COMMON_ERRORS}))
    def get(self, args):
        scope = current().scope()
        rows = documents.list_texts(Session, scope, search_from_request(args),
                                   args["limit"], args["offset"])
        return listing("sessions", rows)

    @both.doc(**doc(summary="Create a session", body="SessionCreate",
                    description="The server sets session_id, status active, an empty jobs "
                                "object and hold_off 30 unless given.",
                    responses={201: ("Created", id_answer("session_id")), **COMMON_ERRORS}))
    def post(self):
        scope = current().scope()
        row = sessions.create(scope, request_json())
        return created("session_id", row.session_id)


@both.route("/sessions/<string:session_id>")
class SessionItem(MethodView):
    @both.doc(**doc(summary="One session", responses={200: ("The session", "Session"),
                                                      404: ("No such session", ERROR)}))
    def get(self, session_id):
        scope = current().scope()
        return item(documents.read(Session, scope, session_id))

    @both.doc(**doc(summary="Create or replace the session with this id", body="SessionReplace",
                    description="Its jobs stay those added with PUT .../jobs/{job_id}.",
                    responses={201: ("Stored", id_answer("session_id", True)),
                               412: ("If-Match names another version", ERROR),
                               **COMMON_ERRORS}))
    def post(self, session_id):
        scope = current().scope()
        row = sessions.replace(scope, session_id, request_json(), if_match())
        return written("session_id", row, 201)

    @both.doc(**doc(summary="Merge changes into a session (recursive merge)",
                    body="SessionPatch",
                    responses={200: ("Updated", id_answer("session_id", True)),
                               404: ("No such session", ERROR),
                               412: ("If-Match names another version", ERROR),
                               **COMMON_ERRORS}))
    def patch(self, session_id):
        scope = current().scope()
        row = sessions.patch(scope, session_id, request_json(), if_match())
        return written("session_id", row, 200)

    @both.doc(**doc(summary="Delete a session (its jobs are detached, not deleted)",
                    responses={204: ("Deleted", None), 404: ("No such session", ERROR),
                               **PRECONDITION}))
    def delete(self, session_id):
        scope = current().scope()
        sessions.delete(scope, session_id, if_match())
        return no_content()


@both.route("/sessions/<string:session_id>/jobs/<string:job_id>")
class SessionJob(MethodView):
    @both.doc(**doc(summary="Add a job to the session",
                    description="The session lists the job; the job takes the session's id, "
                                "tag and schedule.",
                    responses={204: ("Added", None), 404: ("No such session or job", ERROR),
                               **PRECONDITION, **COMMON_ERRORS}))
    def put(self, session_id, job_id):
        scope = current().scope()
        sessions.add_job(scope, session_id, job_id, if_match())
        return no_content()

    @both.doc(**doc(summary="Remove a job from the session (the job is stopped)",
                    responses={204: ("Removed", None), 404: ("No such session or job", ERROR),
                               **PRECONDITION, **COMMON_ERRORS}))
    def delete(self, session_id, job_id):
        scope = current().scope()
        sessions.remove_job(scope, session_id, job_id, if_match())
        return no_content()


@both.route("/sessions/<string:session_id>/action", methods=["POST"])
@both.doc(**doc(summary="A job's agent starts or ends its part of the session",
                body=ACTION_BODY,
                description='{"start": {"job_id", "current_tag"}} answers success, hold-off '
                            'or out-of-sync with the session_tag to adopt; {"end": {"job_id", '
                            '"result"}} records the job\'s result and rolls up the session\'s.',
                responses={202: ("Accepted", ACTION_ANSWER),
                           404: ("No such session", ERROR), **PRECONDITION,
                           405: ("Unknown action", ERROR), **COMMON_ERRORS}))
def session_action(session_id):
    scope = current().scope()
    return json_response(sessions.act(scope, session_id, request_json(), if_match()), 202)
