"""The nav's search box: one page of jobs, clients, sessions and backups of the
operator's project that match (app/services/finder.py)."""
from flask import request
from flask_login import login_required

from ..services import finder
from . import blp, owner, render


@blp.route("/search")
@login_required
def search():
    term = (request.args.get("q") or "").strip()[:finder.MAX_TERM]
    results = finder.find(owner(), term)
    return render("search/page.html", term=term, results=results,
                  recent=finder.RECENT, per_kind=finder.PER_KIND)
