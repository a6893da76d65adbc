"""The v1 wire conventions in one place: the flask-smorest subclasses, JSON bodies read
whatever the Content-Type (GET included), limit/offset paging, the envelopes, ETags and the
OpenAPI description of the free-form Freezer documents."""
import json
import math

import marshmallow as ma
import orjson
from flask import Response, jsonify, request
from flask_smorest import Api, Blueprint
from webargs.flaskparser import FlaskParser

from .. import context
from ..services import search as search_dsl
from ..services.errors import BadRequest
from .versioning import current, splice

MAX_DEPTH = 64
MAX_OFFSET = 2**31 - 1


class MalformedJSON(BadRequest):
    title = "Malformed JSON"


class FreezerErrorSchema(ma.Schema):
    title = ma.fields.String(required=True)
    description = ma.fields.String()
    code = ma.fields.Integer()
    errors = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())


class FreezerApi(Api):
    ERROR_SCHEMA = FreezerErrorSchema

    def init_app(self, app, *args, **kwargs):
        # Documents come back with their keys in the order they were written (Flask 3
        # sorts JSON keys unless told otherwise; JSON_SORT_KEYS is no longer read).
        app.json.sort_keys = False
        super().init_app(app, *args, **kwargs)

    def _register_error_handlers(self):
        """app/errors.py answers every error of the app (JSON under /v1, HTML elsewhere)."""


class FreezerParser(FlaskParser):
    """webargs' parser, answering 400, and remembering query strings it has parsed.

    Agents send the same query strings constantly (every poll is `limit=10&offset=0`), and
    marshmallow's load of a list's 13 query fields cost about 60 us a request. What a query
    string parses to depends on nothing but the schema and the string, so a successful
    parse into plain values is kept (a bounded table, emptied when full) and each request
    gets its own copy; a refused one is parsed, and refused, every time."""

    DEFAULT_VALIDATION_STATUS = 400  # as the original and its clients expect, not 422
    QUERY_CACHE_MAX = 512
    _PLAIN = (str, int, float, bool, type(None))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._parsed_queries = {}

    def parse(self, argmap, req=None, *, location=None, validate=None, error_headers=None,
              **kwargs):
        if location not in ("query", "querystring") or not isinstance(argmap, ma.Schema) \
                or validate is not None or error_headers is not None:
            return super().parse(argmap, req, location=location, validate=validate,
                                 error_headers=error_headers, **kwargs)
        key = (argmap, location, tuple(sorted(kwargs.items(), key=repr)),
               (req or request).query_string)
        held = self._parsed_queries.get(key)
        if held is not None:
            return dict(held)
        parsed = super().parse(argmap, req, location=location, **kwargs)
        if isinstance(parsed, dict) and all(isinstance(v, self._PLAIN) for v in parsed.values()):
            if len(self._parsed_queries) >= self.QUERY_CACHE_MAX:
                self._parsed_queries.clear()
            self._parsed_queries[key] = dict(parsed)
        return parsed

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        """Hand the per-field messages to app/errors.py under `errors`, where it reads them
        (webargs' own abort calls them `messages`): 400 "Invalid parameter" naming the field."""
        from webargs.flaskparser import abort
        abort(error_status_code or self.DEFAULT_VALIDATION_STATUS, exc=error,
              errors=error.messages, messages=error.messages, schema=schema,
              headers=error_headers)


class FreezerBlueprint(Blueprint):
    ARGUMENTS_PARSER = FreezerParser()


class Both:
    """One view on the v1 and the v2 blueprint: the versions share every view and differ
    only in app/api/versioning.py's parameters. `v1_methods`/`v2_methods` narrow a route
    to what that version has (v2 adds a backup PATCH)."""

    def __init__(self, v1: FreezerBlueprint, v2: FreezerBlueprint):
        self.v1, self.v2 = v1, v2

    def route(self, rule, *, v1_methods=None, v2_methods=None, **options):
        def decorator(view):
            for blueprint, methods in ((self.v1, v1_methods), (self.v2, v2_methods)):
                narrowed = dict(options, methods=methods) if methods else options
                blueprint.route(rule, **narrowed)(view)
            return view
        return decorator

    def __getattr__(self, name):
        # arguments(), doc(), response(): decorators that only annotate the view
        return getattr(self.v1, name)


def _limit():
    return ma.fields.Integer(load_default=10, validate=ma.validate.Range(min=1, max=1000),
                             metadata={"description": "page size, 1 to 1000"})


class PageArgs(ma.Schema):
    """limit/offset paging: limit 1..1000, offset >= 0 (the document lists, whose order is
    creation order: a document created meanwhile goes to the end, never between pages)."""

    class Meta:
        unknown = ma.EXCLUDE

    limit = _limit()
    # bounded: a huge offset overflowed SQLite's 64-bit integer (500); 400 instead
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=MAX_OFFSET),
                               metadata={"description": "documents to skip"})


class KeysetArgs(ma.Schema):
    """Newest-first paging by a stable key: `before` is the key the previous page ended
    on (its `next_before`), so an entry recorded between two pages neither repeats nor
    pushes another out. An offset would do both, so it is refused rather than ignored."""

    class Meta:
        unknown = ma.EXCLUDE

    limit = _limit()
    before = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_OFFSET),
                               metadata={"description": "only entries older than this id "
                                                        "(the previous page's next_before)"})

    @ma.validates_schema(pass_original=True)
    def _no_offset(self, _data, original, **_kwargs):
        if "offset" in original:
            raise ma.ValidationError("not accepted here: page with before=<next_before>",
                                     "offset")


