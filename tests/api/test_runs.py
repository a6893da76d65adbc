"""Run history built from what the agent reports: a run opens when the job goes
`running`, closes on its result or when it leaves running, and collects the backups the
agent posts with the job's id meanwhile."""
import pytest

from app.extensions import db
from app.models import Run
from app import clock
from tests.builders import backup_body, job_body

T0 = 1795744000


@pytest.fixture(autouse=True)
def frozen():
    clock.freeze(T0)


def later(seconds):
    clock.freeze(T0 + seconds)


def schedule_patch(user, job_id, **schedule):
    r = user.patch(f"/v1/jobs/{job_id}", {"job_schedule": schedule})
    assert r.status_code == 200, r.get_json()


def runs_of(user, job_id, query=""):
    r = user.get(f"/v1/jobs/{job_id}/runs{query}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_a_simulated_agent_run_yields_one_closed_run_with_both_backups(alice):
    job_id = alice.create("jobs", job_body())
    schedule_patch(alice, job_id, status="running", result="", time_started=T0, time_ended=-1)
    later(30)
    assert alice.post("/v1/backups/", backup_body(time_stamp=T0 + 10, job_id=job_id,
                                                  backup_size_compressed=40,
                                                  backup_size_uncompressed=100)).status_code == 201
    assert alice.post("/v1/backups/", backup_body(time_stamp=T0 + 20, level=1, job_id=job_id,
                                                  backup_size_compressed=2,
                                                  backup_size_uncompressed=5)).status_code == 201
    later(95)
    schedule_patch(alice, job_id, status="scheduled", result="success", time_ended=T0 + 95)

    body = runs_of(alice, job_id)
    assert len(body["runs"]) == 1
    run = body["runs"][0]
    assert run["state"] == "ended" and run["result"] == "success"
    assert run["started_at"] == "2026-11-27T01:46:40Z" and run["ended_at"] == "2026-11-27T01:48:15Z"
    assert run["duration"] == 95.0
    assert run["backup_count"] == 2
    assert [b["backup_id"] for b in run["backups"]] == [
        f"/srv/backups_node1_data_{T0 + 10}_0", f"/srv/backups_node1_data_{T0 + 20}_1"]
    assert run["backup_size_compressed"] == 42 and run["backup_size_uncompressed"] == 105
    assert body["last_run"] == run and body["last_success"] == run


def test_a_run_lists_its_first_backups_and_counts_and_sums_them_all(alice, monkeypatch):
    """A run never closed must not grow a row every backup POST rewrites: it lists the
    first Run.BACKUPS_LISTED backups; backup_count and the sizes cover every one."""
    monkeypatch.setattr(Run, "BACKUPS_LISTED", 3)
    job_id = alice.create("jobs", job_body())
    schedule_patch(alice, job_id, status="running", result="")
    for i in range(5):
        sizes = {"backup_size_compressed": i + 1}
        if i != 2:
            sizes["backup_size_uncompressed"] = 10 * (i + 1)
        assert alice.post("/v1/backups/", backup_body(
            time_stamp=T0 + i, job_id=job_id, **sizes)).status_code == 201
    run = runs_of(alice, job_id)["runs"][0]
    assert run["state"] == "running" and run["backup_count"] == 5
    assert [b["backup_id"] for b in run["backups"]] == [
        f"/srv/backups_node1_data_{T0 + i}_0" for i in range(3)]
    assert run["backup_size_compressed"] == 15  # 1 + 2 + 3 + 4 + 5
    assert run["backup_size_uncompressed"] == 120  # the one without a size is not counted
    assert len(alice.get("/v1/backups/?limit=100").get_json()["backups"]) == 5
    schedule_patch(alice, job_id, status="completed", result="success")
    ended = runs_of(alice, job_id)["runs"][0]  # its close keeps what its backups were
    assert ended["state"] == "ended"
    assert {k: ended[k] for k in ("backup_count", "backups", "backup_size_compressed",
                                  "backup_size_uncompressed")} == \
        {k: run[k] for k in ("backup_count", "backups", "backup_size_compressed",
                             "backup_size_uncompressed")}
    assert alice.post("/v1/backups/", backup_body(time_stamp=T0 + 9, job_id=job_id)) \
        .status_code == 201  # posted after the run ended: it joins none
    assert runs_of(alice, job_id)["runs"][0]["backup_count"] == 5


def test_a_failed_run(alice):
    job_id = alice.create("jobs", job_body())
    schedule_patch(alice, job_id, status="running")
    later(5)
    schedule_patch(alice, job_id, status="completed", result="fail")
    body = runs_of(alice, job_id)
    assert [(r["result"], r["duration"], r["backup_count"]) for r in body["runs"]] == [("fail", 5.0, 0)]
    assert body["last_success"] is None


def test_an_aborted_run(alice):
    job_id = alice.create("jobs", job_body())
    schedule_patch(alice, job_id, status="running")
    assert alice.post(f"/v1/jobs/{job_id}/event", {"abort": None}).status_code == 202
    assert runs_of(alice, job_id)["runs"][0]["state"] == "running"  # an abort is only asked for
    later(3)
    schedule_patch(alice, job_id, status="completed", result="aborted", event="")
    run = runs_of(alice, job_id)["runs"][0]
    assert (run["state"], run["result"], run["duration"]) == ("ended", "aborted", 3.0)


def test_a_run_that_leaves_running_without_a_result_closes_with_none(alice):
    job_id = alice.create("jobs", job_body())
    schedule_patch(alice, job_id, status="running")
    schedule_patch(alice, job_id, status="stop")
    assert runs_of(alice, job_id)["runs"][0]["result"] == ""


def test_the_agents_repeated_whole_document_patches_open_one_run(alice):
    """As captured from scheduler 18.0.0: `completed` then `running` milliseconds apart, the
    pid PATCH with the whole document, then the final one with the result."""
    job_id = alice.create("jobs", job_body(schedule={"schedule_date": "2026-11-27T01:48:47",
                                                     "event": "start"}))
    whole = alice.get(f"/v1/jobs/{job_id}").get_json()
    whole["job_schedule"].update(event="", status="completed")
    assert alice.patch(f"/v1/jobs/{job_id}", whole).status_code == 200
    schedule_patch(alice, job_id, schedule_date="2026-11-27T01:48:47", event="",
                   status="running", result="", time_started=T0, time_ended=-1)
    whole["job_schedule"].update(status="running", result="", time_started=T0, time_ended=-1,
                                 current_pid=8907)
    assert alice.patch(f"/v1/jobs/{job_id}", whole).status_code == 200
    alice.post("/v1/backups/", backup_body(job_id=job_id))
    whole["job_schedule"].update(status="completed", result="success", time_ended=T0 + 1)
    assert alice.patch(f"/v1/jobs/{job_id}", whole).status_code == 200
    runs = runs_of(alice, job_id)["runs"]
    assert [(r["result"], r["backup_count"]) for r in runs] == [("success", 1)]


def test_backups_outside_a_run_attach_to_nothing(alice):
    job_id = alice.create("jobs", job_body())
    alice.post("/v1/backups/", backup_body(job_id=job_id))
    schedule_patch(alice, job_id, status="running")
    alice.post("/v1/backups/", backup_body(time_stamp=T0 + 1))  # no job_id
    schedule_patch(alice, job_id, status="scheduled", result="success")
    alice.post("/v1/backups/", backup_body(time_stamp=T0 + 2, job_id=job_id))  # after the run
    assert runs_of(alice, job_id)["runs"][0]["backup_count"] == 0


def test_runs_are_newest_first_and_paged_and_the_last_success_is_kept(alice):
    job_id = alice.create("jobs", job_body())
    for seconds, result in ((0, "success"), (100, "fail"), (200, "success"), (300, "fail")):
        later(seconds)
        schedule_patch(alice, job_id, status="running", result="")
        later(seconds + 10)
        schedule_patch(alice, job_id, status="scheduled", result=result)
    body = runs_of(alice, job_id, "?limit=2")
    assert [r["result"] for r in body["runs"]] == ["fail", "success"]
    assert body["last_run"]["result"] == "fail"
    assert body["last_success"]["started_at"] == "2026-11-27T01:50:00Z"
    older = runs_of(alice, job_id, f"?limit=2&before={body['next_before']}")
    assert [r["result"] for r in older["runs"]] == ["fail", "success"]
    for bad in ("limit=0", "limit=1001", "before=0", "before=x", "offset=2", "offset=-1"):
        assert alice.get(f"/v1/jobs/{job_id}/runs?{bad}").status_code == 400


def run_ids(body):
    return [r["run_id"] for r in body["runs"]]


def test_pages_of_runs_never_repeat_nor_skip_a_run_recorded_meanwhile(alice):
    job_id = alice.create("jobs", job_body())

    def one_run():
        schedule_patch(alice, job_id, status="running", result="")
        schedule_patch(alice, job_id, status="scheduled", result="success")
    for _ in range(5):
        one_run()
    first = runs_of(alice, job_id, "?limit=2")
    one_run()  # a run recorded between two pages (offset paging repeated an entry here)
    seen = run_ids(first)
    cursor = first["next_before"]
    while cursor is not None:
        page = runs_of(alice, job_id, f"?limit=2&before={cursor}")
        seen += run_ids(page)
        cursor = page["next_before"]
    every = run_ids(runs_of(alice, job_id, "?limit=100"))
    assert len(every) == 6 and sorted(seen, reverse=True) == seen  # newest first
    assert seen == every[1:]  # the five there at the first page, each once, none skipped
    assert runs_of(alice, job_id, "?limit=6")["next_before"] is None  # the last page says so


def test_an_agent_restarting_mid_run_closes_the_run_it_never_finished(alice):
    job_id = alice.create("jobs", job_body())
    schedule_patch(alice, job_id, status="running")
    schedule_patch(alice, job_id, status="")  # a start event's reset, the agent restarted
    schedule_patch(alice, job_id, status="running")
    runs = runs_of(alice, job_id)["runs"]
    assert [(r["state"], r["result"]) for r in runs] == [("running", None), ("ended", "")]


def test_another_users_runs_are_404(alice, bob):
    job_id = alice.create("jobs", job_body())
    schedule_patch(alice, job_id, status="running")
    assert bob.get(f"/v1/jobs/{job_id}/runs").status_code == 404
    bob_job = bob.create("jobs", job_body())
    # bob's backup naming alice's job id attaches to nothing of alice's
    bob.post("/v1/backups/", backup_body(job_id=job_id))
    assert runs_of(alice, job_id)["runs"][0]["backup_count"] == 0
    assert runs_of(bob, bob_job)["runs"] == []


def test_prune_keeps_the_last_runs_of_each_job_and_the_recent_ones(app, alice):
    old_job = alice.create("jobs", job_body())
    gone_job = alice.create("jobs", job_body())
    for seconds in (0, 100, 200):
        later(seconds)
        for job_id in (old_job, gone_job):
            schedule_patch(alice, job_id, status="running", result="")
            schedule_patch(alice, job_id, status="scheduled", result="success")
    schedule_patch(alice, old_job, status="running", result="")  # open: never pruned
    assert alice.delete(f"/v1/jobs/{gone_job}").status_code == 204

    runner = app.test_cli_runner()
    later(200 + 86400 * 2)
    result = runner.invoke(args=["runs", "prune", "--keep", "1", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert "deleted 3 runs" in result.output  # only the deleted job's runs: all are recent
    result = runner.invoke(args=["runs", "prune", "--keep", "2", "--days", "1"])
    assert "deleted 2 runs" in result.output, result.output
    with app.app_context():
        left = db.session.scalars(db.select(Run).order_by(Run.pk)).all()
        assert [(r.job_id, r.result) for r in left] == [(old_job, "success"), (old_job, None)]
