"""``flask --app oer_portal materials …``: import and export in the interchange format."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from oer_portal.accounts import service as accounts
from oer_portal.accounts.models import User
from oer_portal.core import outbox
from oer_portal.core.errors import DomainError
from oer_portal.core.uow import current_uow, transactional
from oer_portal.materials import importers, interchange, licensing, linkcheck
from oer_portal.materials.models import MaterialKind
from oer_portal.materials.service import get_material, version_by_number
from oer_portal.materials.web import absolute_material_url

materials_cli = AppGroup("materials", help="Import and export materials.")


@materials_cli.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--as", "email", required=True, help="E-mail address of the importing user.")
def import_materials(path: Path, email: str) -> None:
    """Import a material folder, a folder of material folders, or a .zip of either; a
    Common Cartridge (.imscc) becomes an arrangement draft.

    Idempotent: unchanged materials are skipped, changed ones get a new version.  Each
    material is committed on its own, so an interrupted import can simply be run again.
    """
    importer = accounts.find_by_email(email)
    if importer is None:
        raise click.ClickException(_("No account with the e-mail address %(email)s.",
                                     email=email))
    package_importer = importers.importer_for(path)
    if package_importer is not None:
        _import_package(path, importer, package_importer)
        return
    sources = list(interchange.discover(path))
    uow = current_uow()
    with outbox.deferred(), click.progressbar(length=len(sources), label=_("Importing"),
                                              show_pos=True, show_eta=True) as bar:
        summary = interchange.import_path(
            path, importer, commit=uow.commit, rollback=uow.rollback,
            publisher=importer if importer.has_role("admin") else None,
            progress=lambda _name: bar.update(1))
    click.echo(_("%(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
                 "%(failed)d failed.", created=summary.created, updated=summary.updated,
                 unchanged=summary.unchanged, failed=len(summary.failed)))
    for name, reason in summary.failed:
        click.echo(f"  {name}: {reason}", err=True)
    if summary.failed:
        raise SystemExit(1)


def _import_package(path: Path, importer: User, package_importer: importers.PackageImporter
                    ) -> None:
    """One package (a ``.imscc``) becomes one new material, or nothing and exit 1."""
    uow = current_uow()
    try:
        with path.open("rb") as stream:
            made = package_importer(stream, importer)
        material_id, address = made.material.id, absolute_material_url(made.material)
        uow.commit()
    except DomainError as error:
        uow.rollback()
        raise click.ClickException(_("%(path)s was not imported: %(reason)s",
                                     path=path.name, reason=error.message)) from error
    click.echo(_("Created material %(id)d: %(url)s", id=material_id, url=address))
    for line in made.lines:
        click.echo(f"  {line}")


@materials_cli.command("export")
@click.argument("material_id", type=int)
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@click.option("--version", "number", type=int, default=None,
              help="Version number (default: the published version, else the latest).")
@transactional
def export_material(material_id: int, path: Path, number: int | None) -> None:
    """Write one material as a folder in the interchange format under PATH."""
    material = get_material(material_id)
    if material.kind == MaterialKind.ARRANGEMENT:
        raise click.ClickException(_("Material %(id)d is an arrangement; the interchange "
                                     "format holds single materials only.", id=material.id))
    version = (version_by_number(material.id, number) if number
               else material.published_version or material.latest_version)
    folder = interchange.export_material(material, version, path)
    click.echo(_("Exported version %(n)d to %(folder)s", n=version.number, folder=folder))


@materials_cli.command("check-licences")
@transactional
def check_licences() -> None:
    """List every version of a remix whose licence its sources do not allow (written before
    the rule was enforced on every save); exit 1 when there is any."""
    with click.progressbar(length=licensing.derived_count(), label=_("Checking"),
                           show_pos=True, file=sys.stderr) as bar:
        found = list(licensing.breaches(progress=lambda _material: bar.update(1)))
    for breach in found:
        sources = ", ".join(_("material %(id)d version %(n)d (%(licence)s)", id=m, n=n,
                              licence=licence) for m, n, licence in breach.sources)
        click.echo(_("Material %(id)d version %(n)d has %(licence)s; its source %(sources)s "
                     "allows only: %(allowed)s", id=breach.material_id, n=breach.version_number,
                     licence=breach.licence, sources=sources,
                     allowed=", ".join(breach.allowed) or "—"))
    click.echo(ngettext("%(num)d version breaks the licence rule.",
                        "%(num)d versions break the licence rule.", len(found)))
    if found:
        raise SystemExit(1)


@materials_cli.command("check-links")
@transactional
def check_links() -> None:
    """Check the web address of every published link and flag the dead ones for their owners
    (run it periodically, e.g. nightly from cron)."""
    dead = linkcheck.check_published_links(progress=lambda url: click.echo(f"  {url}"))
    click.echo(_("%(n)d dead links flagged.", n=len(dead)))
