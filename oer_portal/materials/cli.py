"""``flask --app oer_portal materials …``: import and export in the interchange format, and
export in the formats other features register (``exports.py``)."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from oer_portal.accounts import service as accounts
from oer_portal.accounts.models import User
from oer_portal.accounts.policy import PUBLIC, Actor
from oer_portal.core import outbox
from oer_portal.core.errors import DomainError, NotFound
from oer_portal.core.uow import current_uow, transactional
from oer_portal.materials import (
    exports,
    importers,
    interchange,
    licensing,
    linkcheck,
    remote_images,
    rerender,
)
from oer_portal.materials.models import MaterialKind
from oer_portal.materials.service import get_material, version_by_number
from oer_portal.materials.web import absolute_material_url

#: The format the materials package writes itself; the others register in ``exports.py``.
INTERCHANGE = "interchange"

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
    # The lessons' images from other sites, once for the whole import (not after each one).
    remote_images.fetch_pending()
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
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--version", "number", type=int, default=None,
              help="Version number (default: the published version, else the latest).")
@click.option("--format", "format_name", default=INTERCHANGE, show_default=True,
              help="interchange (a folder), imscc (IMS Common Cartridge) or html (web pages "
                   "in a ZIP).")
@click.option("--as", "email", default=None,
              help="imscc and html: export what this user may see (default: the public).")
@click.option("--base-url", default=None,
              help="imscc and html: the portal's address for links back (default: "
                   "PORTAL_URL).")
@transactional
def export_material(material_id: int, path: Path, number: int | None, format_name: str,
                    email: str | None, base_url: str | None) -> None:
    """Write one material under PATH: a folder in the interchange format, or with --format
    imscc/html an archive (PATH a folder to write <slug>.imscc or <slug>.zip in, or the
    file itself)."""
    if format_name != INTERCHANGE:
        _export_archive(material_id, path, number, format_name, email, base_url)
        return
    if path.is_file():
        raise click.ClickException(_("%(path)s is a file; the interchange format writes a "
                                     "folder.", path=path))
    material = get_material(material_id)
    if material.kind == MaterialKind.ARRANGEMENT:
        raise click.ClickException(_("Material %(id)d is an arrangement; the interchange "
                                     "format holds single materials only. Use --format "
                                     "imscc or --format html.", id=material.id))
    version = (version_by_number(material.id, number) if number
               else material.published_version or material.latest_version)
    folder = interchange.export_material(material, version, path)
    click.echo(_("Exported version %(n)d to %(folder)s", n=version.number, folder=folder))


def _export_archive(material_id: int, path: Path, number: int | None, format_name: str,
                    email: str | None, base_url: str | None) -> None:
    """A format another feature registered (``exports.py``), written to a temporary file
    beside the target and renamed when complete: never a half-written archive."""
    chosen = exports.get(format_name)
    if chosen is None:
        raise click.ClickException(_("Unknown format %(name)s; choose from: %(names)s.",
                                     name=format_name,
                                     names=", ".join((INTERCHANGE, *exports.names()))))
    actor: Actor = PUBLIC
    if email:
        user = accounts.find_by_email(email)
        if user is None:
            raise click.ClickException(_("No account with the e-mail address %(email)s.",
                                         email=email))
        actor = user
    if base_url:
        current_app.config["PORTAL_URL"] = base_url.rstrip("/")
    if not (current_app.config.get("PORTAL_URL") or current_app.config.get("SERVER_NAME")):
        raise click.ClickException(_("The export links back to the portal: give its address "
                                     "with --base-url or set OER_PORTAL_URL."))
    folder = path if path.is_dir() else path.parent
    if not path.is_dir() and path.suffix.lower() != chosen.extension:
        raise click.ClickException(_("%(path)s is not a folder and does not end in "
                                     "%(extension)s.", path=path, extension=chosen.extension))
    if not folder.is_dir():
        raise click.ClickException(_("There is no folder %(folder)s.", folder=folder))
    with tempfile.NamedTemporaryFile(dir=folder, prefix=".export-", delete=False) as spool:
        try:
            name = chosen.write(actor, material_id, number, spool)
        except NotFound:
            Path(spool.name).unlink(missing_ok=True)
            raise click.ClickException(_(
                "There is no material %(id)d (or version) that this user may see.",
                id=material_id)) from None
        except BaseException:
            Path(spool.name).unlink(missing_ok=True)
            raise
    target = folder / name if path.is_dir() else path
    Path(spool.name).replace(target)
    click.echo(_("Exported to %(path)s", path=target))


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


@materials_cli.command("rerender")
@click.option("--dry-run", is_flag=True, help="Only count what would change.")
@transactional
def rerender_html(dry_run: bool) -> None:
    """Render the stored HTML of every version and page again with today's renderer and
    re-index the materials whose text changed (run it after an upgrade that improves the
    renderer; safe to repeat, and to run again after an interruption)."""
    with click.progressbar(length=rerender.total_rows(), label=_("Rendering"),
                           show_pos=True, file=sys.stderr) as bar:
        summary = rerender.rerender(current_uow().commit, dry_run=dry_run, progress=bar.update)
    message = (_("%(changed)d of %(checked)d stored pages would change (%(materials)d "
                 "materials).", changed=summary.changed, checked=summary.checked,
                 materials=summary.materials) if dry_run else
               _("%(changed)d of %(checked)d stored pages rendered again; %(materials)d "
                 "materials re-indexed.", changed=summary.changed, checked=summary.checked,
                 materials=summary.materials))
    click.echo(message)
