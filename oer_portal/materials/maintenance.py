"""The portal's upkeep on a schedule: derive what is missing, fetch other sites' images
still pending, collect the file store's garbage, and forget what has expired (login
sessions, accounts whose address was never confirmed).

``maintain`` is a plain function (one job, its own app context and transactions), so that
a task queue can run it later exactly as the embedded server's thread does now.  The thread
starts with the search's background drain (``SEARCH_BACKGROUND_DRAIN``: the single-process
server of ``make run``) every ``STORAGE_MAINTENANCE_INTERVAL_SECONDS`` (0: never, as in the
tests); where several processes serve, cron runs ``flask files derive-missing``, ``flask
media fetch-remote``, ``flask storage gc``, ``flask users prune-sessions`` and ``flask users
purge-unconfirmed`` instead.

Each step is also a job (``core.jobs``), so that with a task queue (``TASK_BROKER_URL``)
Celery beat runs them on the same interval in a worker, and this thread does not start.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from oer_portal.accounts import confirmation, sessions
from oer_portal.core import jobs
from oer_portal.core.uow import current_uow
from oer_portal.materials import derivation, linkcheck, remote_images, storage_gc

log = logging.getLogger(__name__)


def maintain(app: Flask) -> None:
    """Derive every missing derivation and fetch pending images, then collect unreferenced
    files past the grace, then prune what has expired; each step in its own transactions."""
    with app.app_context():
        derived = derivation.derive_missing()
    with app.app_context():
        remote_images.fetch_pending()
    with app.app_context():
        collected = storage_gc.collect()
    with app.app_context():
        sessions.prune()
        confirmation.purge_unconfirmed()
        current_uow().commit()
    if derived.derived or collected.files or collected.temp_files:
        log.info("file store upkeep: %d derived, %d files and %d rows collected, "
                 "%d temp files removed", derived.derived, collected.blobs, collected.rows,
                 collected.temp_files)


#: The jobs of one upkeep run, in order (Celery beat queues each on the upkeep interval;
#: ``media.fetch_remote`` without keys fetches every pending image).
UPKEEP_JOBS = ("maintenance.derive_missing", "media.fetch_remote", "maintenance.storage_gc",
               "maintenance.prune_sessions", "maintenance.purge_unconfirmed")


@jobs.job("maintenance.derive_missing")
def derive_missing_job() -> int:
    """Each file is committed on its own; returns how many were derived."""
    return derivation.derive_missing().derived


@jobs.job("maintenance.storage_gc")
def storage_gc_job() -> int:
    return storage_gc.collect().files


@jobs.job("maintenance.prune_sessions")
def prune_sessions_job() -> int:
    pruned = sessions.prune()
    current_uow().commit()
    return pruned


@jobs.job("maintenance.purge_unconfirmed")
def purge_unconfirmed_job() -> int:
    purged = confirmation.purge_unconfirmed()
    current_uow().commit()
    return purged


@jobs.job("materials.check_links")
def check_links_job() -> int:
    """The link check (``flask materials check-links``): flags dead links; returns how many."""
    dead = linkcheck.check_published_links()
    current_uow().commit()
    return len(dead)


def maintain_forever(app: Flask, interval: float, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    while not stop.wait(interval):
        try:
            maintain(app)
        except Exception:
            log.exception("file store upkeep failed; trying again in %.0f s", interval)


def init_app(app: Flask) -> threading.Thread | None:
    """Start the daemon thread in the embedded server when the interval is above 0 (not
    with a task queue: its beat schedules the same jobs)."""
    interval = float(app.config.get("STORAGE_MAINTENANCE_INTERVAL_SECONDS") or 0)
    if not app.config["SEARCH_BACKGROUND_DRAIN"] or interval <= 0 or jobs.queued(app):
        return None
    thread = threading.Thread(target=maintain_forever, args=(app, interval), daemon=True,
                              name="storage-maintenance")
    thread.start()
    return thread
