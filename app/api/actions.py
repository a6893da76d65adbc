"""/v1/actions: reusable action templates (freezer-v1.md §6)."""
from flask.views import MethodView

from ..models import Action
from ..services import actions, documents
from . import both
from .conventions import (COMMON_ERRORS, ERROR, PRECONDITION, ListArgs, created, doc,
                          envelope, id_answer, if_match, item, listing, no_content, request_json,
                          search_from_request, written)
from .versioning import current


@both.route("/actions")
class Actions(MethodView):
    @both.arguments(ListArgs(), location="query")  # an instance: not rebuilt per request
    @both.doc(**doc(summary="List the caller's actions",
                    responses={200: ("The page", envelope("actions", "Action")), **COMMON_ERRORS}))
    def get(self, args):
        scope = current().scope()
        rows = documents.list_texts(Action, scope, search_from_request(args),
                                   args["limit"], args["offset"])
        return listing("actions", rows)

    @both.doc(**doc(summary="Create an action", body="ActionCreate",
                    responses={201: ("Created", id_answer("action_id")),
                               409: ("That action_id exists", ERROR), **COMMON_ERRORS}))
    def post(self):
        scope = current().scope()
        row = actions.create(scope, request_json())
        return created("action_id", row.action_id)


@both.route("/actions/<string:action_id>")
class ActionItem(MethodView):
    @both.doc(**doc(summary="One action", responses={200: ("The action", "Action"),
                                                     404: ("No such action", ERROR)}))
    def get(self, action_id):
        scope = current().scope()
        return item(documents.read(Action, scope, action_id))

    @both.doc(**doc(summary="Create or replace the action with this id", body="ActionReplace",
                    responses={201: ("Stored", id_answer("action_id", True)), **PRECONDITION,
                               **COMMON_ERRORS}))
    def post(self, action_id):
        scope = current().scope()
        row = actions.replace(scope, action_id, request_json(), if_match())
        return written("action_id", row, 201)

    @both.doc(**doc(summary="Merge changes into an action", body="ActionPatch",
                    responses={200: ("Updated", id_answer("action_id", True)),
                               404: ("No such action", ERROR), **PRECONDITION,
                               **COMMON_ERRORS}))
    def patch(self, action_id):
        scope = current().scope()
        row = actions.patch(scope, action_id, request_json(), if_match())
        return written("action_id", row, 200)

    @both.doc(**doc(summary="Delete an action",
                    responses={204: ("Deleted", None), 404: ("No such action", ERROR),
                               **PRECONDITION}))
    def delete(self, action_id):
        scope = current().scope()
        documents.delete(Action, scope, action_id, if_match())
        return no_content()
