"""`flask runs prune`: the run history's retention (RUNS_KEEP_LAST, RUNS_KEEP_DAYS)."""
import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..services import runs

runs_cli = AppGroup("runs", help="Job run history.")


@runs_cli.command("prune")
@click.option("--keep", type=click.IntRange(min=0), default=None,
              help="Keep the last N runs of each job (default RUNS_KEEP_LAST; 0: no count limit).")
@click.option("--days", type=click.IntRange(min=0), default=None,
              help="Keep runs started in the last D days (default RUNS_KEEP_DAYS; 0: no age limit).")
def prune(keep, days):
    """Delete ended runs beyond both limits, and runs of deleted jobs. Running runs stay."""
    keep = current_app.config["RUNS_KEEP_LAST"] if keep is None else keep
    days = current_app.config["RUNS_KEEP_DAYS"] if days is None else days
    deleted = runs.prune(keep_last=keep, keep_days=days)
    db.session.commit()
    click.echo(f"deleted {deleted} runs (kept: the last {keep or 'all'} of each job, "
               f"and every run of the last {days or 'any number of'} days)")


def init_app(app):
    app.cli.add_command(runs_cli)
