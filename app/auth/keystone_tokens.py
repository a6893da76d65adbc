"""AUTH_MODE=token: the piece of the Keystone v3 API the freezer clients need, so the `freezer`
CLI, the `openstack backup` plugin and freezer-scheduler (which always authenticate through
keystoneauth1 at OS_AUTH_URL) work against `make run` with an operator's API token and no
Keystone (docs/agents.md):

- `GET /identity`, `GET /identity/v3`: version discovery;
- `POST /identity/v3/auth/tokens`: method `token` with an API token (`--os-token`), or method
  `password` with an operator's username and one of their API tokens as the password
  (`OS_USERNAME` / `OS_PASSWORD`). The answer's `X-Subject-Token` is that same API token (no new
  secret: revoking it cuts the client off), the token body names the operator, their project
  and a catalog whose `backup` service is this server.

An operator's own sign-in password is never accepted here: it belongs to the dashboard, with
its throttle. Nothing else of Keystone exists (no validation route, no users, no trusts)."""
from datetime import timedelta

from flask import Blueprint, jsonify, request

from .. import clock

bp = Blueprint("keystone_tokens", __name__, url_prefix="/identity")

#: keystoneauth1 re-authenticates shortly before this; each time it gets the same API token
LIFETIME = timedelta(hours=12)
DOMAIN = {"id": "default", "name": "Default"}
STAMP = "%Y-%m-%dT%H:%M:%S.000000Z"


def _version():
    return {"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
            "links": [{"rel": "self", "href": request.host_url + "identity/v3/"}],
            "media-types": [{"base": "application/json",
                             "type": "application/vnd.openstack.identity-v3+json"}]}


@bp.get("")
@bp.get("/")
def versions():
    return jsonify({"versions": {"values": [_version()]}}), 300


@bp.get("/v3")
@bp.get("/v3/")
def version():
    return jsonify({"version": _version()})


def _unauthorized(message="The request you have made requires authentication."):
    response = jsonify({"error": {"code": 401, "title": "Unauthorized", "message": message}})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = f'Keystone uri="{request.host_url}identity/v3"'
    return response


def project_of(user) -> str:
    """The project an operator's agents work in (the account's, else their own owner id)."""
    return getattr(user, "project_id", None) or user.user_id


def _catalog():
    def service(kind, name, url):
        return {"id": kind, "type": kind, "name": name,
                "endpoints": [{"id": f"{kind}-{i}", "interface": i, "region": "RegionOne",
                               "region_id": "RegionOne", "url": url}
                              for i in ("public", "internal", "admin")]}
    root = request.host_url.rstrip("/")
    return [service("backup", "freezer", root), service("identity", "keystone",
                                                        root + "/identity/v3")]


def _caller(identity: dict):
    """((api token row, operator) or None, the API token given) for the request's identity."""
    from .identity import check_token
    methods = identity.get("methods") if isinstance(identity.get("methods"), list) else []
    if "token" in methods:
        token = identity.get("token")
        plain = token.get("id") if isinstance(token, dict) else None
    elif "password" in methods:
        given = identity.get("password")
        user = given.get("user") if isinstance(given, dict) else None
        plain = user.get("password") if isinstance(user, dict) else None
    else:
        return None, None
    found = check_token(plain) if isinstance(plain, str) else None
    if found is not None and "token" not in methods:
        named = user.get("name") or user.get("id")
        if named not in (found[1].username, found[1].user_id):
            return None, None  # the token must be one of the named operator's
    return found, plain


@bp.post("/v3/auth/tokens")
def issue():
    body = request.get_json(force=True, silent=True)
    auth = body.get("auth") if isinstance(body, dict) else None
    identity = auth.get("identity") if isinstance(auth, dict) else None
    if not isinstance(identity, dict):
        return _unauthorized("Expecting auth.identity in the request body.")
    found, plain = _caller(identity)
    if found is None:
        return _unauthorized()
    user = found[1]
    project = project_of(user)
    scope = auth.get("scope")
    wanted = scope.get("project") if isinstance(scope, dict) else None
    if isinstance(wanted, dict) and (wanted.get("id") or wanted.get("name")) not in (None, project):
        return _unauthorized(f"The operator works in project {project} only.")
    now = clock.utcnow()
    roles = ("admin", "member", "reader") if user.is_admin else ("member", "reader")
    response = jsonify({"token": {
        "methods": [m for m in identity["methods"] if m in ("token", "password")],
        "issued_at": now.strftime(STAMP), "expires_at": (now + LIFETIME).strftime(STAMP),
        "user": {"id": user.user_id, "name": user.username, "domain": DOMAIN,
                 "password_expires_at": None},
        "project": {"id": project, "name": project, "domain": DOMAIN},
        "roles": [{"id": r, "name": r} for r in roles],
        "catalog": _catalog(), "audit_ids": []}})
    response.status_code = 201
    response.headers["X-Subject-Token"] = plain
    return response


def init_app(app):
    if app.config["AUTH_MODE"] != "token":
        return  # keystone mode has a real Keystone; noauth needs no token
    from ..extensions import csrf
    csrf.exempt(bp)
    app.register_blueprint(bp)
