"""``flask --app oer_portal backup …``: create, verify and restore backups (exit 1 on failure).

The commands manage their own transactions (a snapshot must not sit in the command's unit of
work), so they are not ``@transactional``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from oer_portal.backup import service
from oer_portal.core.errors import DomainError, StorageFull

backup_cli = AppGroup("backup", help="Back up and restore the database and the file store.")


class BarProgress:
    """``service.Progress`` as a click progress bar (a counted line where output is no tty)."""

    def __init__(self) -> None:
        self._bar: Any = None

    def start(self, label: str, total: int) -> None:
        self._bar = click.progressbar(length=total, label=label)
        self._bar.__enter__()

    def advance(self) -> None:
        if self._bar is not None:
            self._bar.update(1)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _fail(error: DomainError) -> NoReturn:
    if isinstance(error, StorageFull):
        click.echo(_("The disk is full: the backup was not completed, and what had been "
                     "written of it was removed."), err=True)
    else:
        click.echo(error.message, err=True)
    for difference in getattr(error, "differences", ()):
        click.echo(f"  - {difference}", err=True)
    sys.exit(1)


@backup_cli.command("create")
@click.argument("path", type=click.Path(path_type=Path))
def create(path: Path) -> None:
    """Write a backup into PATH (a new or empty directory) while the portal keeps serving."""
    try:
        manifest = service.create(path, BarProgress())
    except DomainError as error:
        _fail(error)
    click.echo(_("Backup written to %(path)s: %(files)d files, database %(kind)s at schema "
                 "%(revision)s.", path=path, files=len(manifest.files),
                 kind=manifest.database_kind, revision=manifest.schema_revision))


@backup_cli.command("verify")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def verify(path: Path | None) -> None:
    """Check the backup at PATH; without PATH, check the live file store against the
    database.  Exits 1 on any difference."""
    try:
        if path is None:
            _verify_live()
        else:
            _verify_backup(path)
    except DomainError as error:
        _fail(error)


def _verify_backup(path: Path) -> None:
    report = service.verify_backup(path, BarProgress())
    if report.clean:
        click.echo(_("The backup is complete: %(files)d files, %(tables)d tables as listed.",
                     files=len(report.manifest.files), tables=len(report.manifest.tables)))
        return
    click.echo(_("The backup differs from its manifest:"), err=True)
    for difference in report.differences:
        click.echo(f"  - {difference}", err=True)
    sys.exit(1)


def _verify_live() -> None:
    report = service.verify_live(BarProgress())
    click.echo(_("%(referenced)d referenced files: %(missing)d missing, %(damaged)d damaged.",
                 referenced=report.referenced, missing=len(report.missing),
                 damaged=len(report.damaged)))
    for sha256 in report.missing:
        click.echo(_("Missing file: %(sha256)s", sha256=sha256), err=True)
    for sha256 in report.damaged:
        click.echo(_("Damaged file (content does not match its name): %(sha256)s",
                     sha256=sha256), err=True)
    if report.unreferenced:
        click.echo(_("%(n)d stored files are not referenced (for information; the storage "
                     "garbage collector removes them).", n=len(report.unreferenced)))
    if not report.clean:
        sys.exit(1)


@backup_cli.command("restore")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace the data of a database that is not empty.")
def restore(path: Path, force: bool) -> None:
    """Rebuild the configured portal from the backup at PATH, then re-index the search."""
    try:
        manifest = service.restore(path, force=force, progress=BarProgress())
    except DomainError as error:
        _fail(error)
    click.echo(_("Restored the backup of %(created)s: %(files)d files; the search index was "
                 "rebuilt.", created=manifest.created_at, files=len(manifest.files)))
