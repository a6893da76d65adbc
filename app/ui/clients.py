"""Clients: the registered agents, when each was last seen, what it can run."""
from flask import request
from flask_login import login_required

from ..models import Client
from ..services import documents
from . import blp, owner, page_args, queries, render


@blp.route("/clients")
@login_required
def clients():
    limit, offset = page_args()
    page = queries.clients_page(owner(), request.args, limit, offset)
    ids = [row.client_id for row in page.items]
    counts = queries.job_counts(owner(), ids)
    last_backup = queries.last_backup_by_host(owner(), [row.hostname for row in page.items])
    return render("clients/list.html", "clients/_table.html", page=page, args=request.args,
                  counts=counts, last_backup=last_backup)


@blp.route("/clients/<client_id>")
@login_required
def client_page(client_id):
    row = documents.get(Client, owner(), client_id)
    limit, offset = page_args(10)
    jobs = queries.jobs_for_client(owner(), client_id, limit, offset)
    backups = queries.backups_page(owner(), {"hostname": row.hostname}, 10, 0) \
        if row.hostname else None
    return render("clients/page.html", "clients/_jobs.html", client=row,
                  info=row.doc.get("client") or {}, jobs=jobs, backups=backups)
