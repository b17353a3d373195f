"""Search: the Whoosh index as a projection of the published versions."""

from __future__ import annotations

import logging

from flask import Flask

from oer_portal.core import outbox

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Drain the outbox after every commit that wrote to it (never waiting for the lock),
    and in the embedded server also from a background thread."""
    from oer_portal.search import indexer, whoosh_compat, worker

    whoosh_compat.require_proven_whoosh()

    def drain_after_commit() -> None:
        result = indexer.drain(lock_timeout=app.config["SEARCH_LOCK_TIMEOUT"])
        if result.locked:
            log.info("index writer busy; %d outbox entries left for its holder", result.left)

    outbox.add_listener(app, drain_after_commit)
    if app.config["SEARCH_BACKGROUND_DRAIN"]:
        worker.start_background_drain(app, app.config["SEARCH_DRAIN_INTERVAL"])
