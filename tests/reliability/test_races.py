"""Races through 4 gunicorn workers (separate processes), on MariaDB and on SQLite: the
database, not process memory, must serialise writers."""
import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import create_engine, text

from tests.builders import backup_body, client_body, job_body

N = 50


def concurrently(n, call):
    """Run call(i) for i in 0..n-1 on n threads released together; their answers."""
    barrier = threading.Barrier(n)

    def one(i):
        barrier.wait()
        return call(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def scalar(database_url, sql, **params):
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    finally:
        engine.dispose()


def test_50_concurrent_patches_to_one_job_lose_nothing(live_server):
    base, url, tokens = live_server
    headers = {"X-Auth-Token": tokens["racer"]}
    r = requests.post(f"{base}/v1/jobs", json=job_body(client_id="race_node1"), headers=headers)
    assert r.status_code == 201, r.text
    job_id = r.json()["job_id"]
    start = requests.get(f"{base}/v1/jobs/{job_id}", headers=headers).json()["_version"]

    # each PATCH adds its own option to the job's action (action_defaults fill the stored
    # actions' missing keys): a lost update would drop another request's option
    answers = concurrently(N, lambda i: requests.patch(
        f"{base}/v1/jobs/{job_id}", json={"action_defaults": {f"option_{i}": i}},
        headers=headers, timeout=60))
    assert [a.status_code for a in answers] == [200] * N, [a.text for a in answers
                                                           if a.status_code != 200][:3]
    versions = sorted(a.json()["version"] for a in answers)
    assert versions == list(range(start + 1, start + N + 1))  # each write saw the previous

    job = requests.get(f"{base}/v1/jobs/{job_id}", headers=headers).json()
    assert job["_version"] == start + N
    action = job["job_actions"][0]["freezer_action"]
    assert {k: v for k, v in action.items() if k.startswith("option_")} == \
        {f"option_{i}": i for i in range(N)}


def test_50_concurrent_registrations_of_one_client_make_one(live_server):
    base, url, tokens = live_server
    headers = {"X-Auth-Token": tokens["racer"]}
    client_id = f"race_{threading.get_ident()}"
    answers = concurrently(N, lambda i: requests.post(
        f"{base}/v1/clients/", json=client_body(client_id=client_id, hostname=f"node{i}"),
        headers=headers, timeout=60))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (N - 1), statuses
    for answer in answers:
        assert answer.headers["Content-Type"] == "application/json"
        assert answer.json()["title"] if answer.status_code == 409 else answer.json()
    assert scalar(url, "SELECT COUNT(*) FROM clients WHERE user_id = :u AND client_id = :c",
                  u="racer", c=client_id) == 1


def test_50_concurrent_backups_of_one_running_job_all_join_its_run(live_server):
    """Each backup joins the run by naming it in its own INSERT, and the run counts the
    backups naming it: none is lost from its count, sizes or list, while it runs or once it
    has ended (its close keeps them)."""
    base, url, tokens = live_server
    headers = {"X-Auth-Token": tokens["racer"]}
    r = requests.post(f"{base}/v1/jobs", json=job_body(client_id="race_node2"), headers=headers)
    assert r.status_code == 201, r.text
    job_id = r.json()["job_id"]
    assert requests.patch(f"{base}/v1/jobs/{job_id}", json={"job_schedule": {
        "status": "running"}}, headers=headers).status_code == 200
    answers = concurrently(N, lambda i: requests.post(
        f"{base}/v1/backups/", json=backup_body(backup_name=f"part{i}", job_id=job_id,
                                                backup_size_compressed=1),
        headers=headers, timeout=60))
    assert [a.status_code for a in answers] == [201] * N, [a.text for a in answers
                                                           if a.status_code != 201][:3]
    run = requests.get(f"{base}/v1/jobs/{job_id}/runs", headers=headers).json()["runs"][0]
    assert run["state"] == "running" and run["backup_count"] == N
    assert run["backup_size_compressed"] == N
    assert sorted(b["backup_id"] for b in run["backups"]) == sorted(
        a.json()["backup_id"] for a in answers)
    assert requests.patch(f"{base}/v1/jobs/{job_id}", json={"job_schedule": {
        "status": "completed", "result": "success"}}, headers=headers).status_code == 200
    ended = requests.get(f"{base}/v1/jobs/{job_id}/runs", headers=headers).json()["runs"][0]
    assert ended["state"] == "ended" and ended["backup_count"] == N
    assert ended["backup_size_compressed"] == N and ended["backups"] == run["backups"]
