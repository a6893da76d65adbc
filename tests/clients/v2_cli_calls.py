"""Every command of the `freezer` CLI 6.5.0, in the order a user would try them, run by
.venv-clients' python (tests/clients/test_v2_cli.py): each is freezerclient.shell.main(argv),
the console script's own entry point, in this one interpreter (a process per command would
cost seconds of imports each; the test also runs the real `freezer` and `openstack`
executables). Credentials come from the OS_* environment, as a user exports them. Prints one
JSON object: per step, the exit code and the output (parsed when it is JSON)."""
import contextlib
import io
import json
import os
import sys
import tempfile

from freezerclient import shell

workdir = tempfile.mkdtemp(prefix="freezer-cli-")
steps = {}


def doc(name, body):
    path = os.path.join(workdir, name + ".json")
    with open(path, "w") as f:
        json.dump(body, f)
    return path


def freezer(name, *argv):
    if None in argv:  # an id an earlier command did not show: record it, go on
        steps[name] = {"command": argv[0], "code": None, "out": None,
                       "err": f"no id to pass: {argv}"}
        return None
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = shell.main(list(argv))
        except SystemExit as e:
            code = e.code
    text = out.getvalue()
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = text
    steps[name] = {"command": argv[0], "code": code, "out": parsed,
                   "err": err.getvalue()[-2000:]}
    return parsed


def field(shown, name):
    """A value of a `-f json` show output (a JSON object keyed by column title)."""
    return shown.get(name) if isinstance(shown, dict) else None


hostname = sys.argv[1]
action = {"action": "backup", "mode": "fs", "storage": "local", "path_to_backup": "/etc/hosts",
          "container": "/tmp/cli-container", "backup_name": "cli-hosts"}

client = freezer("client-register", "client-register", "-f", "json", "--file", doc("client", {
    "client_id": f"gamma_{hostname}", "hostname": hostname, "description": "cli client"}))
client_id = field(client, "Client ID")
freezer("client-list", "client-list", "-f", "json")
freezer("client-show", "client-show", "-f", "json", client_id)

act = freezer("action-create", "action-create", "-f", "json", "--file", doc(
    "action", {"freezer_action": action, "max_retries": 1}))
action_id = field(act, "Action ID")
freezer("action-list", "action-list", "-f", "json")
freezer("action-show", "action-show", "-f", "json", action_id)
freezer("action-update", "action-update", "-f", "json", action_id,
        doc("action-patch", {"max_retries": 4}))

job = freezer("job-create", "job-create", "-f", "json", "--client", client_id, "--file", doc(
    "job", {"description": "cli job", "job_schedule": {"schedule_interval": "1 days"},
            "job_actions": [{"freezer_action": action, "max_retries": 1}]}))
job_id = field(job, "Job ID")
freezer("job-list", "job-list", "-f", "json")
freezer("job-list-client", "job-list", "-f", "json", "--client", client_id)
freezer("job-list-search", "job-list", "-f", "json", "--search", "cli job")
freezer("job-list-all-projects", "job-list", "-f", "json", "--all-projects")
freezer("job-show", "job-show", "-f", "json", job_id)
freezer("job-get", "job-get", "--no-format", job_id)
freezer("job-update", "job-update", "-f", "json", job_id,
        doc("job-patch", {"description": "cli job patched"}))
freezer("job-start", "job-start", job_id)
freezer("job-show-started", "job-show", "-f", "json", job_id)
freezer("job-stop", "job-stop", job_id)
freezer("job-abort", "job-abort", job_id)
freezer("job-show-aborted", "job-show", "-f", "json", job_id)

session = freezer("session-create", "session-create", "-f", "json", "--file", doc(
    "session", {"description": "cli session", "hold_off": 30,
                "schedule": {"schedule_interval": "1 days"}}))
session_id = field(session, "Session ID")
freezer("session-list", "session-list", "-f", "json")
freezer("session-show", "session-show", "-f", "json", session_id)
freezer("session-update", "session-update", "-f", "json", session_id,
        doc("session-patch", {"description": "cli session patched"}))
freezer("session-add-job", "session-add-job", "--session-id", session_id, "--job-id", job_id)
freezer("session-show-with-job", "session-show", "-f", "json", session_id)
freezer("session-start", "session-start", "--session-id", session_id, "--job-id", job_id,
        "--job-tag", "0")
freezer("session-show-started", "session-show", "-f", "json", session_id)
freezer("session-remove-job", "session-remove-job", "--session-id", session_id,
        "--job-id", job_id)
freezer("session-show-without-job", "session-show", "-f", "json", session_id)

backup = freezer("backup-create", "backup-create", "-f", "json", "--file", doc("backup", {
    "backup_name": "cli-hosts", "container": "/tmp/cli-container", "hostname": hostname,
    "time_stamp": 1796157740, "curr_backup_level": 0, "mode": "fs", "job_id": job_id}))
backup_id = field(backup, "Backup ID")
# -f json cannot print backup-list's datetime column (a client limitation): the table
freezer("backup-list", "backup-list")
freezer("backup-show", "backup-show", "-f", "json", backup_id)

freezer("backup-delete", "backup-delete", backup_id)
freezer("backup-show-deleted", "backup-show", "-f", "json", backup_id)
freezer("session-delete", "session-delete", session_id)
freezer("job-delete", "job-delete", job_id)
freezer("job-show-deleted", "job-show", "-f", "json", job_id)
freezer("action-delete", "action-delete", action_id)
freezer("client-delete", "client-delete", client_id)
freezer("client-list-after-delete", "client-list", "-f", "json")

available = sorted(shell.FreezerCommandManager.SHELL_COMMANDS)
steps = {"steps": steps, "available": available}
steps["ids"] = {"client": client_id, "action": action_id, "job": job_id,
                "session": session_id, "backup": backup_id}
print(json.dumps(steps, default=str))
