"""``flask --app oer_portal media …``: the portal's copies of other sites' lesson images."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from flask_babel import gettext as _

from oer_portal.materials import remote_images

media_cli = AppGroup("media", help="Copies of other sites' images shown in lessons.")


@media_cli.command("fetch-remote")
@click.option("--retry-failed", is_flag=True,
              help="Also try again the images whose fetch failed before.")
def fetch_remote(retry_failed: bool) -> None:
    """Fetch the images that saved lessons registered and that are not fetched yet (a save
    fetches its own right after it is committed; this picks up what that missed)."""

    def report(row: remote_images.RemoteImage, ok: bool) -> None:
        if ok:
            click.echo(_("fetched %(url)s", url=row.url))
        else:
            click.echo(_("not fetched %(url)s: %(reason)s", url=row.url, reason=row.error),
                       err=True)

    kept, failed = remote_images.fetch_pending(retry_failed=retry_failed, progress=report)
    click.echo(_("%(kept)d fetched, %(failed)d not fetched.", kept=kept, failed=failed))
