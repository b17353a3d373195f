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
    target = Path(current_app.instance_path) / "demo-accounts.txt"
    if db.session.scalar(select(func.count()).select_from(User)):
        click.echo(_("The portal already has accounts; no demo accounts created."))
        if target.exists():
            click.echo(_("The demo accounts' passwords are in %(path)s.", path=target))
        return
    lines = []
    for email, name, roles in DEMO_ACCOUNTS:
        password = secrets.token_urlsafe(12)
        service.create_user(email, name, password, roles)
        lines.append(f"{', '.join(r.value for r in roles):<16} {email:<22} {password}")
    text = _("Demo accounts (role, e-mail, password):") + "\n" + "\n".join(lines) + "\n"
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
    _load_arrangement(teacher, admin)
    uow.commit()


#: The demo arrangement: (section title, own page title, own page text, external ids of the
#: demo lessons it includes).  Written for the project, like the lessons.
DEMO_ARRANGEMENT = (
    ("Het klimaat lezen", "Waar gaat deze reeks over?",
     "In drie lessen onderzoek je hoe klimaat, water en leven samenhangen. Je begint met "
     "het lezen van een klimaatgrafiek: **temperatuur** en **neerslag** door het jaar.",
     ("demo-reading-climate-graph",)),
    ("Water in Nederland", "Waarom moeten we ons water beheren?",
     "Een kwart van Nederland ligt onder zeeniveau. Bedenk eerst zelf: wat zou er gebeuren "
     "als de gemalen een week stil stonden? Lees daarna de les.",
     ("demo-waterbeheer-nederland",)),
    ("Leven en licht", "Afsluiting",
     "Planten hebben licht en water nodig. Leg in vijf zinnen uit hoe het klimaat van een "
     "plek bepaalt welke planten er goed groeien.",
     ("demo-fotosynthese-drie-stappen",)),
)


def _load_arrangement(teacher: User, admin: User) -> None:
    """An arrangement of three demo lessons with pages of its own, published."""
    from oer_portal.arrangements import service as arrangements
    from oer_portal.arrangements.structure import Node, NodeKind
    from oer_portal.materials import lifecycle
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialVersion

    ids = dict(db.session.execute(select(Material.external_id, Material.id)).all())
    outline: list[Node] = []
    for section, page_title, page_text, included in DEMO_ARRANGEMENT:
        outline.append(Node(NodeKind.SECTION, 0, section))
        outline.append(Node(NodeKind.PAGE, 1, page_title, page_text))
        outline.extend(Node(NodeKind.MATERIAL, 1, material_id=ids[external_id])
                       for external_id in included if external_id in ids)
    material = arrangements.create_arrangement(teacher, VersionFields(
        title="Klimaat, water en leven: een lessenreeks",
        description="Drie lessen aardrijkskunde en biologie in één reeks, met opdrachten.",
        body="Een lessenreeks voor de onderbouw van havo en vwo.", language="nl",
        licence="CC-BY-4.0", subjects=("geography", "biology"), levels=("havo", "vwo"),
        keywords=("klimaat", "water", "fotosynthese")), outline)
    db.session.flush()
    lifecycle.publish(material, db.session.get(MaterialVersion, material.latest_version_id),
                      admin)
    click.echo(_("1 demo arrangement published."))
