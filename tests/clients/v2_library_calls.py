"""Every call of python-freezerclient 6.5.0's v2 library, as an agent or a script makes them:
run by .venv-clients' python (tests/clients/test_v2_library.py). The client authenticates
with Keystone (password, project-scoped) and finds the API in the catalog. Prints one JSON
object: each step's answer, or {"error", "status"} when the library raised."""
import json
import sys

from freezerclient import exceptions
from freezerclient.v2.client import Client

auth_url, username, password, project, foreign_project = sys.argv[1:6]
steps = {}


def step(name, call):
    try:
        steps[name] = call()
    except exceptions.ApiClientException as e:
        steps[name] = {"error": str(e), "status": getattr(e, "status_code", None)}
    except Exception as e:  # a non-JSON answer or a missing key: the client's own crash
        steps[name] = {"error": f"{type(e).__name__}: {e}", "status": None}
    return steps[name]


def credentials(**kw):
    return dict(auth_url=auth_url, username=username, password=password, project_name=project,
                user_domain_name="Default", project_domain_name="Default", **kw)


c = Client(**credentials())
steps["project_id"], steps["client_id"], steps["endpoint"] = c.project_id, c.client_id, c.endpoint
me = c.client_id
action = {"action": "backup", "mode": "fs", "storage": "local", "path_to_backup": "/etc/hosts",
          "container": "/tmp/lib-container", "backup_name": "lib-hosts"}

# clients: register (twice: v2 re-registration is idempotent), list, search, get, missing
info = {"client_id": me, "hostname": "lib-host", "description": "library client",
        "supported_actions": ["backup", "restore", "exec"], "is_central": False}
step("client_create", lambda: c.clients.create(info))
step("client_create_again", lambda: c.clients.create(dict(info, description="again")))
step("client_list", lambda: c.clients.list())
step("client_search", lambda: c.clients.list(search={"match": [{"hostname": "lib-host"}]}))
step("client_get", lambda: c.clients.get(me))
step("client_get_missing", lambda: c.clients.get("nobody_nowhere"))

# actions: create, replace (create with an id), list, get, update, get
aid = step("action_create", lambda: c.actions.create({"freezer_action": action,
                                                       "max_retries": 1}))
step("action_replace", lambda: c.actions.create(
    {"freezer_action": dict(action, backup_name="lib-hosts-2"), "max_retries": 2},
    action_id=aid))
step("action_list", lambda: c.actions.list())
step("action_get", lambda: c.actions.get(aid))
step("action_update", lambda: c.actions.update(aid, {"max_retries": 3}))
step("action_get_updated", lambda: c.actions.get(aid))

# jobs: create, replace, list_all, the agent's poll (list by client), all_projects, get,
# missing, update, start/stop/abort events
job = {"description": "library job", "client_id": me,
       "job_schedule": {"schedule_interval": "1 days"},
       "job_actions": [{"freezer_action": action, "max_retries": 1}]}
jid = step("job_create", lambda: c.jobs.create(job))
step("job_replace", lambda: c.jobs.create(dict(job, description="library job replaced"),
                                          job_id=jid))
step("job_list_all", lambda: c.jobs.list_all())
step("job_poll", lambda: c.jobs.list(search={"match_not": [{"status": "completed"}]}))
step("job_poll_other_client", lambda: c.jobs.list(client_id="nobody_nowhere"))
step("job_list_all_projects", lambda: c.jobs.list_all(all_projects=True))
step("job_get", lambda: c.jobs.get(jid))
step("job_get_missing", lambda: c.jobs.get("0" * 32))
step("job_update", lambda: c.jobs.update(jid, {"description": "library job patched"}))
step("job_get_updated", lambda: c.jobs.get(jid))
step("job_start", lambda: c.jobs.start_job(jid))
step("job_stop", lambda: c.jobs.stop_job(jid))
step("job_abort", lambda: c.jobs.abort_job(jid))
step("job_get_after_events", lambda: c.jobs.get(jid))

# sessions: create, replace, list, search, get, update, add a job, start, end, remove the job
session = {"description": "library session", "hold_off": 30,
           "schedule": {"schedule_interval": "1 days"}}
sid = step("session_create", lambda: c.sessions.create(session))
step("session_replace", lambda: c.sessions.create(
    dict(session, description="library session replaced", session_tag=0), session_id=sid))
step("session_list", lambda: c.sessions.list())
step("session_list_all", lambda: c.sessions.list_all())
step("session_get", lambda: c.sessions.get(sid))
step("session_update", lambda: c.sessions.update(sid, {"description": "library session patched"}))
step("session_add_job", lambda: c.sessions.add_job(sid, jid))
step("session_start", lambda: c.sessions.start_session(sid, jid, 0))
step("session_get_started", lambda: c.sessions.get(sid))
step("session_end", lambda: c.sessions.end_session(sid, jid, 1, "success"))
step("session_get_ended", lambda: c.sessions.get(sid))
step("session_remove_job", lambda: c.sessions.remove_job(sid, jid))
step("session_get_removed", lambda: c.sessions.get(sid))

# backups: create (as the 19.0.0 scheduler posts an agent's metadata), a pre-created one,
# list, search by time, get, update, delete, get after delete
meta = {"backup_name": "lib-hosts", "container": "/tmp/lib-container", "hostname": "lib-host",
        "time_stamp": 1796157740, "curr_backup_level": 0, "mode": "fs", "action": "backup",
        "path_to_backup": "/etc/hosts", "job_id": jid}
bid = step("backup_create", lambda: c.backups.create(meta))
creating = step("backup_create_creating", lambda: c.backups.create(
    {"backup_name": "lib-later", "status": "creating"}))
step("backup_list", lambda: c.backups.list())
step("backup_search_after", lambda: c.backups.list(search={"time_after": 1796157741}))
step("backup_get", lambda: c.backups.get(bid))
step("backup_update", lambda: c.backups.update(
    creating, {"status": "available", "backup_metadata": {"container": "/tmp/c",
                                                          "hostname": "lib-host"}}))
step("backup_delete", lambda: c.backups.delete(creating))
step("backup_get_deleted", lambda: c.backups.get(creating))

# another project's path: 403 (our session and token, another project_id in the URLs)
foreign = Client(session=c.session, project_id=foreign_project)
step("foreign_job_list", lambda: foreign.jobs.list_all())
step("foreign_job_get", lambda: foreign.jobs.get(jid))

# deletes, then what is left
step("job_delete", lambda: c.jobs.delete(jid))
step("job_get_deleted", lambda: c.jobs.get(jid))
step("session_delete", lambda: c.sessions.delete(sid))
step("action_delete", lambda: c.actions.delete(aid))
step("action_get_deleted", lambda: c.actions.get(aid))
step("backup_delete_last", lambda: c.backups.delete(bid))
step("client_delete", lambda: c.clients.delete(me))
step("client_get_deleted", lambda: c.clients.get(me))

print(json.dumps(steps, default=str))
