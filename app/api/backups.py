"""/v1/backups: metadata agents post after each backup (freezer-v1.md §4)."""
from flask.views import MethodView
from werkzeug.routing import PathConverter

from ..auth.identity import current_identity
from ..models import Backup
from ..services import backups, documents
from . import blp
from .conventions import (COMMON_ERRORS, ERROR, PRECONDITION, ListArgs, created, doc,
                          envelope, id_answer, if_match, item, listing, no_content,
                          request_json, search_from_request)


@blp.route("/backups")
class Backups(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.doc(**doc(summary="List the caller's backups",
                   description="Search with a JSON body (match, match_not, time_after, "
                               "time_before) or the query filters; creation order.",
                   responses={200: ("The page", envelope("backups", "Backup")), **COMMON_ERRORS}))
    def get(self, args):
        me = current_identity()
        rows = documents.list_texts(Backup, me.user_scope(), search_from_request(args),
                                   args["limit"], args["offset"])
        return listing("backups", rows)

    @blp.doc(**doc(summary="Record a backup's metadata",
                   description="The id is container_hostname_backupname_timestamp_level; "
                               "posting the same backup again answers 409.",
                   body="BackupMetadata",
                   responses={201: ("Created", id_answer("backup_id")),
                              409: ("Already recorded", ERROR), **COMMON_ERRORS}))
    def post(self):
        me = current_identity()
        row = backups.create_backup(me.user_scope(), me.user_name, request_json())
        return created("backup_id", row.backup_id)


class BackupIdConverter(PathConverter):
    """A backup id: any characters, slashes included, even leading ones, because the id
    starts with the container path (`/v1/backups//srv/backups_node1_data_1795744129_0`)."""

    regex = r"[\s\S]+?"  # line breaks too: such an id is refused with a 400 (services/ids.py), not a 404
    part_isolating = False


# The converter must be known before the route below is added to the app's URL map.
blp.record_once(lambda state: state.app.url_map.converters.setdefault("backup_id",
                                                                       BackupIdConverter))


@blp.route("/backups/<backup_id:backup_id>", merge_slashes=False)
class BackupItem(MethodView):
    @blp.doc(**doc(summary="One backup", responses={200: ("The backup", "Backup"),
                                                    404: ("No such backup", ERROR)}))
    def get(self, backup_id):
        me = current_identity()
        return item(documents.read(Backup, me.user_scope(), backup_id))

    @blp.doc(**doc(summary="Forget a backup's metadata",
                   responses={204: ("Deleted", None), 404: ("No such backup", ERROR),
                              **PRECONDITION}))
    def delete(self, backup_id):
        me = current_identity()
        documents.delete(Backup, me.user_scope(), backup_id, if_match())
        return no_content()
