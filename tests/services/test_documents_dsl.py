"""The pure parts of the foundation: the recursive merge of PATCH and the search DSL's
parsing (what SQL it becomes is tested through the API in tests/api/test_search.py)."""
import pytest

from app.services import search
from app.services.errors import BadRequest
from app.services.merge import deep_merge


def test_deep_merge_merges_objects_and_replaces_everything_else():
    old = {"job_schedule": {"status": "scheduled", "event": "start", "schedule_interval": "1 days"},
           "job_actions": [{"a": 1}, {"b": 2}], "description": "x", "session_tag": 3}
    patch = {"job_schedule": {"status": "running", "result": ""}, "job_actions": [{"c": 3}],
             "description": None}
    merged = deep_merge(old, patch)
    assert merged == {"job_schedule": {"status": "running", "event": "start",
                                       "schedule_interval": "1 days", "result": ""},
                      "job_actions": [{"c": 3}], "description": None, "session_tag": 3}
    assert old["job_schedule"]["status"] == "scheduled"  # inputs untouched


def test_deep_merge_an_object_replaces_a_scalar_and_back():
    assert deep_merge({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}
    assert deep_merge({"a": {"b": 2}}, {"a": 1}) == {"a": 1}
    merged = deep_merge({"a": {"b": {"c": 1, "d": 2}}}, {"a": {"b": {"c": 9}}})
    assert merged == {"a": {"b": {"c": 9, "d": 2}}}


def test_deep_merge_copies_every_value_exactly_and_privately():
    """Integers beyond 64 bits, floats, -0.0 and a lone surrogate come back as they went
    in (no integer read back as a float), and nothing of either argument is shared."""
    old = {"a": {"big": 2**70, "u64": 2**64 - 1, "f": 0.1, "neg": -0.0, "s": "\ud800"},
           "keep": [{"n": 1}]}
    patch = {"a": {"bigger": -(2**80), "e": 1e-7}, "l": [{"m": 2.5}]}
    merged = deep_merge(old, patch)
    assert merged["a"] == {"big": 2**70, "u64": 2**64 - 1, "f": 0.1, "neg": -0.0,
                           "s": "\ud800", "bigger": -(2**80), "e": 1e-7}
    assert all(type(v) is int for v in (merged["a"]["big"], merged["a"]["bigger"]))
    assert str(merged["a"]["neg"]) == "-0.0"
    merged["keep"][0]["n"] = 9
    merged["l"][0]["m"] = 9
    assert old["keep"][0]["n"] == 1 and patch["l"][0]["m"] == 2.5


def test_parse_the_schedulers_poll():
    parsed = search.parse({"match_not": [{"status": "completed"}],
                           "match": [{"client_id": "proj_node1"}]})
    assert parsed.match == [("client_id", "proj_node1")]
    assert parsed.match_not == [("status", "completed")]
    assert parsed.text == [] and parsed.time_after is None


def test_parse_all_as_a_json_list_or_as_text():
    parsed = search.parse({"match": [{"_all": '[{"client_id": "n1"}, {"status": "completed"}]'}]})
    assert parsed.match == [("client_id", "n1"), ("status", "completed")]
    assert search.parse({"match": [{"_all": "Nightly"}]}).text == ["Nightly"]
    assert search.parse({"match": [{"_all": '{"k": "v"}'}]}).text == ['{"k": "v"}']
    assert search.parse({"match": [{"_all": ""}]}).text == []


def test_parse_query_string_filters_and_times():
    parsed = search.parse(None, {"client_id": "n1", "status": "running", "q": "data",
                                 "limit": "10", "time_after": "5"})
    assert parsed.match == [("client_id", "n1"), ("status", "running")]
    assert parsed.text == ["data"] and parsed.time_after == 5


@pytest.mark.parametrize("body", ["text", [{"match": []}], {"match": {"a": [1]}},
                                  {"match": ["a"]}, {"match": [{"a.": 1}]},
                                  {"match": [{"$.a": 1}]}, {"time_before": True},
                                  {"time_after": "soon"}])
def test_parse_refuses_what_is_not_the_dsl(body):
    with pytest.raises(BadRequest):
        search.parse(body)


def test_parse_accepts_a_single_object_for_match():
    assert search.parse({"match": {"status": "stop"}}).match == [("status", "stop")]
