"""History at a glance (issue 17): the JSON behind each chart, computed from known runs and
backups, and the pages that draw it (SVG with a table of its figures)."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from app import clock
from app.extensions import db
from app.models.run import Run
from tests.builders import backup_body, client_body, job_body

NOW = 1795744800  # 2026-11-27T02:00:00Z
DAY = 86400


def at(seconds_ago: float) -> datetime:
    return datetime.fromtimestamp(NOW - seconds_ago, timezone.utc).replace(tzinfo=None)


def add_run(app, job_id, ago, seconds, result, sizes=None, client_id="proj_node1"):
    """A run that started `ago` seconds before NOW and lasted `seconds` (None: still open)."""
    with app.app_context():
        backups = [{"backup_id": f"b{ago}", "backup_size_compressed": sizes[0],
                    "backup_size_uncompressed": sizes[1]}] if sizes else []
        db.session.add(Run(user_id="alice", project_id="alice", job_id=job_id,
                           client_id=client_id, started_at=at(ago),
                           ended_at=at(ago - seconds) if seconds is not None else None,
                           result=result, backup_count=len(backups), backups=backups,
                           backup_size_compressed=sizes[0] if sizes else None,
                           backup_size_uncompressed=sizes[1] if sizes else None))
        db.session.commit()


@pytest.fixture
def frozen():
    clock.freeze(NOW)


@pytest.fixture
def job(alice, frozen):
    return alice.create("jobs", job_body(description="nightly etc"))


def test_job_history_json_durations_sizes_failures_average_trend(app, ui, alice, job):
    add_run(app, job, 40 * DAY, 999, "success")          # older than 30 days: left out
    add_run(app, job, 3 * DAY, 100, "success", (10, 40))
    add_run(app, job, 2 * DAY, 200, "fail")
    add_run(app, job, 1 * DAY, 300, "success", (30, 90))
    add_run(app, job, 600, None, None)                    # running now
    data = ui.get(f"/jobs/{job}/history.json").get_json()
    assert data["count"] == 4 and data["failed"] == 1 and data["days"] == 30
    assert [r["duration"] for r in data["runs"]] == [100, 200, 300, None]
    assert [r["result"] for r in data["runs"]] == ["success", "fail", "success", "running"]
    assert [r["failed"] for r in data["runs"]] == [False, True, False, False]
    assert [r["backup_size_compressed"] for r in data["runs"]] == [10, None, 30, None]
    assert data["duration"]["average"] == 200.0
    assert data["duration"]["trend_per_run"] == pytest.approx(100.0)  # +100 s a run
    # sizes of the 1st and 3rd run (the others reported none): +10 MB a run
    assert data["size"]["average"] == 20.0 and data["size"]["trend_per_run"] == pytest.approx(10.0)
    assert data["success_rate"] == pytest.approx(2 / 3, abs=1e-4)
    page = ui.get(f"/jobs/{job}").text
    assert '<svg id="chart-duration"' in page and '<svg id="chart-size"' in page
    assert "&lt;time" not in page  # chart labels and table cells: plain text, no markup
    duration = page[page.index('<svg id="chart-duration"'):page.index('<svg id="chart-size"')]
    assert duration.count('class="point bad"') == 1 and duration.count('class="point ok"') == 2
    page = re.sub(r"\s+", " ", page)
    assert "4 runs, 1 failed, 67 % succeeded" in page
    assert "average 200 s, trend +100.0 s a run" in page
    table = page[page.index('id="job-history-table"'):]
    assert "<td>fail</td><td>200 s</td>" in table and "<td>30 MB</td><td>90 MB</td>" in table


def test_job_history_empty(ui, job):
    data = ui.get(f"/jobs/{job}/history.json").get_json()
    assert data["runs"] == [] and data["duration"]["average"] is None
    assert "No run in the last 30 days" in ui.get(f"/jobs/{job}").text
    assert ui.get("/jobs/nope/history.json").status_code == 404


def test_job_history_is_the_last_100_runs(app, ui, job):
    with app.app_context():
        for n in range(105):
            db.session.add(Run(user_id="alice", project_id="alice", job_id=job,
                               started_at=at((200 - n) * 3600), ended_at=at((200 - n) * 3600 - 60),
                               result="success", backup_count=0, backups=[]))
        db.session.commit()
    data = ui.get(f"/jobs/{job}/history.json").get_json()
    assert data["count"] == 100  # the 5 oldest left out
    assert data["runs"][0]["started_at"] == "2026-11-18T23:00:00Z"
    assert data["runs"][-1]["started_at"] == "2026-11-23T02:00:00Z"


def test_jobs_list_sparkline_and_marks(app, ui, alice, job):
    other = alice.create("jobs", job_body(description="never ran"))
    for n, result in enumerate(["fail", "success", "success", "fail", "success", "success"]):
        add_run(app, job, (10 - n) * 3600, 60, result)
    data = ui.get(f"/jobs/sparklines.json?job_id={job}&job_id={other}").get_json()
    # the success rate of the (up to) 5 runs up to each run
    assert data[job]["rates"] == [0, 0.5, 0.6667, 0.5, 0.6, 0.8]
    assert [m["result"] for m in data[job]["marks"]] == \
        ["fail", "success", "success", "fail", "success", "success"]
    assert data[job]["success_rate"] == pytest.approx(4 / 6, abs=1e-4)
    assert data[other] == {"rates": [], "marks": [], "success_rate": None, "runs": 0}
    listed = ui.get("/jobs").text
    row = listed[listed.index("nightly etc"):]
    row = row[:row.index("</tr>")]
    assert row.count('class="bar bad"') == 2 and row.count('class="bar ok"') == 4
    assert 'class="spark"' in row and "67 %" in row
    assert "no run yet" in listed[listed.index("never ran"):]
    # the column sits under its own header (a cell per header, in the same order)
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", listed[listed.index("<thead>"):listed.index("</thead>")])
    whole = listed[listed.index(f'<tr data-job-id="{job}"'):]
    cells = re.findall(r"<td( class=\"[^\"]*\")?>", whole[:whole.index("</tr>")])
    assert cells.index(' class="history-cell"') == headers.index("Recent runs")


def test_overview_figures_json_and_fragment(app, ui, alice, job):
    add_run(app, job, 2 * 3600, 60, "success")
    add_run(app, job, 3 * 3600, 60, "fail")
    add_run(app, job, 3 * DAY, 60, "success")
    add_run(app, job, 4 * DAY, 120, "fail")
    add_run(app, job, 9 * DAY, 60, "fail")   # outside both windows
    add_run(app, job, 60, None, None)        # running
    alice.post("/v1/backups/", backup_body(time_stamp=NOW - 3600, backup_size_compressed=10,
                                           backup_size_uncompressed=30))
    alice.post("/v1/backups/", backup_body(time_stamp=NOW - 1800, level=1,
                                           backup_size_compressed=2.5,
                                           backup_size_uncompressed=5))
    alice.post("/v1/backups/", backup_body(time_stamp=NOW - 2 * DAY, backup_name="db",
                                           backup_size_compressed=7))
    data = ui.get("/overview/figures.json").get_json()
    assert data["last_24h"] == {"hours": 24, "runs": 3, "running": 1, "success": 1, "fail": 1,
                                "aborted": 0, "unfinished": 0, "success_rate": 0.5}
    # both windows are counted in one pass: each keeps only its own runs
    assert data["last_7d"] == {"hours": 168, "runs": 5, "running": 1, "success": 2, "fail": 2,
                               "aborted": 0, "unfinished": 0, "success_rate": 0.5}
    days = data["backups_per_day"]
    assert len(days) == 14 and days[-1]["day"] == "2026-11-27"
    assert days[-1] == {"day": "2026-11-27", "backups": 2, "size_compressed": 12.5,
                        "size_uncompressed": 35.0}
    assert days[-3] == {"day": "2026-11-25", "backups": 1, "size_compressed": 7.0,
                        "size_uncompressed": 0.0}
    assert days[-2]["backups"] == 0
    assert sum(d["backups"] for d in days) == 3
    failed = data["failed_runs"]
    assert [f["failed_at"] for f in failed] == ["2026-11-26T23:01:00Z", "2026-11-23T02:02:00Z"]
    assert failed[0]["description"] == "nightly etc"
    fragment = ui.get("/", htmx=True).text
    assert fragment.lstrip().startswith('<section id="overview" hx-get="/" hx-trigger="every 30s"')
    assert '<article id="totals-last_24h"><span class="n">50 %</span>' in fragment
    assert '<span class="runs">5</span> runs' in fragment
    assert "2026-11-26 23:01:00 UTC" in fragment and '<svg id="chart-volume"' in fragment
    assert "<td>2026-11-27</td><td>2</td><td>12.5 MB</td><td>35 MB</td>" in fragment


def test_overview_empty(ui, frozen):
    fragment = ui.get("/", htmx=True).text
    assert '<article id="totals-last_24h"><span class="n">—</span>' in fragment
    assert "Nothing backed up in the last 14 days" in fragment
    assert "No run failed in the last 7 days" in fragment


def test_client_volume_last_success_and_silent(app, ui, alice, job):
    alice.post("/v1/clients", client_body())
    alice.post("/v1/clients", client_body(client_id="proj_node2", hostname="node2"))
    with app.app_context():
        from app.models import Client
        quiet = Client.query.filter_by(client_id="proj_node2").one()
        quiet.last_seen = at(3 * 3600)
        loud = Client.query.filter_by(client_id="proj_node1").one()
        loud.last_seen = at(60)
        db.session.commit()
    alice.patch(f"/v1/jobs/{job}", {"job_schedule": {"status": "running"}})
    alice.patch(f"/v1/jobs/{job}", {"job_schedule": {"status": "completed", "result": "success"}})
    for ago, size in ((3600, 4), (3 * DAY, 6), (40 * DAY, 100)):
        alice.post("/v1/backups/", backup_body(time_stamp=NOW - ago, backup_size_compressed=size))
    data = ui.get("/clients/proj_node1/history.json").get_json()
    assert data["last_success"] == "2026-11-27T02:00:00Z"
    assert len(data["volume"]) == 30 and data["total_compressed"] == 10.0
    assert data["total_backups"] == 2
    assert [d["size_compressed"] for d in data["volume"] if d["backups"]] == [6.0, 4.0]
    empty = ui.get("/clients/proj_node2/history.json").get_json()
    assert empty["last_success"] is None and empty["total_backups"] == 0
    listed = ui.get("/clients").text
    node2 = listed[listed.index(">node2<") - 200:]
    assert '<tr class="silent">' in node2[:300] and "badge silent" in node2[:400]
    assert 'title="<time' not in listed  # a time element is no attribute value
    node1 = listed[listed.index(">node1<"):listed.index(">node2<") - 200]
    assert "silent" not in node1 and '<svg id="volume-1" class="spark"' in node1
    page = ui.get("/clients/proj_node1").text
    assert '<svg id="chart-client-volume"' in page and "2 backups, 10 MB compressed" in page
    quiet_page = ui.get("/clients/proj_node2").text
    assert "silent for over 60 min" in quiet_page and "never: none of its jobs" in quiet_page
    assert "No backup size reported for node2" in quiet_page


def test_other_projects_history_is_not_shown(app, ui, bob, frozen):
    theirs = bob.create("jobs", job_body(description="bob's"))
    with app.app_context():
        db.session.add(Run(user_id="bob", project_id="bob", job_id=theirs, started_at=at(60),
                           ended_at=at(30), result="fail", backup_count=0, backups=[]))
        db.session.commit()
    bob.post("/v1/backups/", backup_body(time_stamp=NOW - 60, backup_size_compressed=5))
    assert ui.get(f"/jobs/{theirs}/history.json").status_code == 404
    data = ui.get("/overview/figures.json").get_json()
    assert data["last_24h"]["runs"] == 0 and data["failed_runs"] == []
    assert sum(d["backups"] for d in data["backups_per_day"]) == 0
    assert ui.get(f"/jobs/sparklines.json?job_id={theirs}").get_json()[theirs]["marks"] == []
    assert ui.get("/backups/sets.json").get_json()["sets"] == []
