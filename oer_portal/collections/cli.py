"""``flask --app oer_portal collections …``: register, list, harvest and remove collections.

``harvest`` commits once per collection (one transaction each: a collection that fails leaves
the others' harvests in place); it is also what cron runs where several processes serve the
portal (the embedded server harvests from a background thread, ``collections/worker.py``).
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from flask_babel import format_datetime
from flask_babel import gettext as _

from oer_portal.collections import service
from oer_portal.collections.models import PREFIXES
from oer_portal.collections.policy import OPERATOR
from oer_portal.core.errors import DomainError
from oer_portal.core.uow import current_uow, transactional

collections_cli = AppGroup("collections", help="Harvest other collections over OAI-PMH.")


@collections_cli.command("add")
@click.argument("name")
@click.argument("oai_base_url")
@click.option("--prefix", type=click.Choice(PREFIXES), default="oai_dc", show_default=True,
              help="The metadata format to harvest.")
@click.option("--set", "set_spec", default=None, help="Harvest only this set (its setSpec).")
@transactional
def add(name: str, oai_base_url: str, prefix: str, set_spec: str | None) -> None:
    """Register a collection; ``collections harvest NAME`` fetches its records."""
    try:
        collection = service.add_collection(OPERATOR, name, oai_base_url, prefix, set_spec)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(_("Added collection “%(name)s” (%(url)s, %(prefix)s).", name=collection.name,
                 url=collection.base_url, prefix=collection.metadata_prefix))


def _when(moment: object) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm") if moment else "-"


@collections_cli.command("list")
def list_() -> None:
    """Every collection: name, URL, format, set, records, last success and last error."""
    rows = service.list_collections(OPERATOR)
    if not rows:
        click.echo(_("No collections yet: add one with “collections add NAME URL”."))
        return
    click.echo("\t".join((_("Name"), _("OAI-PMH base URL"), _("Metadata format"), _("Set"),
                          _("Records in the search"), _("Last successful harvest"),
                          _("Last error"))))
    for row in rows:
        click.echo("\t".join((row.name, row.base_url, row.prefix, row.set_spec or "-",
                              str(row.records), _when(row.last_success_at),
                              row.last_error or "-")))


@collections_cli.command("harvest")
@click.argument("name", required=False)
def harvest(name: str | None) -> None:
    """Harvest one collection, or all of them; exit 1 when any failed."""
    uow = current_uow()
    try:
        ids = ([service.collection_by_name(OPERATOR, name).id] if name
               else service.collection_ids(OPERATOR))
    except DomainError as error:
        raise click.ClickException(error.message) from error
    uow.rollback()
    if not ids:
        click.echo(_("No collections yet: add one with “collections add NAME URL”."))
    failed = 0
    for collection_id in ids:
        outcome = _harvest_one(collection_id)
        if outcome.ok:
            click.echo(_("%(name)s: %(added)d new, %(updated)d updated, %(deleted)d deleted.",
                         name=outcome.name, added=outcome.added, updated=outcome.updated,
                         deleted=outcome.deleted))
        else:
            failed += 1
            click.echo(_("%(name)s: harvest failed: %(error)s", name=outcome.name,
                         error=outcome.error), err=True)
    if failed:
        sys.exit(1)


def _harvest_one(collection_id: int) -> service.HarvestOutcome:
    """One collection in its own transaction; an unexpected error rolls it back and is
    recorded on the collection in a commit of its own."""
    uow = current_uow()

    def seen(count: int) -> None:
        click.echo(_("… %(n)d records fetched", n=count), err=True)

    try:
        outcome = service.harvest(OPERATOR, collection_id, progress=seen)
        uow.commit()
        return outcome
    except Exception as error:
        uow.rollback()
        message = f"{type(error).__name__}: {error}"
        service.record_failure(collection_id, message)
        uow.commit()
        return service.HarvestOutcome(collection_id, str(collection_id), error=message)


@collections_cli.command("remove")
@click.argument("name")
@transactional
def remove(name: str) -> None:
    """Remove a collection and its records (from the search too)."""
    try:
        collection = service.collection_by_name(OPERATOR, name)
        removed = service.remove_collection(OPERATOR, collection.id)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    click.echo(_("Removed collection “%(name)s” and its records.", name=removed))