class ListArgs(PageArgs):
    """Paging and the common filters of the document lists."""

    q = ma.fields.String(metadata={"description": "case-insensitive text anywhere in the document"})


for _name in search_dsl.QUERY_FILTERS:
    ListArgs._declared_fields[_name] = ma.fields.String(
        metadata={"description": f"only documents whose {_name} equals this"})


def _depth(value, limit=MAX_DEPTH) -> int:
    stack, deepest = [(value, 1)], 0
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        if isinstance(node, dict):
            stack.extend((v, level + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, level + 1) for v in node)
    return deepest


def _not_json(name):
    """NaN and Infinity are not JSON (Python reads them): stored, they would make the
    document unreadable to the database's JSON functions and to strict clients."""
    raise ValueError(f"{name} is not a JSON value")


def _finite(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range for a JSON number")
    return value


#: json.loads with these hooks would build a decoder per call
_DECODER = json.JSONDecoder(parse_constant=_not_json, parse_float=_finite)


def request_json():
    """The request's JSON body, or None when there is none. Read whatever the
    Content-Type says: the 3.0.0 agent sends none, python-freezerclient sends GET bodies."""
    data = context.current_request().get_data(cache=True)
    if not data or not data.strip():
        return None
    try:
        # as json.loads reads bytes: UTF-8, -16 or -32, a UTF-8 BOM allowed
        value = _DECODER.decode(data.decode(json.detect_encoding(data), "surrogatepass"))
    except (ValueError, RecursionError) as exc:
        raise MalformedJSON(f"The request body is not valid JSON: {exc}") from None
    # walked only when it could be too deep: a value is at most one level deeper than the
    # containers it sits in, and every container opens with a bracket
    if data.count(b"{") + data.count(b"[") >= MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise BadRequest(f"The request body is nested more than {MAX_DEPTH} levels deep")
    # "\ud800" escapes (and encoded surrogates, which json reads with surrogatepass) decode
    # to lone surrogates, which no database can store as UTF-8: an ASCII body (UTF-8 or
    # plain; UTF-16 and UTF-32 have NULs) without a \u escape cannot hold one
    if not data.isascii() or b"\\u" in data or b"\x00" in data:
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise MalformedJSON("The request body holds an unpaired UTF-16 surrogate escape "
                                "(such as \\ud800): it is not valid Unicode text") from None
    return value


def search_from_request(args: dict) -> search_dsl.Search:
    return search_dsl.parse(request_json(), args)


def if_match() -> str | None:
    return context.current_request().headers.get("If-Match")


def json_response(payload, status=200, headers=None):
    response = jsonify(payload)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def etag(row) -> dict:
    return {"ETag": f'"{row.version}"'}


def listing(name: str, rows: list):
    """A page of stored documents (documents.list_texts), their text as stored (v2 adds
    `project_id` and the like, app/api/versioning.py)."""
    shown = current().text
    return _raw_json(f'{{"{name}":[{",".join(shown(row) for row in rows)}]}}')


def item(stored):
    """One stored document (documents.read) with `_version`, as the text stored plus that
    key: nothing decoded or encoded again. Documents never store `_version` (every write
    drops it); were one to, it is answered decoded, so the key is never doubled."""
    text, version = current().text(stored), stored.version
    if '"_version"' in text:
        doc = json.loads(text)
        doc["_version"] = version
        return json_response(doc, headers=etag(stored))
    return _raw_json(splice(text, "_version", version), headers=etag(stored))


def _raw_json(body: str, status=200, headers=None):
    return Response(body + "\n", status, headers, mimetype="application/json")


def _id_answer(payload: dict) -> str:
    """An id (and a version) as jsonify writes them (compact, keys in order), without its
    machinery: what every write answers, agents' reports included."""
    return orjson.dumps(payload, option=orjson.OPT_SORT_KEYS).decode()


def created(key: str, doc_id: str):
    return _raw_json(_id_answer({key: doc_id}), 201)


def written(key: str, row, status: int):
    """Answer to a replace (201) or a patch (200): the id and the new version."""
    return _raw_json(_id_answer({key: row.doc_id, "version": row.version}), status, etag(row))


def no_content():
    return "", 204


# --- OpenAPI description -----------------------------------------------------------------

def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def doc(*, body=None, responses=None, summary=None, description=None):
    """OpenAPI for a view whose body and answers are free-form Freezer documents
    (validated by app/services/schemas.py, not marshmallow)."""
    spec = {}
    if summary:
        spec["summary"] = summary
    if description:
        spec["description"] = description
    if body:
        spec["requestBody"] = {"required": True,
                               "content": {"application/json": {"schema": _schema(body)}}}
    if responses:
        spec["responses"] = {}
        for code, (text, schema) in responses.items():
            answer = {"description": text}
            if schema is not None:
                answer["content"] = {"application/json": {"schema": _schema(schema)}}
            spec["responses"][str(code)] = answer
    return spec


def _schema(value):
    return ref(value) if isinstance(value, str) else value


def envelope(name: str, item_schema: str) -> dict:
    return {"type": "object", "required": [name],
            "properties": {name: {"type": "array", "items": ref(item_schema)}}}


def id_answer(key: str, with_version=False) -> dict:
    props = {key: {"type": "string"}}
    if with_version:
        props["version"] = {"type": "integer"}
    return {"type": "object", "required": list(props), "properties": props}


ERROR = "FreezerError"
#: the answer of every view that honours If-Match (app/services/documents.check_if_match)
PRECONDITION = {412: ("If-Match names another version", ERROR)}
COMMON_ERRORS = {400: ("Bad input: the description says what and where", ERROR),
                 401: ("No valid credentials", ERROR)}
