"""Search: the Whoosh index as a projection of the published versions."""

from __future__ import annotations

import logging

from flask import Flask

from oer_portal.core import jobs, outbox

log = logging.getLogger(__name__)

#: How long a worker's drain waits for the index writer lock before it asks for a retry.
WORKER_LOCK_TIMEOUT = 10.0


class IndexBusy(Exception):
    """The writer lock stayed taken: the task is retried (its holder may have read the
    outbox before these rows were committed)."""


@jobs.job("search.drain")
def drain_job() -> int:
    """The drain of a task queue's worker (after a commit that wrote outbox rows, and on
    Celery beat's schedule): apply the outbox to this machine's index; returns how many."""
    from oer_portal.search import indexer

    result = indexer.drain(lock_timeout=WORKER_LOCK_TIMEOUT)
    if result.locked:
        raise IndexBusy(f"index writer busy; {result.left} outbox entries left")
    return result.applied


def init_app(app: Flask) -> None:
    """Drain the outbox after every commit that wrote to it (never waiting for the lock),
    and in the embedded server also from a background thread; with a task queue
    (``TASK_BROKER_URL``) a worker drains instead (the job ``search.drain``)."""
    from oer_portal.core import page_cache
    from oer_portal.search import indexer, searchers, whoosh_compat, worker

    whoosh_compat.require_proven_whoosh()
    # A public page kept by the page cache shows "more like this" from the index: it lives
    # as long as the index commit it was read from (the index follows the database).
    page_cache.add_key_part(searchers.generation)

    def drain_after_commit() -> None:
        if jobs.queued(app):
            jobs.dispatch("search.drain")
            return
        result = indexer.drain(lock_timeout=app.config["SEARCH_LOCK_TIMEOUT"])
        if result.locked:
            log.info("index writer busy; %d outbox entries left for its holder", result.left)

    outbox.add_listener(app, drain_after_commit)
    if app.config["SEARCH_BACKGROUND_DRAIN"] and not jobs.queued(app):
        worker.start_background_drain(app, app.config["SEARCH_DRAIN_INTERVAL"])
