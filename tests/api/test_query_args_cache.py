"""Query strings parsed once (app/api/conventions.py FreezerParser): the same string gets
the same arguments without marshmallow's load again, each request its own copy; a refused
one is refused every time; the table stays bounded."""
import pytest
from webargs.flaskparser import FlaskParser

from app.api import blp
from tests.builders import job_body

PARSER = blp.ARGUMENTS_PARSER


@pytest.fixture
def loads(monkeypatch):
    """How many times webargs really parsed a query (not answered from the table)."""
    PARSER._parsed_queries.clear()
    seen = []
    real = FlaskParser.parse

    def counted(self, argmap, req=None, **kwargs):
        seen.append(kwargs.get("location"))
        return real(self, argmap, req, **kwargs)

    monkeypatch.setattr(FlaskParser, "parse", counted)
    yield seen
    PARSER._parsed_queries.clear()


def test_the_same_query_string_is_parsed_once_and_answers_the_same(alice, loads):
    for _ in range(4):
        alice.create("jobs", job_body())
    for _ in range(3):
        assert len(alice.get("/v1/jobs/?limit=2&offset=0").get_json()["jobs"]) == 2
    assert loads.count("query") == 1
    assert len(alice.get("/v1/jobs/?limit=3&offset=0").get_json()["jobs"]) == 3
    assert len(alice.get("/v1/jobs/?limit=2&offset=2").get_json()["jobs"]) == 2
    assert len(alice.get("/v1/jobs/?limit=2&offset=0").get_json()["jobs"]) == 2
    assert loads.count("query") == 3


def test_a_refused_query_string_is_refused_every_time(alice, loads):
    for _ in range(2):
        r = alice.get("/v1/jobs/?limit=0")
        assert r.status_code == 400 and "limit" in r.get_json()["errors"], r.text
    assert loads.count("query") == 2


def test_each_request_gets_its_own_arguments(app, loads):
    from app.api.conventions import ListArgs
    args = ListArgs()
    with app.test_request_context("/v1/jobs?limit=5"):
        first = PARSER.parse(args, location="query")
        first["limit"] = 999  # a view changing its copy
        second = PARSER.parse(args, location="query")
    assert second["limit"] == 5 and second is not first
    assert loads.count("query") == 1


def test_the_table_stays_bounded(app, loads):
    from app.api.conventions import ListArgs
    args = ListArgs()
    for offset in range(PARSER.QUERY_CACHE_MAX + 20):
        with app.test_request_context(f"/v1/jobs?offset={offset}"):
            assert PARSER.parse(args, location="query")["offset"] == offset
    assert len(PARSER._parsed_queries) <= PARSER.QUERY_CACHE_MAX
