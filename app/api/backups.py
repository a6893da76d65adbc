"""/v1/backups and /v2/{project_id}/backups: metadata agents post after each backup
(freezer-v1.md §4, freezer-v2.md §4)."""
from flask.views import MethodView
from werkzeug.routing import PathConverter

from ..auth.identity import current_identity
from ..models import Backup
from ..services import backups, documents
from . import both
from .conventions import (COMMON_ERRORS, ERROR, PRECONDITION, ListArgs, created, doc,
                          envelope, id_answer, if_match, item, listing, no_content,
                          request_json, search_from_request)
from .versioning import current


@both.route("/backups")
class Backups(MethodView):
    @both.arguments(ListArgs(), location="query")  # an instance: not rebuilt per request
    @both.doc(**doc(summary="List the caller's backups",
                    description="Search with a JSON body (match, match_not, time_after, "
                                "time_before) or the query filters; creation order.",
                    responses={200: ("The page", envelope("backups", "Backup")), **COMMON_ERRORS}))
    def get(self, args):
        scope = current().scope()
        rows = documents.list_texts(Backup, scope, search_from_request(args),
                                   args["limit"], args["offset"])
        return listing("backups", rows)

    @both.doc(**doc(summary="Record a backup's metadata",
                    description="v1: the id is container_hostname_backupname_timestamp_level; "
                                "posting the same backup again answers 409. v2: a new uuid4 "
                                "hex id; a top-level status (default available) is kept "
                                "beside the metadata.",
                    body="BackupMetadata",
                    responses={201: ("Created", id_answer("backup_id")),
                               409: ("Already recorded", ERROR), **COMMON_ERRORS}))
    def post(self):
        version = current()
        row = backups.create_backup(version.scope(), current_identity().user_name,
                                    request_json(), ids=version.backup_ids)
        return created("backup_id", row.backup_id)


class BackupIdConverter(PathConverter):
    """A backup id: any characters, slashes included, even leading ones, because the id
    starts with the container path (`/v1/backups//srv/backups_node1_data_1795744129_0`)."""

    regex = r"[\s\S]+?"  # line breaks too: such an id is refused with a 400 (services/ids.py), not a 404
    part_isolating = False


# The converter must be known before the route below is added to the app's URL map.
for _blueprint in (both.v1, both.v2):
    _blueprint.record_once(lambda state: state.app.url_map.converters.setdefault(
        "backup_id", BackupIdConverter))


@both.route("/backups/<backup_id:backup_id>", merge_slashes=False,
            v1_methods=["GET", "DELETE"], v2_methods=["GET", "PATCH", "DELETE"])
class BackupItem(MethodView):
    @both.doc(**doc(summary="One backup", responses={200: ("The backup", "Backup"),
                                                     404: ("No such backup", ERROR)}))
    def get(self, backup_id):
        scope = current().scope()
        return item(documents.read(Backup, scope, backup_id))

    @both.doc(**doc(summary="Merge metadata and status into a backup (v2 only)",
                    body="BackupPatch",
                    responses={200: ("The whole updated backup", "Backup"),
                               404: ("No such backup", ERROR), **COMMON_ERRORS}))
    def patch(self, backup_id):
        row = backups.patch(current().scope(), backup_id, request_json())
        return item(documents.stored(row))

    @both.doc(**doc(summary="Forget a backup's metadata",
                    responses={204: ("Deleted", None), 404: ("No such backup", ERROR),
                               **PRECONDITION}))
    def delete(self, backup_id):
        scope = current().scope()
        documents.delete(Backup, scope, backup_id, if_match())
        return no_content()
