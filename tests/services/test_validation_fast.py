"""The compiled check (fastjsonschema) in front of jsonschema gives jsonschema's verdict on
every schema an API write is validated against: if it ever let through what jsonschema
refuses, a bad document would be stored; if it refused what jsonschema accepts, writes would
only be slower. Both are held to one verdict here, on documents made to sit at the edges
(patterns, draft 4's types, bounds, required and extra keys)."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.services import schemas, validation
from app.services.errors import BadRequest

SCHEMAS = {name: getattr(schemas, name) for name in (
    "JOB", "JOB_PATCH", "ACTION", "ACTION_PATCH", "SESSION", "SESSION_PATCH", "CLIENT_INFO",
    "CLIENT_PATCH", "BACKUP_METADATA", "BACKUP_METADATA_V2", "BACKUP_PATCH")}

# Strings at the patterns' edges: ids, host names, dates, intervals, years, with a final
# line break (Python's `$` would take it, ECMA-262's does not), control characters, empty,
# too long, non-ASCII.
_STRINGS = ["job-1", "a_b", "node1.example.org", "proj_node1.example", "2026-12-03T07:25:25Z",
            "2026-12-03T07:25:25.5+01:00", "1 days", "continuous", "2026", "fs", "backup",
            "running", "success", "", "job-1\n", "2026\n", "a\x00b", "tab\there", "é",
            "-x", "x" * 255, "x" * 256, "a b", "/srv/backups", "1 fortnights", "\u200b"]
_SCALARS = st.one_of(st.sampled_from(_STRINGS), st.text(max_size=8),
                     st.sampled_from([0, 1, -1, 1.0, 1.5, 2 ** 31, 2 ** 63, -2 ** 63 - 1,
                                      True, False, None]),
                     st.integers(), st.floats(allow_nan=False))
_TYPED = {"string": st.sampled_from(_STRINGS[:13]), "integer": st.integers(0, 10 ** 6),
          "number": st.floats(0, 1e6), "boolean": st.booleans()}
_JUNK = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(["a", "status", "mode"]),
                                                  inner, max_size=3)), max_leaves=6)


def _near(schema: dict, depth: int = 0):
    """Values that mostly follow `schema`, often wrong in one place."""
    schema = dict(schema)
    for part in schema.pop("allOf", []):
        schema.update(part)
    kind = schema.get("type")
    options = []
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"] + ["other", None]))
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        if props and depth < 3:
            required = [k for k in schema.get("required", []) if k in props]
            others = sorted(set(props) - set(required))
            keys = st.lists(st.sampled_from(others), unique=True, max_size=len(others)) \
                if others else st.just([])
            options.append(keys.flatmap(lambda chosen: st.fixed_dictionaries(
                {k: _near(props[k], depth + 1) for k in required + chosen},
                optional={"extra_key": _JUNK})))
        options.append(st.dictionaries(st.sampled_from(["a", "b"]), _JUNK, max_size=2))
    if kind == "array":
        options.append(st.lists(_near(schema.get("items", {}), depth + 1), max_size=3))
    typed = _TYPED.get(kind)
    if typed is not None:  # twice: most values are of the right type, many wrong anyway
        options += [typed, typed]
    if kind in ("string", "integer", "number", "boolean") or not options:
        options.append(_SCALARS)
    options.append(_JUNK)
    return st.one_of(options)


def _jsonschema_errors(schema, doc):
    return list(validation._validator(schema).iter_errors(doc))


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_the_compiled_check_gives_jsonschemas_verdict(name):
    schema = SCHEMAS[name]
    verdicts = set()

    @settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
    @given(_near(schema))
    def check(doc):
        verdict = validation.valid(schema, doc)
        assert verdict == (not _jsonschema_errors(schema, doc)), doc
        verdicts.add(verdict)

    check()
    assert verdicts == {True, False}  # the documents made fell on both sides


@pytest.mark.parametrize("doc", [
    {"job_schedule": {"status": "running"}, "client_id": "node1"},
    {"job_schedule": {"time_created": 1.0}},          # draft 4: 1.0 is not an integer
    {"job_schedule": {"time_created": True}},         # nor is true
    {"client_id": "node1\n"},                          # a final line break is not the end
    {"job_schedule": {"status": "runnin"}},
    {"job_actions": [{"max_retries": "3"}]},
    {"session_tag": 2 ** 70},
])
def test_known_edges(doc):
    schema = schemas.JOB_PATCH
    assert validation.valid(schema, doc) == (not _jsonschema_errors(schema, doc))


def test_a_refused_document_still_names_its_fields_in_the_originals_words():
    with pytest.raises(BadRequest) as raised:
        validation.validate(schemas.JOB, {"client_id": "node1\n", "job_schedule": {}})
    errors = raised.value.errors
    assert errors["client_id"] == ("'node1\\n' does not match "
                                   f"{schemas.JOB['properties']['client_id']['pattern']!r}")
    assert errors["job_actions"] == "'job_actions' is a required property"


def test_validating_writes_nothing_into_the_document():
    doc = {"job_id": "j1", "user_id": "u1", "client_id": "node1", "job_schedule": {},
           "job_actions": [{"freezer_action": {"action": "backup"}}]}
    before = repr(doc)
    assert validation.field_errors(schemas.JOB, doc) == {}
    assert repr(doc) == before
