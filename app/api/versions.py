"""`GET /` (the versions document, no identity needed), `GET /v1` and `GET /v2` (JSON-home)."""
import json

from flask import Response, current_app, make_response, request

from ..auth.identity import current_identity
from . import blp
from .conventions import json_response

# v2 in 19.0.0's shape (an absolute href, built per request), v1 in the shape v1 clients
# already read (DECISIONS.md "Projects and v2")
V2_VERSION = {"id": "v2", "status": "CURRENT", "updated": "2018-02-21T13:30:00"}
V1_VERSION = {"id": "1", "status": "SUPPORTED", "updated": "2015-03-23T13:45:00",
              "links": [{"href": "/v1/", "rel": "self"}]}

_RESOURCES = {
    "backups": ("backup_id", ["GET", "DELETE"]),
    "clients": ("client_id", ["GET", "PATCH", "DELETE"]),
    "actions": ("action_id", ["GET", "POST", "PATCH", "DELETE"]),
    "jobs": ("job_id", ["GET", "POST", "PATCH", "DELETE"]),
    "sessions": ("session_id", ["GET", "POST", "PATCH", "DELETE"]),
}
_V2_ONLY_METHODS = {"backups": ["PATCH"]}


def home_document(version: str = "v1") -> dict:
    """Every resource of that version; v2's live under /v2/{project_id}."""
    prefix = "/v1" if version == "v1" else "/v2/{project_id}"
    project_var = {} if version == "v1" else {"project_id": "param/project_id"}
    resources = {}
    for name, (key, allow) in _RESOURCES.items():
        if version != "v1":
            allow = sorted(set(allow) | set(_V2_ONLY_METHODS.get(name, [])))
        resources[f"rel/{name}"] = {"href-template": f"{prefix}/{name}/{{{key}}}",
                                    "href-vars": {**project_var, key: f"param/{key}"},
                                    "hints": {"allow": allow,
                                              "formats": {"application/json": {}}}}
        collection = {"hints": {"allow": ["GET", "POST"], "formats": {"application/json": {}}}}
        if project_var:
            collection = {"href-template": f"{prefix}/{name}/", "href-vars": project_var,
                          **collection}
        else:
            collection = {"href": f"{prefix}/{name}/", **collection}
        resources[f"rel/{name}-collection"] = collection
    return {"resources": resources}


def _json_home(version: str):
    current_identity()
    return Response(json.dumps(home_document(version), indent=4), status=200,
                    mimetype="application/json-home")


@blp.route("", methods=["GET"])
@blp.doc(summary="JSON-home document advertising every v1 resource",
         responses={"200": {"description": "JSON-home (application/json-home)"}})
def home():
    return _json_home("v1")


def home_v2():
    return _json_home("v2")


def versions():
    v2 = dict(V2_VERSION, links=[{"href": request.host_url + "v2/", "rel": "self"}])
    return json_response({"versions": [v2, V1_VERSION]}, 300)


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
    app.add_url_rule("/v2", "v2_home", home_v2, methods=["GET"])
