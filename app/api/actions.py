"""/v1/actions: reusable action templates (freezer-v1.md §6)."""
from flask.views import MethodView

from ..auth.identity import current_identity
from ..models import Action
from ..services import actions, documents
from . import blp
from .conventions import (COMMON_ERRORS, ERROR, PRECONDITION, ListArgs, created, doc,
                          envelope, id_answer, if_match, item, listing, no_content, request_json,
                          search_from_request, written)


@blp.route("/actions")
class Actions(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.doc(**doc(summary="List the caller's actions",
                   responses={200: ("The page", envelope("actions", "Action")), **COMMON_ERRORS}))
    def get(self, args):
        me = current_identity()
        rows = documents.list_texts(Action, me.user_scope(), search_from_request(args),
                                   args["limit"], args["offset"])
        return listing("actions", rows)

    @blp.doc(**doc(summary="Create an action", body="ActionCreate",
                   responses={201: ("Created", id_answer("action_id")),
                              409: ("That action_id exists", ERROR), **COMMON_ERRORS}))
    def post(self):
        me = current_identity()
        row = actions.create(me.user_scope(), request_json())
        return created("action_id", row.action_id)


@blp.route("/actions/<string:action_id>")
class ActionItem(MethodView):
    @blp.doc(**doc(summary="One action", responses={200: ("The action", "Action"),
                                                    404: ("No such action", ERROR)}))
    def get(self, action_id):
        me = current_identity()
        return item(documents.read(Action, me.user_scope(), action_id))

    @blp.doc(**doc(summary="Create or replace the action with this id", body="ActionReplace",
                   responses={201: ("Stored", id_answer("action_id", True)), **PRECONDITION,
                              **COMMON_ERRORS}))
    def post(self, action_id):
        me = current_identity()
        row = actions.replace(me.user_scope(), action_id, request_json(), if_match())
        return written("action_id", row, 201)

    @blp.doc(**doc(summary="Merge changes into an action", body="ActionPatch",
                   responses={200: ("Updated", id_answer("action_id", True)),
                              404: ("No such action", ERROR), **PRECONDITION,
                              **COMMON_ERRORS}))
    def patch(self, action_id):
        me = current_identity()
        row = actions.patch(me.user_scope(), action_id, request_json(), if_match())
        return written("action_id", row, 200)

    @blp.doc(**doc(summary="Delete an action",
                   responses={204: ("Deleted", None), 404: ("No such action", ERROR),
                              **PRECONDITION}))
    def delete(self, action_id):
        me = current_identity()
        documents.delete(Action, me.user_scope(), action_id, if_match())
        return no_content()
