"""`freezer-manage import --from URL`: every client, action, job, session and backup of a
running Freezer API (the original or this one, v1 or v2) into this store, ids, owners,
projects, schedules, session members and tags and backup metadata kept.

How a complete read is made of lists without a stable order (the original's Elasticsearch
lists have none): each kind is listed page by page (limit/offset) until a short page, and
the whole listing is repeated until two passes in a row bring no id not seen before (at
most MAX_PASSES); documents are deduplicated by id. Every source document is read before the
first write, and the writes are one transaction: a source failing halfway (unreachable,
401, 500) writes nothing, and a rerun starts afresh. Matching: by id within the project;
an equal document is left alone, a different one replaces ours (a new version). Documents
we refuse (invalid schedules, oversized fields) are listed with their reason and id, never
written in part: each is written under a savepoint and rolled back alone."""
import os
import sys

import requests
from werkzeug.exceptions import HTTPException

PAGE = 1000  # few pages: fewer chances for a document to move between two of them
MAX_PASSES = 10
QUIET_PASSES = 2  # listings in a row that bring no new id before a kind counts as complete
TIMEOUT = 30
# kind, list key, path, model name, id field
KINDS = (("clients", "clients", "client_id"), ("actions", "actions", "action_id"),
         ("jobs", "jobs", "job_id"), ("sessions", "sessions", "session_id"),
         ("backups", "backups", "backup_id"))


class SourceError(Exception):
    """The source cannot be read completely; nothing was written."""


