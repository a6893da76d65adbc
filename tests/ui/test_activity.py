"""The fleet activity timeline: its data (JSON) computed from known runs, grouped by client,
with the planned runs of the next 24 hours on the same axis, scoped to the project; the
page draws the same bars as SVG with a per-client table behind it, the runs as lists in a
fragment of their own."""
import re

from app import clock
from app.services import activity
from tests.builders import ApiUser, client_body, job_body

MIDNIGHT = 1795737600  # 2026-11-27T00:00:00Z
NOW = MIDNIGHT + 7200  # 02:00


def _run(api, job_id, start, end=None, result="success"):
    clock.freeze(start)
    api.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running", "result": ""}})
    if end is not None:
        clock.freeze(end)
        api.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "scheduled", "result": result}})


def _fleet(alice):
    clock.freeze(MIDNIGHT - 3 * 86400)
    alice.post("/v1/clients/", client_body(client_id="proj_node1", hostname="node1"))
    alice.post("/v1/clients/", client_body(client_id="proj_node2", hostname="node2"))
    cron = {"schedule_hour": "3", "schedule_minute": "30"}
    a = alice.create("jobs", job_body(client_id="proj_node1", description="etc", schedule=cron))
    b = alice.create("jobs", job_body(client_id="proj_node2", description="db"))
    _run(alice, a, MIDNIGHT - 2 * 86400, MIDNIGHT - 2 * 86400 + 60)      # only in the 7 days
    _run(alice, a, MIDNIGHT, MIDNIGHT + 90)                              # success, 90 s
    _run(alice, a, MIDNIGHT + 3600, MIDNIGHT + 3900, "fail")             # fail, 5 min
    _run(alice, b, NOW - 600)                                            # still running
    clock.freeze(NOW)
    return a, b


def test_timeline_data_from_known_runs(ui, alice):
    a, b = _fleet(alice)
    data = ui.get("/activity/timeline.json").get_json()
    assert (data["start"], data["now"], data["end"]) == (
        "2026-11-26T02:00:00Z", "2026-11-27T02:00:00Z", "2026-11-28T02:00:00Z")
    rows = {row["hostname"]: row for row in data["clients"]}
    assert list(rows) == ["node1", "node2"]
    node1 = [(r["start"], r["end"], r["seconds"], r["result"], r["job_id"]) for r in rows["node1"]["runs"]]
    assert node1 == [("2026-11-27T00:00:00Z", "2026-11-27T00:01:30Z", 90, "success", a),
                     ("2026-11-27T01:00:00Z", "2026-11-27T01:05:00Z", 300, "fail", a)]
    running = rows["node2"]["runs"]
    assert [(r["start"], r["end"], r["result"]) for r in running] == [
        ("2026-11-27T01:50:00Z", "2026-11-27T02:00:00Z", "running")]
    assert data["counts"] == {"success": 1, "fail": 1, "running": 1}
    # the cron job's next 24 h: 03:30 today; the planned bar is as long as its average run
    planned = rows["node1"]["planned"]
    assert [p["start"] for p in planned] == ["2026-11-27T03:30:00Z"]
    assert data["next_run"]["job_id"] == a and data["next_run"]["start"] == "2026-11-27T03:30:00Z"
    week = ui.get("/activity/timeline.json?window=7d").get_json()
    assert week["start"] == "2026-11-20T02:00:00Z"
    week_node1 = [r["start"] for r in week["clients"][0]["runs"]]
    assert week_node1 == ["2026-11-25T00:00:00Z", "2026-11-27T00:00:00Z", "2026-11-27T01:00:00Z"]


def test_timeline_is_scoped_to_the_project(app, client, ui, alice):
    _fleet(alice)
    eve = ApiUser(client, "eve", project_id="other")
    eve.post("/v2/other/clients/", client_body(client_id="eve_host", hostname="evehost"))
    job = eve.post("/v2/other/jobs/", job_body(client_id="eve_host")).get_json()["job_id"]
    clock.freeze(NOW - 100)
    eve.patch(f"/v2/other/jobs/{job}", {"job_schedule": {"status": "running"}})
    clock.freeze(NOW)
    data = ui.get("/activity/timeline.json").get_json()
    assert "evehost" not in str(data) and job not in str(data)


