"""`freezer-manage import --from URL`: every client, action, job, session and backup of a
running Freezer API (the original or this one, v1 or v2) into this store, ids, owners,
projects, schedules, session members and tags and backup metadata kept.

Streamed: each kind is listed page by page (limit/offset) and every page is written and
committed before the next is asked for, so memory holds one page and the ids seen so far
(tens of bytes each), not the source. How a complete read is made of lists without a stable
order (the original's lists have no ORDER BY, Elasticsearch's none either): a kind is listed
to a short page, and the whole listing is repeated until a pass brings no id not seen
before, twice in a row (once when the pass gave the same ids in the same order as the one
before it: a stable order, nothing can have slipped), at most MAX_PASSES; documents are
deduplicated by id. A source failing halfway (unreachable, 401, 500) stops the import with
exit 1: the pages written before stay, each document whole, and a rerun completes them.
Matching: by id within the project, with the mark the import left on each document it wrote
(models.ImportMark: the version it gave the document, the digest of the source's content),
so a rerun, even after the switch, never overwrites what changed here:
  no document here                          -> new (and marked)
  the source's content is the marked one    -> unchanged, whatever happened here
  source changed, ours still at the marked version -> updated (a new version, marked again)
  source changed, ours changed since        -> kept: "changed here since the import"
  a document here the import never marked   -> unchanged when equal to the source (marked
                                               then), else kept: "not from an import"
  marked, but deleted here since            -> kept: "deleted here since the import"
Kept documents are listed with their id, as refused ones are. Documents we refuse (invalid
schedules, oversized fields) are listed with their reason and id, never written in part."""
import hashlib
import json
import os
import sys

import requests

PAGE = 1000  # few pages: fewer chances for a document to move between two of them (--page-size)
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
    def __init__(self, url, token=None, project_id=None, api=None, page_size=PAGE):
        self.url, self.page_size = url.rstrip("/"), page_size
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

    def pages(self, kind, key):
        """Every document of a kind not seen before, a page at a time (lists of (id, doc)),
        listed again until the listing brings nothing new; `self.passes` counts the passes."""
        seen, quiet, previous = set(), 0, None
        for self.passes in range(1, MAX_PASSES + 1):
            before, order, offset = len(seen), hashlib.sha256(), 0
            while True:
                body = self.get(f"{self.prefix()}/{kind}", limit=self.page_size,
                                offset=offset)
                listed = body.get(key) if isinstance(body, dict) else None
                listed = listed if isinstance(listed, list) else []
                fresh = []
                for doc in listed:
                    doc_id = doc_id_of(kind, doc)
                    if doc_id:
                        order.update(doc_id.encode() + b"\0")
                        if doc_id not in seen:
                            seen.add(doc_id)
                            fresh.append((doc_id, doc))
                if fresh:
                    yield fresh
                # to an empty page, not a short one: a source may answer fewer than asked
                # (a lower maximum limit) before its end
                if not listed:
                    break
                offset += len(listed)
            stable = order.digest() == previous
            previous = order.digest()
            quiet = quiet + 1 if len(seen) == before else 0
            if quiet == QUIET_PASSES or (quiet and stable):
                return


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
        if args.page_size < 1:
            raise SourceError("--page-size must be at least 1")
        source = Source(args.source, token=token, project_id=os.environ.get("OS_PROJECT_ID"),
                        api=args.api, page_size=args.page_size)
    except SourceError as exc:
        print(f"freezer-manage: import failed: {exc}; nothing was written.", file=sys.stderr)
        return 1
    print(f"Source {source.url}: Freezer API {source.version}", flush=True)
    summary = {kind: {"new": 0, "updated": 0, "unchanged": 0, "kept": [], "refused": []}
               for kind, _key, _id in KINDS}
    failure, imported_actions = None, {}  # {project_id: {action_id}}: ids only
    with Progress() as progress:
        try:
            for kind, key, _id_field in KINDS:
                progress.start(kind)
                for page in source.pages(kind, key):
                    here = write_page(source, kind, page, summary[kind])
                    if kind == "actions":
                        for project_id, doc_id in here:
                            imported_actions.setdefault(project_id, set()).add(doc_id)
                    if args.dry_run:
                        db.session.rollback()
                    else:
                        db.session.commit()
                    db.session.expunge_all()  # nothing of a page outlives it
                    progress.advance(kind, len(page), summary[kind])
                progress.done(kind, summary[kind], source.passes)
            # once every job is here (a failed run leaves this to its rerun)
            sort_actions(imported_actions)
            if args.dry_run:
                db.session.rollback()
            else:
                db.session.commit()
        except SourceError as exc:
            db.session.rollback()
            failure = exc
        except Exception as exc:  # noqa: BLE001 - this database failing: say what was written
            db.session.rollback()
            failure = f"{type(exc).__name__}: {str(getattr(exc, 'orig', exc))[:300]}"
    print(("Would import" if args.dry_run else "Imported") +
          (" before the failure:" if failure else ":"))
    for kind, counts in summary.items():
        print(f"  {kind:<9} {_counted(counts)}")
    for what in ("kept", "refused"):
        for kind, counts in summary.items():
            for doc_id, reason in counts[what]:
                print(f"  {what} {kind[:-1]} {doc_id}: {reason}")
    if failure is not None:
        written = sum(c["new"] + c["updated"] for c in summary.values())
        print(f"freezer-manage: import failed: {failure}; "
              + ("nothing was written" if args.dry_run or not written else
                 f"the {written} documents above were written, each whole")
              + " (run it again when the source answers: it completes the import).",
              file=sys.stderr)
        return 1
    return 0


