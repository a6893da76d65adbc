"""python-freezerclient 6.2.0's v1 library, authenticating with Keystone (password) and
finding our server in the catalog, as the v1 agents do: AUTH_MODE=keystone end to end."""
import json

from tests.clients.harness import client_env, run_python

V1_SCRIPT = r"""
import json, sys
from freezerclient.v1.client import Client
c = Client(opts=None, username=sys.argv[1], password=sys.argv[2], auth_url=sys.argv[3],
           project_name=sys.argv[4], user_domain_name="Default", project_domain_name="Default")
cid = c.clients.create({"client_id": "alpha_v1host", "hostname": "v1host"})
job = c.jobs.create({"client_id": cid, "description": "v1 job",
                     "job_actions": [{"freezer_action": {"action": "backup", "mode": "fs",
                         "path_to_backup": "/srv", "container": "/c", "backup_name": "b"}}]})
print(json.dumps({"endpoint": c.endpoint, "client_id": cid, "job": c.jobs.get(job),
                  "clients": c.clients.list()}))
"""


def test_the_v1_library_authenticates_with_keystone(clients_venv, keystone, freezer_api):
    u = "bob"
    out = run_python(V1_SCRIPT, u, "bob-pw", keystone.url + "/v3", "alpha", v1=True,
                     env=client_env(keystone, u))
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.splitlines()[-1])
    assert got["endpoint"] == freezer_api.base_url
    assert got["job"]["description"] == "v1 job"
    assert got["job"]["user_id"] == keystone.users["bob"].id
