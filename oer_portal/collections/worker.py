"""The scheduled harvest of the embedded server: a background thread that harvests every
collection in turn once its last attempt is ``HARVEST_INTERVAL_SECONDS`` old (looked at every
few minutes, so a server restarted more often than the interval still harvests).

It starts with the search's background drain (``SEARCH_BACKGROUND_DRAIN``: the embedded,
single-process server of ``make run``).  Where several processes serve the portal each would
harvest, so there cron runs ``flask --app oer_portal collections harvest`` instead (a Celery
beat schedule takes its place with a task queue: the job ``collections.harvest_due``, and
this thread does not start).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from flask import Flask, current_app

from oer_portal.collections import service
from oer_portal.collections.policy import OPERATOR
from oer_portal.core import jobs
from oer_portal.core.uow import current_uow

log = logging.getLogger(__name__)


#: How often the thread looks for collections that are due (at most).
CHECK_SECONDS = 300.0


def harvest_all(app: Flask, due_after: timedelta | None = None) -> list[service.HarvestOutcome]:
    """Every collection (with ``due_after``: every one not attempted for that long) in turn,
    each in its own transaction: one failing leaves the others' harvests and its own earlier
    records in place."""
    outcomes: list[service.HarvestOutcome] = []
    with app.app_context():
        ids = service.collection_ids(OPERATOR, due_after)
        current_uow().rollback()
    for collection_id in ids:
        outcome = harvest_one(app, collection_id)
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def harvest_one(app: Flask, collection_id: int) -> service.HarvestOutcome | None:
    """One collection in a transaction of its own; a failure is recorded on the collection
    (``None`` when it raised rather than reporting it)."""
    with app.app_context():
        uow = current_uow()
        try:
            outcome = service.harvest(OPERATOR, collection_id)
            uow.commit()
        except Exception as error:
            log.exception("harvesting collection %d failed", collection_id)
            uow.rollback()
            service.record_failure(collection_id, f"{type(error).__name__}: {error}")
            uow.commit()
            return None
    if not outcome.ok:
        log.warning("harvesting collection %d failed: %s", collection_id, outcome.error)
    return outcome


@jobs.job(service.HARVEST_JOB)
def harvest_job(collection_id: int) -> bool:
    """An administrator's "Harvest now" run by a worker; whether it succeeded (a failure is
    on the collection for the admin page, and is not retried: the next one is asked for)."""
    outcome = harvest_one(current_app._get_current_object(),  # type: ignore[attr-defined]
                          collection_id)
    return outcome is not None and outcome.ok


@jobs.job("collections.harvest_due")
def harvest_due_job() -> int:
    """Celery beat's harvest: every collection not attempted for ``HARVEST_INTERVAL_SECONDS``
    (each in its own transaction, failures recorded on the collection); returns how many."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    interval = float(app.config.get("HARVEST_INTERVAL_SECONDS") or 0)
    return len(harvest_all(app, due_after=timedelta(seconds=interval)))


def harvest_forever(app: Flask, interval: float, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    check = min(interval, CHECK_SECONDS)
    while not stop.wait(check):
        try:
            harvest_all(app, due_after=timedelta(seconds=interval))
        except Exception:
            log.exception("scheduled harvest failed; trying again in %.0f s", check)


def start_scheduled_harvest(app: Flask) -> threading.Thread | None:
    """Start the daemon thread when the interval is above 0 (not with a task queue)."""
    interval = float(app.config.get("HARVEST_INTERVAL_SECONDS") or 0)
    if interval <= 0 or jobs.queued(app):
        return None
    thread = threading.Thread(target=harvest_forever, args=(app, interval), daemon=True,
                              name="collections-harvest")
    thread.start()
    return thread
