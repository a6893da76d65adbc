"""The JSON API: /v1 and /v2/{project_id}, two flask-smorest blueprints carrying the same
views (one module per resource); what differs between them is app/api/versioning.py."""
from .. import context
from ..services.errors import ServiceError
from . import versioning
from .conventions import Both, FreezerApi, FreezerBlueprint

api = FreezerApi()

blp = FreezerBlueprint("v1", __name__, url_prefix="/v1",
                       description="OpenStack Freezer v1: backups, clients, actions, jobs, sessions")
blp_v2 = FreezerBlueprint("v2", __name__, url_prefix="/v2/<project_id>",
                          description="OpenStack Freezer v2: the same documents, per project")
#: registers a view on both versions
both = Both(blp, blp_v2)
blp_v2.url_value_preprocessor(versioning.take_path_project)


class NotAcceptable(ServiceError):
    status = 406
    title = "Media type not acceptable"


#: what agents send (keystoneauth, python-requests): accepted without parsing the header
_PLAIN_ACCEPTS = frozenset({"application/json", "*/*"})


def check_accept():
    asked = context.current_request()
    accept = asked.environ.get("HTTP_ACCEPT")
    if accept and accept not in _PLAIN_ACCEPTS and not asked.accept_mimetypes.accept_json:
        raise NotAcceptable("Freezer-api only supports responses encoded as JSON.")


blp.before_request(check_accept)
blp_v2.before_request(check_accept)
blp_v2.before_request(versioning.check_path_project)


def init_app(app):
    # the resource modules add their routes to blp when imported
    from . import actions, backups, clients, jobs, openapi, sessions, versions  # noqa: F401
    from . import client_status, forecast, runs  # noqa: F401  (schedules: computed facts)
    api.init_app(app)
    openapi.register_components(api.spec)
    api.register_blueprint(blp)
    api.register_blueprint(blp_v2)
    openapi.document_path_ids(api.spec)
    versions.init_app(app)
