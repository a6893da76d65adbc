"""Hostile input: schemathesis generates requests from /v1/openapi.json (which describes /v1
and /v2/{project_id}), valid and invalid, sent with a real API token; on /v2 the path's
project is the caller's own (another project's answers 403, tested in tests/api). Every answer must be non-5xx, have a documented status code
and content type, and match its documented schema; invalid requests must be refused and
valid ones accepted. Bounded (MAX_EXAMPLES per operation and mode) so CI stays fast."""
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

# CI runs the same examples every time (derandomised), so a red run is reproducible and
# never a coin toss; `SCHEMATHESIS_RANDOM=1 SCHEMATHESIS_EXAMPLES=200 pytest ...` explores.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))
DERANDOMIZE = os.environ.get("SCHEMATHESIS_RANDOM", "") != "1"

# Bodies whose validity also depends on rules a JSON schema cannot state (a schedule must be
# one the freezer scheduler can run; a session's `jobs` may only name its member jobs):
# for these, a 400 to a schema-valid body is correct, so only the acceptance check is off.
SEMANTIC_BODIES = {(method, prefix + path) for prefix in ("/v1", "/v2/{project_id}")
                   for method, path in [("POST", "/jobs"), ("POST", "/jobs/{job_id}"),
                                        ("PATCH", "/jobs/{job_id}"), ("POST", "/sessions"),
                                        ("POST", "/sessions/{session_id}"),
                                        ("PATCH", "/sessions/{session_id}")]}
PROJECT = "mallory"  # the api_headers operator's own project (accounts.create's default)


@pytest.fixture
def app_config():
    # schemathesis also sends each operation with wrong credentials, hundreds of times from
    # one address: past the per-address throttle (tests/security) those answer 429
    return {"AUTH_MODE": "token", "API_TOKEN_LIMIT_PER_ADDRESS": "100000 per minute"}


@pytest.mark.parametrize("version", ["/v1/", "/v2/"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_answers_within_its_contract(app, api_headers, mode, version):
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", app)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(version):
            continue
        if mode is GenerationMode.NEGATIVE and not _has_input(operation):
            continue  # a bare string path parameter cannot be made invalid
        excluded = [positive_data_acceptance] \
            if (operation.method.upper(), operation.path) in SEMANTIC_BODIES else []

        fixed = {"project_id": PROJECT} if "{project_id}" in operation.path else None

        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=api_headers, excluded_checks=excluded)

        try:
            check()
        except Unsatisfiable:
            continue
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect them all
            failures.append(f"{operation.method.upper()} {operation.path}: {_describe(exc)}")
    assert not failures, "\n\n".join(failures)


def _has_input(operation) -> bool:
    definition = operation.definition.raw
    return "requestBody" in definition or any(
        p.get("in") == "query" for p in definition.get("parameters", []))


def _describe(exc) -> str:
    return "\n".join([str(exc)] + [str(sub) for sub in getattr(exc, "exceptions", ())])
