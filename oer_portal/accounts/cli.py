"""``flask --app oer_portal users …``: account administration from the command line."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from oer_portal.accounts import confirmation, service
from oer_portal.accounts.models import ROLE_VALUES, Role
from oer_portal.core.errors import ValidationError
from oer_portal.core.uow import transactional

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("create")
@click.option("--email", required=True, help="Login e-mail address (kept private).")
@click.option("--name", required=True, help="Public display name.")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLE_VALUES),
              default=("student",), show_default=True, help="Repeat for several roles.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input instead of prompting.")
@transactional
def create_user(email: str, name: str, roles: tuple[str, ...], password_stdin: bool) -> None:
    """Create an account with the given roles."""
    if password_stdin:
        password = sys.stdin.read().rstrip("\r\n")
    else:
        password = click.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    try:
        user = service.create_user(email, name, password, [Role(r) for r in roles])
    except ValidationError as error:
        raise click.ClickException(error.message) from error
    click.echo(_("Created user %(id)s <%(email)s> with roles %(roles)s.",
                 id=user.id, email=user.email, roles=", ".join(sorted(roles))))


@users_cli.command("purge-unconfirmed")
@click.option("--days", type=click.IntRange(min=0), default=None,
              help="Age in days (default: UNCONFIRMED_ACCOUNT_DAYS, 7).")
@transactional
def purge_unconfirmed(days: int | None) -> None:
    """Remove self-registered accounts whose address was never confirmed."""
    removed = confirmation.purge_unconfirmed(days)
    click.echo(_("Removed %(count)d unconfirmed accounts.", count=removed))


@users_cli.command("prune-sessions")
@transactional
def prune_sessions() -> None:
    """Delete login sessions that are over (idle too long); cron may run it daily."""
    from oer_portal.accounts import sessions

    count = sessions.prune()
    click.echo(ngettext("%(num)d session ended.", "%(num)d sessions ended.", count))
