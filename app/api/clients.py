"""/v1/clients: registered agents (freezer-v1.md §5)."""
from flask.views import MethodView

from ..auth.identity import current_identity
from ..models import Client
from ..services import clients, documents
from . import blp
from .conventions import (COMMON_ERRORS, ERROR, PRECONDITION, ListArgs, created, doc,
                          envelope, id_answer, if_match, item, listing, no_content, request_json,
                          search_from_request, written)


@blp.route("/clients")
class Clients(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.doc(**doc(summary="List the caller's clients",
                   responses={200: ("The page", envelope("clients", "Client")), **COMMON_ERRORS}))
    def get(self, args):
        me = current_identity()
        rows = documents.list_texts(Client, me.user_scope(), search_from_request(args),
                                   args["limit"], args["offset"])
        return listing("clients", rows)

    @blp.doc(**doc(summary="Register a client (agent)", body="ClientInfo",
                   responses={201: ("Registered", id_answer("client_id")),
                              409: ("Already registered", ERROR), **COMMON_ERRORS}))
    def post(self):
        me = current_identity()
        row = clients.register(me.user_scope(), request_json())
        return created("client_id", row.client_id)


@blp.route("/clients/<string:client_id>")
class ClientItem(MethodView):
    @blp.doc(**doc(summary="One client", responses={200: ("The client", "Client"),
                                                    404: ("No such client", ERROR)}))
    def get(self, client_id):
        me = current_identity()
        return item(documents.read(Client, me.user_scope(), client_id))

    @blp.doc(**doc(summary="Update a client's description, hostname or capabilities",
                   body="ClientPatch",
                   responses={200: ("Updated", id_answer("client_id", True)),
                              404: ("No such client", ERROR), **PRECONDITION,
                              **COMMON_ERRORS}))
    def patch(self, client_id):
        me = current_identity()
        row = clients.update(me.user_scope(), client_id, request_json(), if_match())
        return written("client_id", row, 200)

    @blp.doc(**doc(summary="Unregister a client",
                   responses={204: ("Deleted", None), 404: ("No such client", ERROR),
                              **PRECONDITION}))
    def delete(self, client_id):
        me = current_identity()
        documents.delete(Client, me.user_scope(), client_id, if_match())
        return no_content()
