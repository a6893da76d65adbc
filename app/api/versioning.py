"""What differs between /v1 and /v2, as parameters of the same views and services
(DECISIONS.md "Projects and v2"): whose documents a call reads (the user's, or the path
project's), how documents are shown (v2 adds `project_id`, a backup's `status` and
`backup_uuid`), how backups get their ids and whether a client may register again."""
import json
from dataclasses import dataclass

from .. import context
from ..auth.identity import current_identity
from ..services.errors import BadRequest, Forbidden
from ..services.scope import PROJECT_ID, Scope, per_project

PATH_PROJECT_KEY = "freezer.path_project"


@dataclass(frozen=True)
class ApiVersion:
    name: str
    #: v2: the path project's documents, shared by its users; v1: the caller's own
    per_project: bool
    #: v2 backups get a uuid4-hex id and a status; v1 the seed's composite id (409 on repeat)
    backup_ids: str
    #: v2 answers 201 to a client registering again in its project (and updates it)
    reregister: bool

    def scope(self) -> Scope:
        me = current_identity()
        if not self.per_project:
            return me.user_scope()
        return per_project(me.user_id, path_project(), me.privileged)

    def text(self, stored) -> str:
        """A stored document's JSON text as this version answers it: v1 as stored; v2 with
        its `project_id` spliced in (the poll stays a text join), decoded only for the
        kinds whose v2 shape differs more (Model.v2_view: backups, clients)."""
        if not self.per_project:
            return stored.text
        model = stored.model
        if model.V2_VIEW_DECODES or '"project_id"' in stored.text:
            doc = model.v2_view(json.loads(stored.text), stored.project_id)
            return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
        return splice(stored.text, "project_id", stored.project_id)


V1 = ApiVersion("v1", per_project=False, backup_ids="composite", reregister=False)
V2 = ApiVersion("v2", per_project=True, backup_ids="uuid", reregister=True)
_BY_BLUEPRINT = {"v1": V1, "v2": V2}


def splice(text: str, key: str, value) -> str:
    """A stored JSON object's text with one more top-level key (never one it has)."""
    encoded = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return f'{text[:-1]}{"," if text != "{}" else ""}"{key}":{encoded}}}'


def current() -> ApiVersion:
    return _BY_BLUEPRINT.get(context.current_request().blueprint, V1)


def take_path_project(endpoint, values):
    """url_value_preprocessor of the v2 blueprint: the views never see `project_id`."""
    if values is not None and "project_id" in values:
        context.environ()[PATH_PROJECT_KEY] = values.pop("project_id")


def path_project() -> str:
    return context.environ()[PATH_PROJECT_KEY]


def check_path_project():
    """before_request of the v2 blueprint (after the identity check, so 401 comes first): a
    malformed project is 400, another project than the caller's 403 unless privileged."""
    project_id = context.environ().get(PATH_PROJECT_KEY)
    if project_id is None:
        return
    if not PROJECT_ID.fullmatch(project_id):
        raise BadRequest(f"Invalid project id in the path: {project_id[:64]!r} (1 to 255 "
                         "letters, digits, _ and -)", errors={"project_id": "invalid"})
    me = current_identity()
    if project_id != me.project_id and not me.privileged:
        raise Forbidden(f"You are not allowed to access this resource: project {project_id} "
                        f"is not your project ({me.project_id})")
