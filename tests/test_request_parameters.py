"""request.args and request.form answer `get` as werkzeug's MultiDict does (app/__init__.py
`_Parameters`, which only skips werkzeug's raise-and-catch for an absent key)."""
from werkzeug.datastructures import ImmutableMultiDict

from app import _Parameters


def test_get_answers_as_werkzeugs_multidict():
    pairs = [("limit", "5"), ("tag", "a"), ("tag", "b"), ("empty", ""), ("n", "x")]
    ours, theirs = _Parameters(pairs), ImmutableMultiDict(pairs)
    for key in ("limit", "tag", "empty", "n", "absent"):
        assert ours.get(key) == theirs.get(key)
        assert ours.get(key, "dflt") == theirs.get(key, "dflt")
        assert ours.get(key, -1, type=int) == theirs.get(key, -1, type=int)
        assert ours.getlist(key) == theirs.getlist(key)
    assert ours.get("tag") == "a" and ours.get("absent") is None


def test_the_app_parses_query_and_form_with_it(app):
    with app.test_request_context("/v1/jobs?limit=3&limit=4", method="POST", data={"f": "1"}):
        from flask import request
        assert isinstance(request.args, _Parameters) and isinstance(request.form, _Parameters)
        assert request.args.get("limit") == "3" and request.args.get("offset") is None
        assert request.form.get("f") == "1"
