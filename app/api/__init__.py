"""The /v1 JSON API: one flask-smorest blueprint, one module per resource."""
from flask import request

from ..services.errors import ServiceError
from .conventions import FreezerApi, FreezerBlueprint

api = FreezerApi()

blp = FreezerBlueprint("v1", __name__, url_prefix="/v1",
                       description="OpenStack Freezer v1: backups, clients, actions, jobs, sessions")


class NotAcceptable(ServiceError):
    status = 406
    title = "Media type not acceptable"


@blp.before_request
def check_accept():
    if request.headers.get("Accept") and not request.accept_mimetypes.accept_json:
        raise NotAcceptable("Freezer-api only supports responses encoded as JSON.")


def init_app(app):
    # the resource modules add their routes to blp when imported
    from . import actions, backups, clients, jobs, openapi, sessions, versions  # noqa: F401
    from . import client_status, forecast, runs  # noqa: F401  (schedules: computed facts)
    api.init_app(app)
    openapi.register_components(api.spec)
    api.register_blueprint(blp)
    openapi.document_path_ids(api.spec)
    versions.init_app(app)
