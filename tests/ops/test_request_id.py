"""x-openstack-request-id on every response, echoed or generated, and in the log lines."""
import logging
import re

import pytest

from app.ops.request_id import LOG_FORMAT, RequestIdFilter

GENERATED = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.mark.parametrize("path", ["/v1/jobs", "/v1/nothing-here", "/healthz", "/"])
def test_a_request_id_is_generated_when_absent(alice, path):
    response = alice.get(path)
    assert GENERATED.match(response.headers["x-openstack-request-id"])


def test_each_request_gets_its_own(alice):
    ids = {alice.get("/v1/jobs").headers["x-openstack-request-id"] for _ in range(3)}
    assert len(ids) == 3


@pytest.mark.parametrize("sent, echoed", [
    ("req-5f0c7d1e-8b7a-4a53-9a3e-0d9b8a1c2e3f", "req-5f0c7d1e-8b7a-4a53-9a3e-0d9b8a1c2e3f"),
    ("trace-42", "req-trace-42"),
])
def test_the_callers_request_id_is_echoed(alice, sent, echoed):
    response = alice.get("/v1/jobs", headers={"X-OpenStack-Request-ID": sent})
    assert response.headers["x-openstack-request-id"] == echoed


@pytest.mark.parametrize("sent", ["a b", "x" * 300, "<script>", "req-1\tinjected"])
def test_an_unsafe_request_id_is_replaced(alice, sent):
    response = alice.get("/v1/jobs", headers={"X-OpenStack-Request-ID": sent})
    assert GENERATED.match(response.headers["x-openstack-request-id"])


def test_errors_replaced_after_the_view_still_carry_it(alice):
    response = alice.post("/v1/jobs/", raw="{not json")
    assert response.status_code == 400
    assert response.headers["x-openstack-request-id"].startswith("req-")


def test_log_lines_carry_the_request_id(app, alice):
    seen = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append(self.format(record))

    handler = Keep()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(LOG_FORMAT))

    @app.get("/_log_probe")
    def probe():
        logging.getLogger("app.probe").warning("probe line")
        return "ok"

    logger = logging.getLogger("app.probe")
    logger.addHandler(handler)
    try:
        response = alice.get("/_log_probe", headers={"X-OpenStack-Request-ID": "req-abc"})
    finally:
        logger.removeHandler(handler)
    assert response.headers["x-openstack-request-id"] == "req-abc"
    assert any("[req-abc] probe line" in line for line in seen)


def test_log_lines_outside_a_request_carry_a_dash():
    record = logging.makeLogRecord({"msg": "outside"})
    assert RequestIdFilter().filter(record) and record.request_id == "-"
