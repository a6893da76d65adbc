from tests.builders import backup_body, client_body, job_body


def test_agent_walkthrough(alice):
    assert alice.post("/v1/clients/", client_body()).status_code == 201
    job_id = alice.create("jobs", job_body())
    r = alice.get("/v1/jobs/?limit=10&offset=0",
                  {"match": [{"client_id": "proj_node1"}], "match_not": [{"status": "completed"}]})
    assert r.status_code == 200
    assert [j["job_id"] for j in r.get_json()["jobs"]] == [job_id]
    r = alice.patch(f"/v1/jobs/{job_id}", {"job_schedule": {"status": "running"}})
    assert r.status_code == 200 and r.get_json() == {"job_id": job_id, "version": 2}
    r = alice.post("/v1/backups/", backup_body(job_id=job_id))
    assert r.status_code == 201
    assert alice.get("/v1/backups").get_json()["backups"][0]["backup_metadata"]["job_id"] == job_id
