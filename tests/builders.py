"""Test data in one place: request bodies shaped like the real agents' and an API caller."""
import copy
import os
import json

from app.services.schemas import SUPPORTED

# Real agent traffic (freezer scheduler 18.0.0, python-freezerclient 6.2.0), copied from
# ../shared/fixtures/agent-traffic so the replays never depend on a folder outside the repo.
AGENT_TRAFFIC = os.path.join(os.path.dirname(__file__), "fixtures", "agent-traffic")


class ApiUser:
    """Calls /v1 as one user: with an API token (X-Auth-Token) when given one, else in
    noauth mode by X-User-Id."""

    def __init__(self, client, user_id, user_name=None, token=None, project_id=None,
                 roles=None):
        self.client = client
        self.user_id = user_id
        self.user_name = user_name or user_id
        self.token = token
        # noauth: X-Project-Id (default: the user id) and X-Roles
        self.project_id = project_id or user_id
        self.roles = roles

    def headers(self, extra=None):
        if self.token:
            h = {"X-Auth-Token": self.token, "Accept": "application/json"}
        else:
            h = {"X-User-Id": self.user_id, "X-User-Name": self.user_name,
                 "X-Project-Id": self.project_id, "Accept": "application/json"}
            if self.roles:
                h["X-Roles"] = self.roles
        h.update(extra or {})
        return h

    def call(self, method, path, body=None, headers=None, raw=None, content_type="application/json"):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        h = self.headers(headers)
        if content_type and data is not None:
            h["Content-Type"] = content_type
        return self.client.open(path, method=method, data=data, headers=h)

    def get(self, path, body=None, **kw):
        return self.call("GET", path, body, **kw)

    def post(self, path, body=None, **kw):
        return self.call("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    # shortcuts that assert success and return the new id
    def create(self, collection, body):
        r = self.post(f"/v1/{collection}/", body)
        assert r.status_code == 201, r.get_json()
        return next(iter(r.get_json().values()))


# everything a client may declare (what the 18.0.0 scheduler registers with)
CAPABILITIES = {f"supported_{kind}": list(values) for kind, values in SUPPORTED.items()}


def client_body(client_id="proj_node1", hostname="node1", **caps):
    body = {"client_id": client_id, "hostname": hostname}
    body.update(copy.deepcopy(CAPABILITIES) if caps.get("full", True) else {})
    body.update({k: v for k, v in caps.items() if k != "full"})
    return body


def freezer_action(**overrides):
    action = {"action": "backup", "mode": "fs", "storage": "local",
              "path_to_backup": "/srv/data", "container": "/srv/backups",
              "backup_name": "data"}
    action.update(overrides)
    return action


def job_body(client_id="proj_node1", schedule=None, actions=None, **extra):
    body = {"description": "nightly data", "client_id": client_id,
            "job_schedule": schedule if schedule is not None else {"schedule_interval": "1 days"},
            "job_actions": actions if actions is not None else [
                {"freezer_action": freezer_action(), "max_retries": 3,
                 "max_retries_interval": 60}]}
    body.update(extra)
    return body


def action_body(**overrides):
    return {"freezer_action": freezer_action(**overrides), "max_retries": 1,
            "max_retries_interval": 5}


def backup_body(container="/srv/backups", hostname="node1", backup_name="data",
                time_stamp=1795744129, level=0, **extra):
    """The freezer scheduler's metadata (agent field names)."""
    body = {"curr_backup_level": level, "fs_real_path": "/srv/data", "client_os": "linux",
            "client_version": "18.0.0", "time_stamp": time_stamp, "action": "backup",
            "backup_media": "fs", "backup_name": backup_name, "container": container,
            "hostname": hostname, "path_to_backup": "/srv/data", "mode": "fs",
            "storage": "local", "compression": "gzip", "ssh_port": 22, "dry_run": ""}
    body.update(extra)
    return body


# --- identity: operators, API tokens, dashboard sign-in (need an app context) ---------------

PASSWORD = "correct horse battery staple"


def operator(username, password=PASSWORD, is_admin=False, user_id=None, project_id=None) -> str:
    """An operator account, created unless it exists; returns its owner id (user_id)."""
    from app.auth import accounts
    from app.extensions import db
    user = accounts.find(username)
    if user is None:
        user = accounts.create(username, password, is_admin=is_admin, user_id=user_id,
                               project_id=project_id)
        db.session.commit()
    return user.user_id


def api_token(username, label="test") -> str:
    """A new API token for an existing operator (the plain value)."""
    from app.auth import accounts, tokens
    from app.extensions import db
    _row, plain = tokens.issue(accounts.get(username), label)
    db.session.commit()
    return plain


def csrf_token(html: str) -> str:
    """The CSRF token a page carries (its <meta name="csrf-token"> or a form's hidden field)."""
    import re
    found = re.search(r'name="csrf-token" content="([^"]+)"', html) or \
        re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def sign_in(client, username, password=PASSWORD, next=None):
    """Sign in through the real login form; returns the POST's response."""
    page = client.get("/auth/login" + (f"?next={next}" if next else ""))
    form = {"username": username, "password": password, "csrf_token": csrf_token(page.text)}
    if next:
        form["next"] = next
    return client.post("/auth/login", data=form)