def _counted(counts):
    return (f"new {counts['new']}, updated {counts['updated']}, unchanged "
            f"{counts['unchanged']}, kept {len(counts['kept'])}, "
            f"refused {len(counts['refused'])}")


class Progress:
    """A bar per kind on a terminal (rich), a plain line per page otherwise."""

    def __init__(self):
        self.rich = None

    def __enter__(self):
        if sys.stdout.isatty():
            from rich.progress import (BarColumn, Progress as Bars, SpinnerColumn,
                                       TextColumn, TimeElapsedColumn)
            self.rich = Bars(SpinnerColumn(), TextColumn("{task.description:<9}"),
                             BarColumn(), TextColumn("{task.completed} read"),
                             TextColumn("{task.fields[counts]}"), TimeElapsedColumn())
            self.rich.start()
            self.tasks = {}
        return self

    def _counts(self, counts):
        return _counted(counts)

    def start(self, kind):
        self.read = 0
        if self.rich is not None:
            self.tasks[kind] = self.rich.add_task(kind, total=None, counts="")

    def advance(self, kind, n, counts):
        self.read += n
        if self.rich is not None:
            self.rich.update(self.tasks[kind], completed=self.read, counts=self._counts(counts))
        else:
            print(f"  {kind}: {self.read} read", flush=True)

    def done(self, kind, counts, passes):
        if self.rich is not None:
            # a finished kind shows a full bar: its total is what was read
            self.rich.update(self.tasks[kind], total=self.read, completed=self.read,
                             counts=self._counts(counts) + f" ({passes} passes)")
        else:
            print(f"  read {self.read} {kind} ({passes} passes)", flush=True)

    def __exit__(self, *exc):
        if self.rich is not None:
            self.rich.stop()
        return False


def _owner(source, doc):
    user_id = doc.get("user_id") or source.user_id or "imported"
    project_id = doc.get("project_id") or source.project_id or user_id
    return str(user_id), str(project_id)


