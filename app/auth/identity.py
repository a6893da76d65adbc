"""Who is calling: the one function every /v1 view asks (`current_identity`)."""
import re
from dataclasses import dataclass, field

from flask import request

from .. import context
from ..services.errors import TooManyRequests, Unauthorized
from ..services.scope import PROJECT_ID, Scope, per_user

_ID = re.compile(r"^[\w-]{1,255}$")


PRIVILEGED_ROLES = ("admin", "service")


@dataclass(frozen=True)
class Identity:
    user_id: str
    user_name: str | None = None
    roles: tuple = field(default_factory=tuple)
    #: the caller's project: the token's (keystone), the account's (token), X-Project-Id
    #: or the user id (noauth)
    project_id: str = ""

    def __post_init__(self):
        if not self.project_id:
            object.__setattr__(self, "project_id", self.user_id)

    @property
    def privileged(self) -> bool:
        """Admin or service: may address any project through v2 (DECISIONS.md)."""
        return any(role in PRIVILEGED_ROLES for role in self.roles)

    def user_scope(self) -> Scope:
        """What v1 reads and writes for this caller: its own documents."""
        return per_user(self.user_id, self.project_id, self.privileged)


def _roles() -> tuple:
    return tuple(r.strip().lower() for r in request.headers.get("X-Roles", "").split(",")
                 if r.strip())


def _project(default: str) -> str:
    """X-Project-Id when it is a clean id; absent, the default (a malformed one is
    refused later, when a v2 path names a project)."""
    project_id = (request.headers.get("X-Project-Id")
                  or request.headers.get("X-Tenant-Id") or "").strip()
    return project_id if PROJECT_ID.fullmatch(project_id) else default


def _noauth() -> Identity | None:
    """Development and tests only: the caller says who it is."""
    user_id = request.headers.get("X-User-Id", "").strip()
    if not _ID.fullmatch(user_id):
        return None
    return Identity(user_id, request.headers.get("X-User-Name") or None, _roles(),
                    _project(user_id))


def _bearer() -> str | None:
    headers = context.current_request().headers
    token = headers.get("X-Auth-Token", "").strip()
    if token:
        return token
    scheme, _, value = headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def _token() -> Identity | None:
    """An API token issued to an operator: the agent acts as that operator."""
    found = check_token(_bearer())
    if found is None:
        return None
    user = found[1]
    return Identity(user.user_id, user.username, ("admin",) if user.is_admin else (),
                    user.project_id)


def check_token(plain: str | None):
    """(token row, operator) for a live API token, its use recorded; None for no token or a
    wrong one, which counts against the caller's address (429 past the limit). Every place
    that takes a token from a caller asks this: /v1 and the Keystone token route."""
    from . import throttle, tokens
    found = tokens.use(plain)
    if found is None and plain:
        _throttle_failed_token(throttle)
    return found


def _throttle_failed_token(throttle) -> None:
    """A wrong token counts against the caller's address; past API_TOKEN_LIMIT_PER_ADDRESS
    the answer is 429 (a right token is looked up first, so an agent is never refused
    for what another process at its address sends)."""
    counters = [throttle.Counter("api-token", request.remote_addr or "",
                                 "API_TOKEN_LIMIT_PER_ADDRESS")]
    wait = throttle.retry_after(counters)
    if wait is not None:
        raise TooManyRequests("Too many failed token checks from this address; retry later",
                              headers={"Retry-After": str(wait)})
    throttle.failed(counters)


def _keystone() -> Identity | None:
    """Behind keystonemiddleware's auth_token, which validates X-Auth-Token, strips any
    client-sent identity headers and sets these; trust nothing unless the request went
    through it (a WSGI environ key only app/auth/keystone.py sets) and it confirmed."""
    from .keystone import VALIDATED
    if request.environ.get(VALIDATED) is not True:
        return None
    if request.headers.get("X-Identity-Status") != "Confirmed":
        return None
    user_id = request.headers.get("X-User-Id", "").strip()
    if not _ID.fullmatch(user_id):
        return None
    return Identity(user_id, request.headers.get("X-User-Name") or None, _roles(),
                    _project(user_id))


RESOLVERS = {"noauth": _noauth, "token": _token, "keystone": _keystone}


_WHY = {
    "token": "Authentication required: send X-Auth-Token (or Authorization: Bearer) with a "
             "valid API token",
    "keystone": "Authentication required: the identity service did not confirm a token "
                "(X-Identity-Status is not Confirmed)",
    "noauth": "Authentication required: send X-User-Id (AUTH_MODE=noauth)",
}


def current_identity() -> Identity:
    # Cached on the request, not on `g`: an app context (and its `g`) can outlive one
    # request (pytest-flask keeps one per test), and the identity belongs to the request.
    environ = context.environ()
    cached = environ.get("freezer.identity")
    if cached is not None:
        return cached
    mode = context.config()["AUTH_MODE"]
    resolver = RESOLVERS.get(mode)
    identity = resolver() if resolver else None
    if identity is None:
        raise Unauthorized(_WHY[mode], headers={"WWW-Authenticate": 'Bearer realm="freezer"'})
    environ["freezer.identity"] = identity
    context.globals_().identity = identity
    return identity
