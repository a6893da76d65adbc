"""Times in the operator's own time zone, chosen once on the account (or the browser's,
stored on first visit), with the UTC time on hover; UTC until one is chosen."""
import re

from app import clock
from tests.builders import job_body

# 2026-11-27 00:00:00 UTC: 01:00 in Paris (CET), 19:00 the day before in New York (EST)
MIDNIGHT = 1795737600


def _one_run(alice):
    job_id = alice.create("jobs", job_body(description="nightly"))
    clock.freeze(MIDNIGHT)
    alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running", "result": ""}})
    clock.freeze(MIDNIGHT + 90)
    alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "scheduled", "result": "success"}})
    return job_id


def _times(html):
    return re.findall(r'<time datetime="([^"]+)" title="([^"]+)">([^<]+)</time>', html)


def test_times_are_utc_until_a_zone_is_chosen_then_local_with_utc_on_hover(ui, alice):
    job_id = _one_run(alice)
    before = _times(ui.get(f"/jobs/{job_id}").text)
    assert ("2026-11-27T00:00:00Z", "2026-11-27 00:00:00 UTC", "2026-11-27 00:00:00 UTC") in before
    page = ui.get("/account/time-zone")
    assert page.status_code == 200 and 'value="Europe/Paris"' in page.text
    saved = ui.post("/account/time-zone", {"time_zone": "Europe/Paris", "next": f"/jobs/{job_id}"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/jobs/{job_id}")
    html = ui.get(f"/jobs/{job_id}").text
    assert ("2026-11-27T00:00:00Z", "2026-11-27 00:00:00 UTC", "2026-11-27 01:00:00 CET") in _times(html)
    assert ("2026-11-27T00:01:30Z", "2026-11-27 00:01:30 UTC", "2026-11-27 01:01:30 CET") in _times(html)
    assert "Europe/Paris" in html  # the nav says which zone the times are in
    ui.post("/account/time-zone", {"time_zone": "America/New_York"})
    html = ui.get(f"/jobs/{job_id}").text
    assert ("2026-11-27T00:00:00Z", "2026-11-27 00:00:00 UTC", "2026-11-26 19:00:00 EST") in _times(html)


def test_an_unknown_zone_is_refused_beside_the_field_and_nothing_changes(ui, alice):
    job_id = _one_run(alice)
    refused = ui.post("/account/time-zone", {"time_zone": "Mars/Olympus_Mons"})
    assert refused.status_code == 400
    assert 'id="time_zone-error"' in refused.text and "not a known time zone" in refused.text
    assert "2026-11-27 00:00:00 UTC</time>" in ui.get(f"/jobs/{job_id}").text


def test_the_browsers_zone_is_stored_once_and_never_over_a_chosen_one(ui, alice):
    job_id = _one_run(alice)
    assert "data-detect-time-zone" in ui.get("/jobs").text
    assert ui.post("/account/time-zone", {"time_zone": "Asia/Tokyo", "detected": "1"}).status_code == 204
    html = ui.get(f"/jobs/{job_id}").text
    assert "2026-11-27 09:00:00 JST</time>" in html and "data-detect-time-zone" not in html
    # a later browser elsewhere does not override what is stored
    assert ui.post("/account/time-zone", {"time_zone": "Europe/Paris", "detected": "1"}).status_code == 204
    assert "2026-11-27 09:00:00 JST</time>" in ui.get(f"/jobs/{job_id}").text


def test_ago_says_when_on_hover(ui, alice):
    clock.freeze(MIDNIGHT + 3600)
    ui.post("/account/time-zone", {"time_zone": "Europe/Paris"})
    alice.create("clients", {"client_id": "proj_node1", "hostname": "node1"})
    html = ui.get("/clients").text
    stamps = [t for t in _times(html) if t[2] == "0 s ago"]
    assert stamps and stamps[0][1] == "2026-11-27 02:00:00 CET · 2026-11-27 01:00:00 UTC"
