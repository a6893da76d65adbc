"""Clients: the registered agents, when each was last seen, what it can run."""
from flask import current_app, request
from flask_login import login_required

from ..models import Client
from ..services import documents, history
from . import blp, charts, owner, page_args, queries, render
from .history import client_history


@blp.route("/clients")
@login_required
def clients():
    limit, offset = page_args()
    page = queries.clients_page(owner(), request.args, limit, offset)
    ids = [row.client_id for row in page.items]
    counts = queries.job_counts(owner(), ids)
    last_backup = queries.last_backup_by_host(owner(), [row.hostname for row in page.items])
    silent_minutes = current_app.config.get("DASHBOARD_SILENT_MINUTES", 60)
    volumes = history.volume_by_host(owner(), [row.hostname for row in page.items])
    return render("clients/list.html", "clients/_table.html", page=page, args=request.args,
                  counts=counts, last_backup=last_backup,
                  last_success=history.last_success_by_client(owner(), ids),
                  silent_before=queries.silent_since(silent_minutes),
                  silent_minutes=silent_minutes,
                  volume_charts={h: charts.bars("MB backed up per day, last 14 days", v,
                                                [""] * len(v), "MB", ["volume"] * len(v),
                                                width=84, height=20)
                                 for h, v in volumes.items()})


@blp.route("/clients/<client_id>")
@login_required
def client_page(client_id):
    row = documents.get(Client, owner(), client_id)
    limit, offset = page_args(10)
    jobs = queries.jobs_for_client(owner(), client_id, limit, offset)
    backups = queries.backups_page(owner(), {"hostname": row.hostname}, 10, 0) \
        if row.hostname else None
    silent_minutes = current_app.config.get("DASHBOARD_SILENT_MINUTES", 60)
    return render("clients/page.html", "clients/_jobs.html", client=row,
                  info=row.doc.get("client") or {}, jobs=jobs, backups=backups,
                  client_history=client_history(row), silent_minutes=silent_minutes,
                  silent=row.last_seen is None or
                  row.last_seen < queries.silent_since(silent_minutes))