def test_bars_beyond_the_cap_are_counted_not_drawn(ui, alice, monkeypatch):
    a, _ = _fleet(alice)
    monkeypatch.setattr(activity, "MAX_RUNS", 2)
    data = ui.get("/activity/timeline.json").get_json()
    drawn = sum(len(row["runs"]) for row in data["clients"])
    assert drawn == 2 and data["more_runs"] == 1
    # the newest are kept: the running one and the failed one
    assert {r["result"] for row in data["clients"] for r in row["runs"]} == {"running", "fail"}
    page = ui.get("/activity").text
    assert "1 more</strong> older run" in page


def test_the_page_draws_the_bars_with_tables_behind(ui, alice):
    a, b = _fleet(alice)
    page = ui.get("/activity")
    assert page.status_code == 200
    html = page.text
    svg = re.search(r'<svg id="timeline".*?</svg>', html, re.S).group(0)
    assert svg.count('class="bar success"') == 1 and svg.count('class="bar fail"') == 1
    assert svg.count('class="bar running"') == 1 and svg.count('class="bar planned"') == 1
    assert 'class="now"' in svg and ">node1<" in svg and ">node2<" in svg
    assert "style=" not in svg and "<script" not in html.split("</head>")[1]
    # the readable table behind the chart: per client, its bars by result and planned
    summary = re.search(r'<table class="striped" id="timeline-summary">.*?</table>', html,
                        re.S).group(0)
    cells = [re.findall(r"<td>(.*?)</td>", row) for row in
             re.findall(r'<tr><th scope="row">.*?</tr>', summary, re.S)]
    assert [c[:4] for c in cells] == [["1", "1", "0", "1"], ["0", "0", "1", "0"]]
    assert ">node1</a>" in summary and ">node2</a>" in summary
    assert 'data-countdown>in 1 h' in html  # 03:30 is 1 h 30 min away
    # the runs as a list: their own fragment, loaded on demand (a page of its own without htmx)
    assert 'id="timeline-runs"' not in html
    assert 'hx-get="/activity/lists?window=24h"' in html
    fragment = ui.get("/activity/lists", htmx=True).text
    assert "<html" not in fragment and fragment.count('id="timeline-lists"') == 1
    runs = re.search(r'<table class="striped" id="timeline-runs">.*?</table>', fragment,
                     re.S).group(0)
    assert runs.count("<tr>") == 4  # header + 3 runs
    assert f"/jobs/{a}?before=" in runs
    assert re.search(r'id="timeline-planned">.*?03:30', fragment, re.S)
    whole = ui.get("/activity/lists?window=7d").text
    assert "<html" in whole and "back to the timeline" in whole
    assert re.search(r'id="timeline-runs">.*?</table>', whole, re.S).group(0).count("<tr>") == 5


def test_the_lists_say_how_many_more_are_not_listed(ui, alice, monkeypatch):
    _fleet(alice)
    from app.ui import activity as activity_page
    monkeypatch.setattr(activity_page, "LIST_RUNS", 1)
    html = ui.get("/activity/lists").text
    assert "<strong>2 more</strong>, older runs in this window are not listed" in html


def test_runs_beyond_the_cap_are_counted_up_to_a_bound(ui, alice, monkeypatch):
    _fleet(alice)
    monkeypatch.setattr(activity, "MAX_RUNS", 1)
    monkeypatch.setattr(activity, "MAX_COUNTED", 1)
    data = ui.get("/activity/timeline.json").get_json()
    assert data["more_runs"] == 1 and data["more_runs_capped"] is True
    assert "<strong>1+ more</strong> older run" in ui.get("/activity").text


def test_the_empty_timeline_says_so(ui):
    clock.freeze(NOW)
    html = ui.get("/activity?window=7d").text
    assert '<svg id="timeline"' in html and "No run in this window and none planned" in html
    assert "No run is planned in the next 24 hours" in html
    data = ui.get("/activity/timeline.json?window=bogus").get_json()
    assert data["window"] == "24h" and data["clients"] == [] and data["next_run"] is None
