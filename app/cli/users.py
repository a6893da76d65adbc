"""`flask users ...` and `flask tokens ...`: operator accounts and API tokens from a shell."""
import click
from flask import current_app
from flask.cli import AppGroup

from config import local_url

from ..auth import accounts, tokens
from ..extensions import db
from ..services.errors import ServiceError

users_cli = AppGroup("users", help="Operator accounts (dashboard sign-in, token owners).")
tokens_cli = AppGroup("tokens", help="API tokens for agents (X-Auth-Token).")


def _fail(exc: ServiceError):
    db.session.rollback()
    raise click.ClickException(exc.description)


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "-"


@users_cli.command("create")
@click.argument("username")
@click.option("--admin", is_flag=True, help="Make the operator an administrator.")
@click.option("--password", help="The password (prompted for when omitted).")
@click.option("--user-id", help="Owner id to use instead of a new one, e.g. the Keystone user "
                                "id whose documents this operator should see.")
@click.option("--project", "project_id",
              help="The project the operator works in (default: one of its own). Accounts "
                   "given the same project share its documents through v2 and the dashboard.")
def create_user(username, admin, password, user_id, project_id):
    """Create an operator account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create(username, password, is_admin=admin, user_id=user_id,
                               project_id=project_id)
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"created operator {user.username} (owner id {user.user_id}, project "
               f"{user.project_id}{', admin' if user.is_admin else ''})")


@users_cli.command("list")
def list_users():
    """List operator accounts."""
    rows = accounts.list_users()
    if not rows:
        click.echo("no operators yet: flask --app wsgi users create NAME")
        return
    click.echo(f"{'USERNAME':<24} {'OWNER ID':<34} {'PROJECT':<34} {'ADMIN':<6} "
               f"{'CREATED (UTC)':<20} STATUS")
    for user in rows:
        status = f"disabled {_when(user.disabled_at)}" if user.disabled_at else "active"
        click.echo(f"{user.username:<24} {user.user_id:<34} {user.project_id:<34} "
                   f"{'yes' if user.is_admin else 'no':<6} {_when(user.created_at):<20} {status}")


@users_cli.command("set-password")
@click.argument("username")
@click.option("--password", help="The new password (prompted for when omitted).")
def set_password(username, password):
    """Change an operator's password (signs out their other dashboard sessions)."""
    if accounts.find(username) is None:
        raise click.ClickException(f"no operator named {username!r}")
    if password is None:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True)
    try:
        accounts.set_password(username, password)
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"password changed for {username}")


def _lifecycle(change, username, done: str):
    try:
        change(username)
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(done)


@users_cli.command("disable")
@click.argument("username")
def disable_user(username):
    """Disable an operator: no sign-in; their sessions end and their tokens answer 401
    at once (enable brings the tokens back, not the sessions)."""
    _lifecycle(accounts.disable, username,
               f"{username} is disabled: signed out everywhere, tokens refused")


@users_cli.command("enable")
@click.argument("username")
def enable_user(username):
    """Enable a disabled operator again (their unrevoked tokens work again)."""
    _lifecycle(accounts.enable, username, f"{username} is enabled")


@users_cli.command("delete")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_user(username, yes):
    """Delete an operator with their tokens and sessions (their documents stay, under
    their owner id)."""
    if not yes and not click.confirm(
            f"Delete operator {username} and all their tokens?"):
        raise click.ClickException("nothing deleted")
    _lifecycle(accounts.delete, username, f"operator {username} deleted")


@users_cli.command("bootstrap")
@click.option("--url", default=None, help="Where the dashboard is served (for the message).")
def bootstrap(url):
    """On an empty database, create the operator `admin` with a random password and print
    how to sign in. Otherwise do nothing (safe to run on every start)."""
    made = accounts.bootstrap_admin()
    if made is None:
        return
    db.session.commit()
    user, password = made
    url = (url or local_url(current_app.config) or "http://<this server>").rstrip("/")
    click.echo("")
    click.echo("First start: created the operator account 'admin'.")
    click.echo(f"  sign in at  {url}/auth/login")
    click.echo("  username    admin")
    click.echo(f"  password    {password}")
    click.echo("This password is shown only now. Change it with:")
    click.echo("  .venv/bin/flask --app wsgi users set-password admin")
    click.echo("Agents need an API token: create one on the Tokens page or with")
    click.echo("  .venv/bin/flask --app wsgi tokens create admin --label NAME")
    click.echo("")


@tokens_cli.command("create")
@click.argument("username")
@click.option("--label", default="", help="What the token is for, e.g. the agent's host.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but the token.")
def create_token(username, label, quiet):
    """Issue an API token, printed once. The token alone goes to stdout and the note about
    it to stderr, so TOKEN=$(flask --app wsgi tokens create NAME) captures just the token."""
    try:
        user = accounts.get(username)
        row, plain = tokens.issue(user, label)
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    if not quiet:
        click.echo(f"token {row.id} for {user.username}"
                   f"{' (' + row.label + ')' if row.label else ''}; it is not stored and "
                   f"cannot be shown again:", err=True)
    click.echo(plain)


@tokens_cli.command("list")
@click.argument("username")
def list_tokens(username):
    """List an operator's tokens (never their values)."""
    try:
        user = accounts.get(username)
    except ServiceError as exc:
        _fail(exc)
    rows = tokens.list_for(user)
    if not rows:
        click.echo(f"{username} has no tokens")
        return
    click.echo(f"{'ID':>5}  {'LABEL':<30} {'CREATED (UTC)':<20} {'LAST USED':<20} STATUS")
    for row in rows:
        status = f"revoked {_when(row.revoked_at)}" if row.revoked_at else "active"
        click.echo(f"{row.id:>5}  {row.label or '-':<30} {_when(row.created_at):<20} "
                   f"{_when(row.last_used_at):<20} {status}")


@tokens_cli.command("revoke")
@click.argument("token_id", type=int, required=False)
@click.option("--all", "all_of", metavar="USERNAME", help="Revoke every token of this operator.")
def revoke_token(token_id, all_of):
    """Revoke a token by id (or --all USERNAME): agents using it get 401 from now on."""
    if (token_id is None) == (all_of is None):
        raise click.UsageError("give a TOKEN_ID or --all USERNAME")
    try:
        if all_of is not None:
            count = tokens.revoke_all(accounts.get(all_of))
        else:
            row = tokens.revoke(token_id)
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"{count} tokens of {all_of} revoked" if all_of is not None else
               f"token {row.id} revoked")


def init_app(app):
    app.cli.add_command(users_cli)
    app.cli.add_command(tokens_cli)
