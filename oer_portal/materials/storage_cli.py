"""``flask --app oer_portal storage gc`` and ``flask --app oer_portal files derive-missing``:
the file store's upkeep by hand or from cron (the embedded server runs both on a schedule,
``maintenance.py``)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_babel import ngettext

from oer_portal.materials import derivation, storage_gc

storage_cli = AppGroup("storage", help="Look after the file store.")
files_cli = AppGroup("files", help="Work on the stored files.")


def _size(size: int) -> str:
    """``512 kB`` or ``3.4 MB``: units every language of the portal writes the same way."""
    if size < 1024 * 1024:
        return f"{-(-size // 1024)} kB"  # rounded up: a small file is not "0 kB"
    return f"{size / (1024 * 1024):.1f} MB"


@storage_cli.command("gc")
@click.option("--grace-hours", type=click.FloatRange(min=0), default=None,
              help="Keep anything younger than this (default: STORAGE_GC_GRACE_SECONDS, "
                   "a day).")
@click.option("--dry-run", is_flag=True, help="Only list what would be collected.")
def gc(grace_hours: float | None, dry_run: bool) -> None:
    """Delete stored files, and their rows, that no version or other reference uses and
    that are older than the grace period, and temp files of uploads that never finished."""
    if dry_run:
        click.echo(_("Dry run: nothing is deleted."))

    def show(file: storage_gc.CollectedFile) -> None:
        what = (_("would collect %(sha256)s (%(size)s)") if dry_run
                else _("collected %(sha256)s (%(size)s)"))
        click.echo("  " + what % {"sha256": file.sha256, "size": _size(file.size)})

    summary = storage_gc.collect(None if grace_hours is None else grace_hours * 3600,
                                 dry_run=dry_run, progress=show)
    files = ngettext("%(num)d file", "%(num)d files", summary.blobs)
    rows = ngettext("%(num)d row", "%(num)d rows", summary.rows)
    temps = ngettext("%(num)d temporary file", "%(num)d temporary files", summary.temp_files)
    text = (_("Would collect %(files)s (%(size)s), %(rows)s and %(temps)s.") if dry_run
            else _("Collected %(files)s (%(size)s), %(rows)s and %(temps)s."))
    click.echo(text % {"files": files, "rows": rows, "temps": temps,
                       "size": _size(summary.freed_bytes)})
    if summary.kept_in_use:
        click.echo(ngettext("%(num)d file was in use again when checked, and kept.",
                            "%(num)d files were in use again when checked, and kept.",
                            summary.kept_in_use))


@files_cli.command("derive-missing")
def derive_missing() -> None:
    """Make the search text and thumbnails that a crash (or an old version) left unmade,
    and let the search index pick up the new texts."""
    wanted = derivation.find_missing()
    with click.progressbar(length=len(wanted), label=_("Deriving"), show_pos=True) as bar:
        summary = derivation.derive_missing(progress=lambda _sha: bar.update(1),
                                            wanted=wanted)
    click.echo(_("Derived %(files)s, %(text)s with text.",
                 files=ngettext("%(num)d file", "%(num)d files", summary.derived),
                 text=summary.with_text))
    if summary.failed:
        click.echo(ngettext("%(num)d file failed; see the log.",
                            "%(num)d files failed; see the log.", summary.failed), err=True)
        raise SystemExit(1)
