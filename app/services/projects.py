"""Moving one owner's documents into a project (DECISIONS.md "Projects and v2"): e.g. the
documents a Keystone user wrote through v1 before projects existed, into that user's
Keystone project, so v2 agents of the project see them."""
from sqlalchemy import select, update

from ..extensions import db
from ..models import Action, Backup, Client, Job, Run, Session, User
from .errors import BadRequest, Conflict

DOCUMENTS = (Action, Backup, Client, Job, Session)


def _clashes(model, user_id: str, project_id: str) -> list[str]:
    """Ids of the owner's documents that another document already holds in the project."""
    key = model.id_hash if hasattr(model, "id_hash") else getattr(model, model.ID_FIELD)
    mine = select(key).where(model.user_id == user_id, model.project_id != project_id)
    theirs = select(getattr(model, model.ID_FIELD)).where(model.project_id == project_id,
                                                          key.in_(mine)).limit(5)
    return list(db.session.scalars(theirs))


def move_owner(user_id: str, project_id: str, with_account: bool = True) -> dict[str, int]:
    """Every document (and run) of `user_id` moves to `project_id`, all or nothing: an id
    the project already holds is a conflict (ids are unique per project). With
    `with_account`, an account with that user id moves to the project too. Returns the
    number of rows moved per table."""
    from ..auth.accounts import OWNER_ID
    if not OWNER_ID.fullmatch(project_id or ""):
        raise BadRequest("A project id is 1 to 255 letters, digits, _ and -",
                         errors={"project_id": "invalid"})
    for model in DOCUMENTS:
        clashes = _clashes(model, user_id, project_id)
        if clashes:
            raise Conflict(f"Project {project_id} already has {model.__tablename__} with the "
                           f"ids {', '.join(clashes)}: nothing was moved")
    moved = {}
    for model in (*DOCUMENTS, Run):
        stmt = update(model).where(model.user_id == user_id, model.project_id != project_id)
        moved[model.__tablename__] = db.session.execute(
            stmt.values(project_id=project_id)).rowcount
    if with_account:
        moved["users"] = db.session.execute(
            update(User).where(User.user_id == user_id).values(project_id=project_id)).rowcount
    db.session.flush()
    return moved
