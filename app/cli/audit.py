"""`flask audit list|purge`: read the audit trail, apply its retention (AUDIT_KEEP_DAYS)."""
from datetime import datetime, timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from .. import clock
from ..audit import trail
from ..auth import throttle
from ..extensions import db

audit_cli = AppGroup("audit", help="The audit trail of security-relevant events.")


@audit_cli.command("list")
@click.option("--actor", default="", help="Only this operator's events (a username).")
@click.option("--event", default="", help='One event, or a family ending in "." (token.).')
@click.option("--days", type=click.IntRange(min=1), default=None, help="Only the last D days.")
@click.option("--limit", type=click.IntRange(1, trail.MAX_PAGE), default=50, show_default=True)
def list_events(actor, event, days, limit):
    """Newest first: when (UTC), who, through what, from where, what, request id."""
    since = clock.utcnow() - timedelta(days=days) if days else None
    rows = trail.page(trail.Filters(actor=actor, event=event, since=since), limit)
    if not rows:
        click.echo("no audit events")
        return
    for row in rows:
        click.echo(f"{row.at:%Y-%m-%d %H:%M:%S}  {row.actor:<16} {row.via:<9} "
                   f"{row.address or '-':<15} {row.event:<18} {row.target or '-'}  "
                   f"{row.detail or ''}  {row.request_id or '-'}".rstrip())


@audit_cli.command("purge")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="Keep the last D days (default AUDIT_KEEP_DAYS).")
def purge(days):
    """Delete audit events older than the retention, and expired sign-in failure counts."""
    days = days or current_app.config["AUDIT_KEEP_DAYS"]
    deleted = trail.purge(days)
    counts = throttle.purge(timedelta(days=1))
    db.session.commit()
    click.echo(f"deleted {deleted} audit events older than {days} days "
               f"({counts} expired failure counts)")


def init_app(app):
    app.cli.add_command(audit_cli)