class Source:
    def __init__(self, url, token=None, project_id=None, api=None):
        self.url = url.rstrip("/")
        self.http = requests.Session()
        self.token, self.project_id, self.user_id = token, project_id, None
        if token is None:
            self._keystone()
        self.http.headers.update({"X-Auth-Token": self.token, "Accept": "application/json"})
        self.version = self._detect(api)

    def _keystone(self):
        auth_url = os.environ.get("OS_AUTH_URL")
        if not auth_url:
            raise SourceError("no credentials: give --token (or OS_TOKEN), or OS_AUTH_URL, "
                              "OS_USERNAME, OS_PASSWORD and OS_PROJECT_NAME")
        try:
            from keystoneauth1 import session as ks_session
            from keystoneauth1.identity import v3
        except ImportError:
            raise SourceError("Keystone credentials need keystoneauth1 "
                              "(.venv/bin/pip install keystoneauth1), or use --token") from None
        env = os.environ.get
        auth = v3.Password(auth_url=auth_url, username=env("OS_USERNAME"),
                           password=env("OS_PASSWORD"), project_name=env("OS_PROJECT_NAME"),
                           project_id=env("OS_PROJECT_ID"),
                           user_domain_name=env("OS_USER_DOMAIN_NAME", "Default"),
                           project_domain_name=env("OS_PROJECT_DOMAIN_NAME", "Default"))
        keystone = ks_session.Session(auth=auth)
        try:
            self.token = keystone.get_token()
            self.project_id = self.project_id or keystone.get_project_id()
            self.user_id = keystone.get_user_id()
        except Exception as exc:  # noqa: BLE001 - keystoneauth's many failure classes
            raise SourceError(f"Keystone at {auth_url} refused the credentials: {exc}") from None

    def get(self, path, **params):
        try:
            r = self.http.get(self.url + path, params=params, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise SourceError(f"{self.url} unreachable: {exc}") from None
        if r.status_code in (401, 403):
            raise SourceError(f"{self.url}{path} answered {r.status_code}: wrong or expired "
                              "token, or no right to read it")
        if r.status_code != 200 and not (path == "/" and r.status_code == 300):
            raise SourceError(f"{self.url}{path} answered {r.status_code}: {r.text[:200]}")
        try:
            return r.json()
        except ValueError:
            raise SourceError(f"{self.url}{path} answered something not JSON") from None

    def _detect(self, api):
        home = self.get("/")
        # the original names v1 "1" (or "v1" when v2 is off) and v2 "v2"
        ids = {"v" + str(v.get("id", "")).lower().lstrip("v").split(".")[0]
               for v in home.get("versions", []) if isinstance(v, dict)} \
            if isinstance(home, dict) else set()
        if api is not None and api not in ids:
            raise SourceError(f"{self.url}/ does not list {api} (it lists "
                              f"{', '.join(sorted(ids)) or 'nothing'})")
        if "v2" in ids and api != "v1":
            if not self.project_id:
                raise SourceError("the source speaks v2: give its project "
                                  "(OS_PROJECT_ID, or Keystone credentials)")
            return "v2"
        if "v1" in ids:
            return "v1"
        raise SourceError(f"{self.url}/ lists no Freezer API version (v1 or v2)")

    def prefix(self):
        return f"/v2/{self.project_id}" if self.version == "v2" else "/v1"

    def read_all(self, kind, key, id_field):
        """Every document of a kind, by id: listed again until a pass finds nothing new."""
        found, quiet = {}, 0
        for _ in range(MAX_PASSES):
            before = len(found)
            offset = 0
            while True:
                body = self.get(f"{self.prefix()}/{kind}", limit=PAGE, offset=offset)
                page = body.get(key, []) if isinstance(body, dict) else []
                for doc in page:
                    doc_id = doc_id_of(kind, doc)
                    if doc_id:
                        found.setdefault(doc_id, doc)
                if len(page) < PAGE:
                    break
                offset += PAGE
            quiet = quiet + 1 if len(found) == before else 0
            if quiet == QUIET_PASSES:
                return found
        return found


def doc_id_of(kind, doc):
    """A listed document's id; a client's sits in its `client` part (v1 §5)."""
    if not isinstance(doc, dict):
        return None
    if kind == "clients":
        doc = doc.get("client") if isinstance(doc.get("client"), dict) else {}
        return doc.get("client_id") if isinstance(doc.get("client_id"), str) else None
    value = doc.get(_ID_FIELDS[kind])
    return value if isinstance(value, str) else None


_ID_FIELDS = {kind: id_field for kind, _key, id_field in KINDS}


def run_source_import(app, args) -> int:
    from ..extensions import db
    token = args.token or os.environ.get("OS_TOKEN")
    try:
        source = Source(args.source, token=token, project_id=os.environ.get("OS_PROJECT_ID"), api=args.api)
        print(f"Source {source.url}: Freezer API {source.version}", flush=True)
        documents = {}
        for kind, key, id_field in KINDS:
            with progress(kind) as tick:
                documents[kind] = source.read_all(kind, key, id_field)
                tick(len(documents[kind]))
    except SourceError as exc:
        print(f"freezer-manage: import failed: {exc}; nothing was written "
              "(run it again when the source answers).", file=sys.stderr)
        return 1
    summary = write_all(source, documents)
    if args.dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    print("Would import:" if args.dry_run else "Imported:")
    refused = []
    for kind, counts in summary.items():
        print(f"  {kind:<9} new {counts['new']}, updated {counts['updated']}, unchanged "
              f"{counts['unchanged']}, refused {len(counts['refused'])}")
        refused += [(kind, doc_id, reason) for doc_id, reason in counts["refused"]]
    for kind, doc_id, reason in refused:
        print(f"  refused {kind[:-1]} {doc_id}: {reason}")
    return 0


class progress:
    """A bar on a terminal (rich, when installed), a plain line otherwise."""

    def __init__(self, kind):
        self.kind = kind

    def __enter__(self):
        self.rich = None
        if sys.stdout.isatty():
            try:
                from rich.progress import Progress
                self.rich = Progress(transient=True)
                self.rich.start()
                self.task = self.rich.add_task(f"reading {self.kind}", total=None)
            except ImportError:
                self.rich = None
        return self.tick

    def tick(self, n):
        if self.rich is not None:
            self.rich.update(self.task, completed=n)
        print(f"  read {n} {self.kind}", flush=True)

    def __exit__(self, *exc):
        if self.rich is not None:
            self.rich.stop()
        return False


def _owner(source, doc):
    user_id = doc.get("user_id") or source.user_id or "imported"
    project_id = doc.get("project_id") or source.project_id or user_id
    return str(user_id), str(project_id)


def _stored(kind, doc, version):
    """The document as we store it: what the v2 view adds (project_id, backup_uuid and the
    defaults status available, is_central false, which our v2 view adds back) is not
    part of it."""
    doc = dict(doc)
    if "project_id" in doc and doc["project_id"] is None:
        del doc["project_id"]  # the original v1 writes null there; the project is a column here
    if version != "v2":
        return doc
    doc.pop("project_id", None)
    if kind == "backups":
        doc.pop("backup_uuid", None)
        if doc.get("status") == "available":
            del doc["status"]
    if kind == "clients" and isinstance(doc.get("client"), dict) \
            and doc["client"].get("is_central") is False:
        doc["client"] = {k: v for k, v in doc["client"].items() if k != "is_central"}
        # v2 answers is_central false for a client that never set it; so does our view
    return doc


def write_all(source, documents) -> dict:
    from ..extensions import db
    from ..models import Action, Backup, Client, Job, Session
    from ..services import schedules
    from ..services.schemas import JOB
    from ..services.validation import validate
    models = {"clients": Client, "actions": Action, "jobs": Job, "sessions": Session,
              "backups": Backup}
    summary = {}
    new_actions = {}  # {project_id: {action_id}}: sorted into library entries and copies
    for kind, key, id_field in KINDS:
        model = models[kind]
        counts = summary[kind] = {"new": 0, "updated": 0, "unchanged": 0, "refused": []}
        for doc_id, listed in sorted(documents[kind].items()):
            user_id, project_id = _owner(source, listed)
            doc = _stored(kind, listed, source.version)
            try:
                with db.session.begin_nested():
                    if kind == "jobs":
                        validate(JOB, doc)
                        schedules.validate_schedule(doc.get("job_schedule") or {})
                    column = model.client_id if kind == "clients" else getattr(model, id_field)
                    row = model.query.filter(model.project_id == project_id,
                                             column == doc_id).first()
                    if row is None:
                        row = model(user_id=user_id, project_id=project_id)
                        row.set_doc(doc)
                        db.session.add(row)
                        db.session.flush()
                        counts["new"] += 1
                        if kind == "actions":
                            new_actions.setdefault(project_id, set()).add(doc_id)
                    elif row.doc == doc:
                        counts["unchanged"] += 1
                    else:
                        row.set_doc(doc)
                        row.bump()
                        db.session.flush()
                        counts["updated"] += 1
            except HTTPException as exc:
                counts["refused"].append((doc_id, exc.description or exc.name))
            except Exception as exc:  # noqa: BLE001 - one bad document, not the import
                counts["refused"].append((doc_id, str(getattr(exc, "orig", exc))[:200]))
    from ..services import actions
    actions.mark_imported(new_actions)
    return summary
