"""How much work one request may ask for, whatever the route (/v1, /v2, the dashboard):
search items, actions per job, the size of a stored document. Beyond a limit the answer is
400 naming it; the limits are configuration (config.py, docs/security.md)."""

from flask import has_app_context

from .. import context

from ..models.types import dumps
from .errors import BadRequest

#: config.py's defaults, for code run outside an app (e.g. a unit test of the DSL)
DEFAULTS = {"SEARCH_MAX_ITEMS": 32, "JOB_MAX_ACTIONS": 50, "DOCUMENT_MAX_BYTES": 256 * 1024}


class LimitExceeded(BadRequest):
    title = "Request too large"


def _limit(name: str) -> int:
    config = context.config() if has_app_context() else {}
    return int(config.get(name, DEFAULTS[name]))


def check_search_items(count: int) -> None:
    """A search's match, match_not and text items, counted after `_all` lists are expanded
    (each item is a JSON walk of every candidate document in SQL)."""
    limit = _limit("SEARCH_MAX_ITEMS")
    if count > limit:
        raise LimitExceeded(f"The search has {count} items (match, match_not and text, "
                            f"after _all lists are expanded); at most {limit} are allowed "
                            "(SEARCH_MAX_ITEMS)", errors={"match": f"at most {limit} items"})


def check_job_actions(actions) -> None:
    limit = _limit("JOB_MAX_ACTIONS")
    if isinstance(actions, list) and len(actions) > limit:
        raise LimitExceeded(f"The job has {len(actions)} actions; at most {limit} are allowed "
                            "(JOB_MAX_ACTIONS)", errors={"job_actions": f"at most {limit}"})


def document_bytes(doc) -> int:
    """The stored size: the JSON text as app/models/types.py:JSONText writes it."""
    return len(dumps(doc).encode("utf-8"))


def check_document_bytes(size: int, what: str) -> None:
    limit = _limit("DOCUMENT_MAX_BYTES")
    if size > limit:
        raise LimitExceeded(f"The {what} would be stored as {size} bytes of JSON; at most "
                            f"{limit} are allowed (DOCUMENT_MAX_BYTES)",
                            errors={"body": f"at most {limit} bytes stored"})


def check_expansion(defaults, actions) -> None:
    """action_defaults are copied into every action: refuse before making the copies."""
    if isinstance(actions, list) and actions:
        check_document_bytes(document_bytes(defaults) * len(actions),
                             "job (action_defaults copied into every action)")
