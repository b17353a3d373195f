"""``flask --app oer_portal demo load``: demo accounts for a first look at the portal.

Runs on every ``make run`` but creates the accounts only once (when the portal has no users),
prints their passwords and keeps a copy in ``instance/demo-accounts.txt`` (readable by the
owner only), so the passwords can be found again.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from sqlalchemy import func, select

from oer_portal.accounts import service
from oer_portal.accounts.models import Role, User
from oer_portal.core import outbox
from oer_portal.core.uow import current_uow, transactional
from oer_portal.extensions import db
from oer_portal.materials import interchange
from oer_portal.materials.models import Material

demo_cli = AppGroup("demo", help="Demo content for a first look.")

DEMO_ACCOUNTS = (
    ("admin@example.org", "Anne Admin", (Role.ADMIN, Role.MODERATOR)),
    ("teacher@example.org", "Tom Teacher", (Role.TEACHER,)),
    ("student@example.org", "Sara Student", (Role.STUDENT,)),
)


DEMO_CONTENT = Path(__file__).parent / "demo_content"


@demo_cli.command("load")
def load() -> None:
    """Demo accounts (into a portal without users) and demo lessons (into one without
    materials): written by the demo teacher, published by the demo admin."""
    _load_accounts()
    _load_lessons()


@transactional
def _load_accounts() -> None:
    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo(_("The portal already has accounts; no demo accounts created."))
        return
    lines = []
    for email, name, roles in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)
        service.create_user(email, name, password, roles)
        lines.append(f"{', '.join(r.value for r in roles):<16} {email:<22} {password}")
    text = _("Demo accounts (role, e-mail, password):") + "\n" + "\n".join(lines) + "\n"
    target = Path(current_app.instance_path) / "demo-accounts.txt"
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    click.echo(text + _("(also written to %(path)s)", path=target))


def _load_lessons() -> None:
    if db.session.scalar(select(func.count()).select_from(Material)):
        return
    teacher = service.find_by_email(DEMO_ACCOUNTS[1][0])
    admin = service.find_by_email(DEMO_ACCOUNTS[0][0])
    if teacher is None or admin is None:
        return
    uow = current_uow()
    with outbox.deferred():
        summary = interchange.import_path(DEMO_CONTENT, teacher, commit=uow.commit,
                                          rollback=uow.rollback, publisher=admin)
    click.echo(_("%(n)d demo lessons published.", n=summary.created))
    for name, reason in summary.failed:
        click.echo(f"  {name}: {reason}", err=True)
