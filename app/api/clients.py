"""/v1/clients and /v2/{project_id}/clients: registered agents (freezer-v1.md §5,
freezer-v2.md §5)."""
from flask.views import MethodView

from ..models import Client
from ..services import clients, documents
from . import both
from .conventions import (COMMON_ERRORS, ERROR, PRECONDITION, ListArgs, created, doc,
                          envelope, id_answer, if_match, item, listing, no_content, request_json,
                          search_from_request, written)
from .versioning import current


@both.route("/clients")
class Clients(MethodView):
    @both.arguments(ListArgs(), location="query")  # an instance: not rebuilt per request
    @both.doc(**doc(summary="List the caller's clients",
                    responses={200: ("The page", envelope("clients", "Client")), **COMMON_ERRORS}))
    def get(self, args):
        scope = current().scope()
        rows = documents.list_texts(Client, scope, search_from_request(args),
                                    args["limit"], args["offset"], where=clients.visible(scope))
        return listing("clients", rows)

    @both.doc(**doc(summary="Register a client (agent)", body="ClientInfo",
                    responses={201: ("Registered", id_answer("client_id")),
                               409: ("Already registered", ERROR), **COMMON_ERRORS}))
    def post(self):
        version = current()
        row = clients.register(version.scope(), request_json(), again=version.reregister)
        return created("client_id", row.client_id)


@both.route("/clients/<string:client_id>")
class ClientItem(MethodView):
    @both.doc(**doc(summary="One client", responses={200: ("The client", "Client"),
                                                     404: ("No such client", ERROR)}))
    def get(self, client_id):
        scope = current().scope()
        return item(documents.read(Client, scope, client_id, where=clients.visible(scope)))

    @both.doc(**doc(summary="Update a client's description, hostname or capabilities",
                    body="ClientPatch",
                    responses={200: ("Updated", id_answer("client_id", True)),
                               404: ("No such client", ERROR), **PRECONDITION,
                               **COMMON_ERRORS}))
    def patch(self, client_id):
        scope = current().scope()
        row = clients.update(scope, client_id, request_json(), if_match())
        return written("client_id", row, 200)

    @both.doc(**doc(summary="Unregister a client",
                    responses={204: ("Deleted", None), 404: ("No such client", ERROR),
                               **PRECONDITION}))
    def delete(self, client_id):
        scope = current().scope()
        clients.delete(scope, client_id, if_match())
        return no_content()
