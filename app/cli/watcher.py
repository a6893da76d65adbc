"""`flask watcher run` (the loop `make run` and deploy/freezer-watcher.service start) and
`flask watcher tick` (one tick, e.g. from cron or a test)."""
import json
import logging

import click
from flask import current_app
from flask.cli import AppGroup

from ..services.notify import watcher

watcher_cli = AppGroup("watcher", help="Notifications: evaluate the rules, deliver notices.")


@watcher_cli.command("run")
@click.option("--interval", type=click.FloatRange(min=0.1), default=None,
              help="Seconds between ticks (default WATCHER_INTERVAL).")
def run(interval):
    """Evaluate the rules and deliver notices every few seconds until stopped."""
    level = current_app.config.get("LOG_LEVEL", "INFO")
    logging.basicConfig(level=level,
                        format="%(asctime)s watcher %(levelname)s %(name)s: %(message)s")
    logging.getLogger("app").setLevel(level)
    watcher.run(interval or current_app.config["WATCHER_INTERVAL"])


@watcher_cli.command("tick")
def tick():
    """One tick; prints what it did as JSON."""
    click.echo(json.dumps(watcher.tick()))


def init_app(app):
    app.cli.add_command(watcher_cli)
