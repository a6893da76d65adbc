"""Whose documents a service call reads and in whose name it writes (DECISIONS.md,
"Projects and v2"): v1 reads per user, exactly as before projects; v2 and the dashboard per
project, every user of the project sharing its documents. Writes stamp both the user and
the project. The API versions differ only in the Scope they hand the same services."""
import re
from dataclasses import dataclass, replace

from sqlalchemy import bindparam, true

# a project id as Keystone and our accounts make them (v2 paths, the dashboard's switch)
PROJECT_ID = re.compile(r"[A-Za-z0-9_-]{1,255}")  # fullmatch


@dataclass(frozen=True)
class Scope:
    user_id: str
    project_id: str
    #: reads see every document of the project (v2, dashboard), else the user's own (v1)
    per_project: bool = False
    #: admin or service caller (Keystone roles admin/service; admin accounts in token mode)
    privileged: bool = False
    #: a privileged v2 job read across every project (`all_projects=true`)
    all_projects: bool = False

    def where(self, model):
        """The SQL condition for the documents this scope reads (and may change)."""
        if not self.per_project:
            return model.user_id == self.user_id
        if self.all_projects and self.privileged:
            return true()
        return model.project_id == self.project_id

    @property
    def reads(self) -> tuple[str, str | None]:
        """`where` as data, for statements built once (documents.read): the column the
        scope compares (None: every row) and the value, bound as the parameter `scope`."""
        if not self.per_project:
            return "user_id", self.user_id
        if self.all_projects and self.privileged:
            return None, None
        return "project_id", self.project_id

    @staticmethod
    def bound_where(model, column: str | None):
        """The condition of `reads` with its value as the bound parameter `scope`."""
        if column is None:
            return true()
        return model.__table__.c[column] == bindparam("scope")

    def stamp(self, model, **columns):
        """A new row written in this scope's name."""
        return model(user_id=self.user_id, project_id=self.project_id, **columns)

    def across_projects(self) -> "Scope":
        """The same caller reading every project, when privileged (ignored otherwise)."""
        return replace(self, all_projects=self.privileged)

    def in_project(self, project_id: str) -> "Scope":
        return replace(self, project_id=project_id)


def per_user(user_id: str, project_id: str | None = None, privileged: bool = False) -> Scope:
    """v1: the user's own documents; new ones go to the user's project."""
    return Scope(user_id, project_id or user_id, per_project=False, privileged=privileged)


def per_project(user_id: str, project_id: str, privileged: bool = False) -> Scope:
    """v2 and the dashboard: the project's documents, whoever wrote them."""
    return Scope(user_id, project_id, per_project=True, privileged=privileged)
