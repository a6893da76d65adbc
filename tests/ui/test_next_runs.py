"""What the dashboard says about a job's next runs: only times the scheduler will keep, and
the reason when there are none."""
from app import clock
from tests.builders import job_body

NOW = 1795744800  # 2026-11-27T00:40:00Z


def test_interval_job_without_start_date_runs_at_next_poll_not_now(ui, alice):
    clock.freeze(NOW)
    waiting = alice.create("jobs", job_body(description="hourly, never run", schedule={
        "schedule_interval": "1 hours", "event": "start"}))
    page = ui.get(f"/jobs/{waiting}").text
    # 18.0.0 builds IntervalTrigger without a start date: it starts one interval later
    assert "first run one interval after the agent next polls" in page
    assert "2026-11-27 00:40" not in page and "Next runs:" not in page
    panel = ui.get("/overview/attention", htmx=True).text.split("Without a recent success")[0]
    assert "hourly, never run" not in panel  # no phantom "now" entries in Next runs
    assert '<span class="n">0</span>runs in the next 24 h' in panel
    assert ("1 interval job has no run time yet (no start date): the first run comes one "
            "interval after its agent next polls") in panel
    assert "No job is scheduled" not in panel
    assert "1 interval job has no run time yet" in ui.get("/upcoming").text
    assert "hourly, never run" not in ui.get("/upcoming").text
    # once it has run, its grid is known and its runs are listed
    alice.patch(f"/v1/jobs/{waiting}", {"job_schedule": {"status": "scheduled",
                                                          "time_started": NOW - 600}})
    page = ui.get(f"/jobs/{waiting}").text
    assert "Next runs:" in page and "agent next polls" not in page
    # scheduled by its agent, not run yet: no grid known here, and it says so
    held = alice.create("jobs", job_body(description="hourly, held", schedule={
        "schedule_interval": "1 hours", "status": "scheduled", "event": ""}))
    assert "its agent has it scheduled but it has not run yet" in ui.get(f"/jobs/{held}").text
    assert "hourly, never run" in ui.get("/overview/attention", htmx=True).text.split(
        "Without a recent success")[0]


def test_stopped_job_says_why_it_has_no_next_runs_and_editor_previews_none(ui, alice):
    clock.freeze(NOW)
    cron = {"schedule_hour": "2", "schedule_minute": "30"}
    stopped = alice.create("jobs", job_body(description="stopped one", schedule=cron))
    alice.patch(f"/v1/jobs/{stopped}", {"job_schedule": {"status": "stop"}})
    page = ui.get(f"/jobs/{stopped}").text
    assert "No next runs: stopped: no runs until started." in page and "Next runs:" not in page
    editor = ui.get(f"/jobs/{stopped}/schedule").text
    assert "stopped: no runs until started" in editor and 'id="next-runs"' not in editor
    assert f'"job_id": "{stopped}"' in editor  # the live preview asks about this job
    preview = ui.get(f"/schedule/preview?prefix=schedule-&job_id={stopped}&schedule-kind=cron"
                     "&schedule-schedule_hour=3&schedule-schedule_minute=0", htmx=True).text
    assert "stopped: no runs until started" in preview and 'id="next-runs"' not in preview
    # the same schedule for a job meant to run previews its runs
    fresh = ui.get("/schedule/preview?prefix=schedule-&schedule-kind=cron"
                   "&schedule-schedule_hour=3&schedule-schedule_minute=0", htmx=True).text
    assert 'id="next-runs"' in fresh and "2026-11-27 03:00:00 UTC" in fresh
    alice.patch(f"/v1/jobs/{stopped}", {"job_schedule": {"status": "completed", "result": "success"}})
    assert "No next runs: completed: no runs until started." in ui.get(f"/jobs/{stopped}").text
