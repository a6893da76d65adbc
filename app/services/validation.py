"""Schema validation with the original's messages: the description is the first error
(e.g. `'job_actions' is a required property`), `errors` names every bad field.

A document is first checked by a validator fastjsonschema compiled from the schema (a job
in 6 us, jsonschema's walk took 116): only a document it refuses is walked by jsonschema,
which names the problems. jsonschema stays the judge: what the compiled check refuses and
jsonschema accepts is accepted. The compiled check must never be looser; for JSON documents
both read draft 4 and the patterns as ECMA-262 does (a final `$` is the end of the text),
and tests/services/test_validation_fast.py holds them to the same verdicts."""
import copy
import re
from functools import lru_cache

import fastjsonschema
from jsonschema import Draft4Validator, ValidationError, validators

from .errors import BadRequest

_validators: dict[int, Draft4Validator] = {}  # by id: every schema is a module constant
_checks: dict[int, object] = {}  # the same schemas compiled by fastjsonschema
DRAFT4 = "http://json-schema.org/draft-04/schema#"


@lru_cache(maxsize=None)
def _ecma(pattern: str) -> re.Pattern:
    """A schema pattern as ECMA-262 (what the published schema means) reads it: a final `$`
    is the end of the text. Python's `$` also matches before a final line break, so
    `^[A-Za-z0-9_-]+$` let "job\\n" through as an id."""
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1] + r"\Z"
    return re.compile(pattern)


def _pattern(validator, pattern, instance, schema):
    if validator.is_type(instance, "string") and not _ecma(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = validators.extend(Draft4Validator, {"pattern": _pattern})
_REQUIRED = re.compile(r"^'(.+)' is a required property$")


def _validator(schema: dict) -> Draft4Validator:
    v = _validators.get(id(schema))
    if v is None:
        v = _validators[id(schema)] = _Validator(schema)
    return v


def _compiled(schema: dict):
    check = _checks.get(id(schema))
    if check is None:
        # draft 4 as jsonschema reads it (fastjsonschema's default is draft 7, whose
        # "integer" takes 1.0); no defaults written into the document; no format checks
        # (jsonschema makes none)
        check = _checks[id(schema)] = fastjsonschema.compile(
            dict(schema, **{"$schema": DRAFT4}), use_default=False, use_formats=False,
            detailed_exceptions=False)
    return check


def valid(schema: dict, doc) -> bool:
    """Whether `doc` passes the compiled check (True: jsonschema would find nothing)."""
    try:
        _compiled(schema)(doc)
    except fastjsonschema.JsonSchemaValueException:
        return False
    return True


def _field(error) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        m = _REQUIRED.match(error.message)
        if m:
            parts.append(m.group(1))
    return ".".join(parts) or "body"


def field_errors(schema: dict, doc) -> dict[str, str]:
    """Every problem with `doc`, as {dotted field: message}; empty when valid."""
    if valid(schema, doc):
        return {}
    errors = {}
    for error in sorted(_validator(schema).iter_errors(doc), key=lambda e: list(map(str, e.path))):
        errors.setdefault(_field(error), error.message.splitlines()[0])
    return errors


def validate(schema: dict, doc, what: str = "") -> None:
    errors = field_errors(schema, doc)
    if errors:
        field, message = next(iter(errors.items()))
        prefix = f"{what}: " if what else ""
        raise BadRequest(f"{prefix}{field}: {message}" if field != "body" else prefix + message,
                         errors=errors)


def require_object(body, what="request body") -> dict:
    """Bodies must be JSON objects; an empty one is 'Missing request body'."""
    if body is None or body == {}:
        raise BadRequest("Missing request body")
    if not isinstance(body, dict):
        raise BadRequest(f"The {what} must be a JSON object")
    return body


def body_copy(body, what: str, required: bool = False) -> dict:
    """A private copy of a JSON-object body to build a document from. `project_id: null` is
    dropped: upstream answered it, and agents and scripts echo documents back as fetched."""
    if required:
        body = require_object(body, what)
    elif body is None:
        body = {}
    elif not isinstance(body, dict):
        raise BadRequest(f"The {what} must be a JSON object")
    body = copy.deepcopy(body)
    if body.get("project_id", "") is None:
        body.pop("project_id")
    return body


def discard(schema: dict, body: dict, keys, what: str = "") -> None:
    """Drop the keys a body may carry but the server sets itself (ids, the owner,
    `_version`: clients echo documents back as fetched), after checking each against the
    schema: a value the server ignores must still be one it would accept, so
    `"session_id": "bad id!"` is 400 rather than silently dropped."""
    errors = {}
    for key in keys:
        if key not in body:
            continue
        value = body.pop(key)
        rule = schema["properties"].get(key)
        problem = next(iter(_validator(rule).iter_errors(value)), None) if rule else None
        if problem is not None:
            errors[key] = problem.message.splitlines()[0]
    if errors:
        key, message = next(iter(errors.items()))
        raise BadRequest(f"{what + ': ' if what else ''}{key}: {message}", errors=errors)