def _without_nulls(value):
    """A null the original writes where a value is absent (v1's `project_id: null`, 19.0.0's
    `backup_name: null` and `timeout: null` in an action it echoes, a client's `description:
    null`) read as absent: our schemas refuse null where they want a string, and a PATCH's
    null removes the key (RFC 7386), so absent is what null means here."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _stored(kind, doc, version):
    """The document as we store it: nulls dropped in the documents our schemas check
    (backup metadata is kept as written), and what the v2 view adds (project_id,
    backup_uuid and the defaults status available, is_central false, which our v2 view adds
    back) not part of it."""
    doc = _without_nulls(doc) if kind != "backups" else dict(doc)
    if doc.get("project_id", "") is None:
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


def _check(kind, doc):
    """Our rules for a document that did not come through our API; raises a ServiceError
    (BadRequest) saying what is wrong."""
    from ..services import schedules
    from ..services.schemas import ACTION, CLIENT_INFO, JOB, SESSION
    from ..services.validation import validate
    if kind == "jobs":
        validate(JOB, doc)
        schedules.validate_schedule(doc.get("job_schedule") or {})
    elif kind == "actions":
        validate(ACTION, doc)
    elif kind == "sessions":
        validate(SESSION, doc)
        schedules.validate_schedule(doc.get("schedule") or {})
    elif kind == "clients":
        validate(CLIENT_INFO, doc.get("client") if isinstance(doc.get("client"), dict) else {},
                 "client")


def _models():
    from ..models import Action, Backup, Client, Job, Session
    return {"clients": Client, "actions": Action, "jobs": Job, "sessions": Session,
            "backups": Backup}


def write_page(source, kind, page, counts) -> list:
    """One page of new ids: checked, matched with what is here and with the import's marks
    in one query each per project, written (documents and marks) under one savepoint; a page
    the database refuses (a field longer than its column) is written again a document at a
    time, so only the refused ones are left out. Returns (project_id, id) of the documents
    now here as the source has them (new, updated or unchanged; not the kept ones)."""
    from ..extensions import db
    from ..models import ImportMark
    from ..services.errors import ServiceError
    model = _models()[kind]
    column = model.client_id if kind == "clients" else getattr(model, _ID_FIELDS[kind])
    ready = []
    for doc_id, listed in page:
        user_id, project_id = _owner(source, listed)
        doc = _stored(kind, listed, source.version)
        try:
            _check(kind, doc)
        except ServiceError as exc:
            counts["refused"].append((doc_id, exc.description))
            continue
        ready.append((doc_id, user_id, project_id, doc))

    def marked(project_id, ids):
        return ImportMark.query.filter(ImportMark.kind == kind,
                                       ImportMark.project_id == project_id,
                                       ImportMark.id_hash.in_([_id_hash(i) for i in ids]))
    here, marks = {}, {}
    for project_id in {p for _i, _u, p, _d in ready}:
        ids = [i for i, _u, p, _d in ready if p == project_id]
        for row in model.query.filter(model.project_id == project_id, column.in_(ids)):
            here[(project_id, row.doc_id)] = row
        for mark in marked(project_id, ids):
            marks[(project_id, mark.doc_id)] = mark
    try:
        with db.session.begin_nested():
            outcome = [(p, i, _write(kind, model, here.get((p, i)), marks.get((p, i)),
                                     u, p, i, d))
                       for i, u, p, d in ready]
            db.session.flush()
    except Exception:  # noqa: BLE001 - found again below, document by document
        outcome = []
        for doc_id, user_id, project_id, doc in ready:
            try:
                with db.session.begin_nested():
                    row = model.query.filter(model.project_id == project_id,
                                             column == doc_id).first()
                    mark = marked(project_id, [doc_id]).first()
                    result = _write(kind, model, row, mark, user_id, project_id, doc_id, doc)
                    db.session.flush()
                outcome.append((project_id, doc_id, result))
            except Exception as exc:  # noqa: BLE001 - one bad document, not the import
                counts["refused"].append((doc_id, str(getattr(exc, "orig", exc))[:200]))
    for _project_id, doc_id, result in outcome:
        if result in KEPT:
            counts["kept"].append((doc_id, result))
        else:
            counts[result] += 1
    return [(project_id, doc_id) for project_id, doc_id, result in outcome
            if result not in KEPT]


def sort_actions(imported: dict) -> None:
    """The rule of services.actions.mark_imported (an imported action an imported job names
    is that job's copy, the others library entries), for every action this run found here,
    new or not: a rerun after a failure sorts what the failed run wrote. In chunks: a
    source's action ids can outnumber what one IN list may hold."""
    from ..services import actions
    for project_id, ids in imported.items():
        ids = sorted(ids)
        for start in range(0, len(ids), 500):
            actions.mark_imported({project_id: set(ids[start:start + 500])})


CHANGED_HERE = "changed here since the import"
NOT_IMPORTED = "not from an import"
DELETED_HERE = "deleted here since the import"
KEPT = (CHANGED_HERE, NOT_IMPORTED, DELETED_HERE)


def _id_hash(doc_id) -> str:
    return hashlib.sha256(doc_id.encode("utf-8")).hexdigest()


def digest(doc) -> str:
    """The source's content as a mark remembers it: sha256 of canonical JSON."""
    text = json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write(kind, model, row, mark, user_id, project_id, doc_id, doc) -> str:
    """The rule of the module's docstring for one document: "new", "updated", "unchanged"
    or the reason it is kept as it is here (one of KEPT)."""
    from ..extensions import db
    from ..models import ImportMark
    source_digest = digest(doc)

    def remember(version):
        nonlocal mark
        if mark is None:
            mark = ImportMark(kind=kind, project_id=project_id, doc_id=doc_id,
                              id_hash=_id_hash(doc_id))
            db.session.add(mark)
        mark.version, mark.source_digest = version, source_digest

    if row is None:
        if mark is not None:
            return DELETED_HERE  # bringing it back would undo an operator's or agent's delete
        row = model(user_id=user_id, project_id=project_id, version=1)
        row.set_doc(doc)
        db.session.add(row)
        remember(1)
        return "new"
    if mark is not None and mark.source_digest == source_digest:
        return "unchanged"  # the source has not moved: whatever happened here stays
    if row.doc == doc:
        remember(row.version)  # both sides agree (or an import before the marks): ours
        return "unchanged"
    if mark is None:
        return NOT_IMPORTED
    if row.version != mark.version:
        return CHANGED_HERE
    row.set_doc(doc)
    row.bump()
    remember(row.version)
    return "updated"
