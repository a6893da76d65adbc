"""A stub Keystone v3 of the tests' own: just what keystoneauth1 (the freezer clients) and
keystonemiddleware's auth_token (our server in AUTH_MODE=keystone) ask of Keystone.

- `GET /`, `GET /v3`: version discovery;
- `POST /v3/auth/tokens`: password or token authentication, scoped to a project by id or
  by name (or the user's default project), answering `X-Subject-Token` and a token body
  with roles and a catalog (`backup` = our server, `identity` = this stub);
- `GET /v3/auth/tokens`: validation of `X-Subject-Token` (what auth_token calls, with its
  own service token in `X-Auth-Token`); 404 for a token it never issued.

Users are given at construction; every issued token is remembered in memory."""
import datetime
import json
import secrets
import threading
import uuid

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

DOMAIN = {"id": "default", "name": "Default"}


class User:
    def __init__(self, name, password, project_id, project_name=None, roles=("member", "reader"),
                 user_id=None):
        self.name = name
        self.password = password
        self.id = user_id or uuid.uuid5(uuid.NAMESPACE_URL, "user:" + name).hex
        self.project = {"id": project_id, "name": project_name or project_id, "domain": DOMAIN}
        self.roles = list(roles)


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # `requests` above is the record
        pass


class StubKeystone:
    def __init__(self, users, backup_url=None, host="127.0.0.1", port=0):
        self.users = {u.name: u for u in users}
        self.backup_url = backup_url  # set later when the server's port is known
        self.tokens = {}  # token id -> (user, project)
        self.requests = []  # (method, path, status) of every call, for the tests' asserts
        self._lock = threading.Lock()
        self._server = make_server(host, port, self._wsgi, threaded=True,
                                   request_handler=_Quiet)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- lifecycle -------------------------------------------------------------------
    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(10)
        self._server.server_close()

    def issue(self, name, project_id=None) -> str:
        """A token for a user, as if it had authenticated (for tests that need one)."""
        user = self.users[name]
        return self._issue(user, self._project(user, project_id))

    # -- documents -------------------------------------------------------------------
    def _version(self):
        return {"id": "v3.14", "status": "stable", "updated": "2020-04-07T00:00:00Z",
                "links": [{"rel": "self", "href": self.url + "/v3/"}],
                "media-types": [{"base": "application/json",
                                 "type": "application/vnd.openstack.identity-v3+json"}]}

    def _catalog(self):
        def service(kind, name, url):
            return {"id": uuid.uuid5(uuid.NAMESPACE_URL, kind).hex, "type": kind, "name": name,
                    "endpoints": [{"id": uuid.uuid5(uuid.NAMESPACE_URL, kind + i).hex,
                                   "interface": i, "region": "RegionOne",
                                   "region_id": "RegionOne", "url": url}
                                  for i in ("public", "internal", "admin")]}
        catalog = [service("identity", "keystone", self.url + "/v3")]
        if self.backup_url:
            catalog.append(service("backup", "freezer", self.backup_url))
        return catalog

    def _token_body(self, user, project, methods):
        now = datetime.datetime.now(datetime.timezone.utc)
        stamp = "%Y-%m-%dT%H:%M:%S.000000Z"
        return {"token": {
            "methods": methods, "issued_at": now.strftime(stamp),
            "expires_at": (now + datetime.timedelta(hours=2)).strftime(stamp),
            "user": {"id": user.id, "name": user.name, "domain": DOMAIN,
                     "password_expires_at": None},
            "project": project,
            "roles": [{"id": uuid.uuid5(uuid.NAMESPACE_URL, r).hex, "name": r}
                      for r in user.roles],
            "catalog": self._catalog(), "audit_ids": [secrets.token_hex(8)]}}

    def _project(self, user, project_id=None, project_name=None):
        if project_id in (None, user.project["id"]) and project_name in (None, user.project["name"]):
            return user.project
        return None  # this stub gives each user exactly one project

    def _issue(self, user, project):
        token = secrets.token_hex(16)
        with self._lock:
            self.tokens[token] = (user, project)
        return token

    # -- HTTP ------------------------------------------------------------------------
    def _wsgi(self, environ, start_response):
        request = Request(environ)
        response = self._route(request)
        with self._lock:
            self.requests.append((request.method, request.path, response.status_code))
        return response(environ, start_response)

    @staticmethod
    def _json(body, status=200, headers=None):
        return Response(json.dumps(body), status=status, headers=headers,
                        content_type="application/json")

    def _error(self, status, message):
        return self._json({"error": {"code": status, "message": message,
                                     "title": "Unauthorized" if status == 401 else "Not Found"}},
                          status, {"WWW-Authenticate": f'Keystone uri="{self.url}"'}
                          if status == 401 else None)

    def _route(self, request):
        path = request.path.rstrip("/")
        if path == "" and request.method == "GET":
            return self._json({"versions": {"values": [self._version()]}}, 300)
        if path == "/v3" and request.method == "GET":
            return self._json({"version": self._version()})
        if path == "/v3/auth/tokens" and request.method == "POST":
            return self._authenticate(request.get_json(force=True, silent=True) or {})
        if path == "/v3/auth/tokens" and request.method in ("GET", "HEAD"):
            return self._validate(request)
        return self._error(404, f"The resource could not be found: {request.path}")

    def _authenticate(self, body):
        identity = body.get("auth", {}).get("identity", {})
        methods = identity.get("methods") or []
        user = None
        if "password" in methods:
            given = identity.get("password", {}).get("user", {})
            user = self.users.get(given.get("name")) or next(
                (u for u in self.users.values() if u.id == given.get("id")), None)
            if user is None or given.get("password") != user.password:
                return self._error(401, "The request you have made requires authentication.")
        elif "token" in methods:
            with self._lock:
                known = self.tokens.get(identity.get("token", {}).get("id"))
            if known is None:
                return self._error(401, "The request you have made requires authentication.")
            user = known[0]
        else:
            return self._error(401, "Unsupported authentication method.")
        scope = body.get("auth", {}).get("scope", {}).get("project", {})
        project = self._project(user, scope.get("id"), scope.get("name"))
        if project is None:
            return self._error(401, "The user has no role on the requested project.")
        token = self._issue(user, project)
        return self._json(self._token_body(user, project, methods), 201,
                          {"X-Subject-Token": token})

    def _validate(self, request):
        with self._lock:
            caller = self.tokens.get(request.headers.get("X-Auth-Token"))
            subject = self.tokens.get(request.headers.get("X-Subject-Token"))
        if caller is None:
            return self._error(401, "The request you have made requires authentication.")
        if subject is None:
            return self._error(404, "Could not find token.")
        return self._json(self._token_body(*subject, ["password"]), 200,
                          {"X-Subject-Token": request.headers["X-Subject-Token"]})
