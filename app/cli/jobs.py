"""`flask jobs refresh-next-run`: recompute every job's stored next fire time."""
import click
from flask.cli import AppGroup

from ..services import forecast, schedules

jobs_cli = AppGroup("jobs", help="Jobs' stored computed columns.")


@jobs_cli.command("refresh-next-run")
def refresh_next_run():
    """Recompute jobs.next_run_at in SCHEDULE_TIMEZONE and record that zone. Run it after
    changing SCHEDULE_TIMEZONE: until then the forecast expands every job's schedule."""
    last = forecast.refresh_all()
    click.echo(f"next_run_at recomputed for every job (up to pk {last}) "
               f"in {schedules.zone().key}")


def init_app(app):
    app.cli.add_command(jobs_cli)
