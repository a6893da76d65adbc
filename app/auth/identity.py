"""Who is calling: the one function every /v1 view asks (`current_identity`)."""
import re
from dataclasses import dataclass, field

from flask import current_app, g, request

from ..services.errors import Unauthorized

_ID = re.compile(r"^[\w-]{1,255}$")


@dataclass(frozen=True)
class Identity:
    user_id: str
    user_name: str | None = None
    roles: tuple = field(default_factory=tuple)


def _noauth() -> Identity | None:
    """Development and tests only: the caller says who it is."""
    user_id = request.headers.get("X-User-Id", "").strip()
    if not _ID.match(user_id):
        return None
    return Identity(user_id, request.headers.get("X-User-Name") or None)


RESOLVERS = {"noauth": _noauth}


def current_identity() -> Identity:
    if "identity" in g:
        return g.identity
    mode = current_app.config["AUTH_MODE"]
    resolver = RESOLVERS.get(mode)
    identity = resolver() if resolver else None
    if identity is None:
        raise Unauthorized("Authentication required: send X-Auth-Token (or Authorization: "
                           "Bearer) with a valid API token",
                           headers={"WWW-Authenticate": 'Bearer realm="freezer"'})
    g.identity = identity
    return identity
