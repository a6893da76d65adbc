"""`flask projects move-owner`: one owner's documents into a project (services/projects.py)."""
import click
from flask.cli import AppGroup

from ..extensions import db
from ..services import projects
from ..services.errors import ServiceError

projects_cli = AppGroup("projects", help="Projects: who shares documents through v2.")


@projects_cli.command("move-owner")
@click.argument("user_id")
@click.argument("project_id")
@click.option("--documents-only", is_flag=True,
              help="Leave the operator account with that user id in its project.")
def move_owner(user_id, project_id, documents_only):
    """Move every document and run of USER_ID (and the account with that owner id) into
    PROJECT_ID. All or nothing: an id the project already holds stops the move."""
    try:
        moved = projects.move_owner(user_id, project_id, with_account=not documents_only)
    except ServiceError as exc:
        db.session.rollback()
        raise click.ClickException(exc.description) from None
    db.session.commit()
    click.echo(f"moved into project {project_id}: "
               + ", ".join(f"{count} {table}" for table, count in moved.items()))


def init_app(app):
    app.cli.add_command(projects_cli)
