"""``flask --app oer_portal search …``: rebuild, check and feed the index."""

from __future__ import annotations

import sys

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _

from oer_portal.search import followers, indexer, worker

search_cli = AppGroup("search", help="Maintain the search index.")


@search_cli.command("reindex")
def reindex() -> None:
    """Build a fresh index beside the live one and swap it in (searches go on meanwhile)."""
    with click.progressbar(length=indexer.published_count(), label=_("Indexing")) as bar:
        count = indexer.reindex(progress=lambda _n: bar.update(1))
    click.echo(_("%(n)d materials indexed.", n=count))


@search_cli.command("check")
def check() -> None:
    """Compare the database with the index; exit 1 when they differ."""
    drift = indexer.check()
    click.echo(_("%(missing)d missing, %(stale)d stale, %(pending)d pending.",
                 missing=len(drift.missing), stale=len(drift.stale), pending=drift.pending))
    if drift.outdated:
        click.echo(_("The index was built with an older schema: run “search reindex”."))
    if not drift.clean:
        sys.exit(1)


@search_cli.command("drain")
def drain() -> None:
    """Apply the pending outbox entries now (waits for the writer lock)."""
    result = indexer.drain(lock_timeout=30)
    click.echo(_("%(n)d changes applied.", n=result.applied))


@search_cli.command("worker")
@click.option("--interval", type=float, default=1.0, show_default=True)
def run_worker(interval: float) -> None:
    """Keep the index fresh where several processes serve the portal."""
    worker.drain_forever(current_app._get_current_object(), interval)  # type: ignore[attr-defined]


@search_cli.command("follow")
@click.option("--name", default=None,
              help="How this index is registered (default: host name and index directory).")
@click.option("--interval", type=float, default=1.0, show_default=True)
def follow(name: str | None, interval: float) -> None:
    """Keep this machine's own index by following the database outbox (index replicas)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    follower = followers.follow_forever(app, name, interval)
    click.echo(_("Stopped following; %(n)d full rebuilds.", n=follower.rebuilds))


@search_cli.command("followers")
def list_followers() -> None:
    """The indexes following the outbox: position, last heartbeat and entries behind."""
    lags = followers.lags()
    for follower, live in followers.followers():
        if live:
            click.echo(_("%(name)s: position %(position)d, %(lag)d behind, seen %(seen)s",
                         name=follower.name, position=follower.position,
                         lag=lags.get(follower.name, 0), seen=follower.last_seen.isoformat()))
        else:
            click.echo(_("%(name)s: silent since %(seen)s (dropped at the next prune)",
                         name=follower.name, seen=follower.last_seen.isoformat()))
