"""`GET /` (the versions document, no identity needed) and `GET /v1` (JSON-home)."""
import json

from flask import Response, current_app, make_response, request

from ..auth.identity import current_identity
from . import blp
from .conventions import json_response

VERSIONS = {"versions": [{"id": "1", "status": "CURRENT", "updated": "2015-03-23T13:45:00",
                          "links": [{"href": "/v1/", "rel": "self"}]}]}

_RESOURCES = {
    "backups": ("backup_id", ["GET", "DELETE"]),
    "clients": ("client_id", ["GET", "PATCH", "DELETE"]),
    "actions": ("action_id", ["GET", "POST", "PATCH", "DELETE"]),
    "jobs": ("job_id", ["GET", "POST", "PATCH", "DELETE"]),
    "sessions": ("session_id", ["GET", "POST", "PATCH", "DELETE"]),
}


def home_document() -> dict:
    resources = {}
    for name, (key, allow) in _RESOURCES.items():
        resources[f"rel/{name}"] = {"href-template": f"/v1/{name}/{{{key}}}",
                                    "href-vars": {key: f"param/{key}"},
                                    "hints": {"allow": allow,
                                              "formats": {"application/json": {}}}}
        resources[f"rel/{name}-collection"] = {"href": f"/v1/{name}/",
                                               "hints": {"allow": ["GET", "POST"],
                                                         "formats": {"application/json": {}}}}
    return {"resources": resources}


@blp.route("", methods=["GET"])
@blp.doc(summary="JSON-home document advertising every v1 resource",
         responses={"200": {"description": "JSON-home (application/json-home)"}})
def home():
    current_identity()
    return Response(json.dumps(home_document(), indent=4), status=200,
                    mimetype="application/json-home")


def versions():
    return json_response(VERSIONS, 300)


def root():
    """`/`: the versions document for API clients, the dashboard's overview for browsers
    (those that prefer text/html to JSON)."""
    overview = current_app.view_functions.get("ui.overview")
    wants_html = request.headers.get("HX-Request") == "true" or \
        request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
    if overview and wants_html:
        response = make_response(overview())
    else:
        response = versions()
    response.vary.add("Accept")
    return response


def init_app(app):
    app.add_url_rule("/", "versions", root, methods=["GET"])
