"""Draining outside requests: the embedded server's background loop and ``search worker``."""

from __future__ import annotations

import logging
import threading

from flask import Flask

from oer_portal.search import indexer

log = logging.getLogger(__name__)


def drain_forever(app: Flask, interval: float, stop: threading.Event | None = None) -> None:
    """Drain every ``interval`` seconds, waiting for the writer lock (this is the holder).
    An index built with an older schema is rebuilt first (searches go on meanwhile)."""
    stop = stop or threading.Event()
    try:
        with app.app_context():
            if indexer.schema_outdated(indexer.open_index()):
                log.warning("search index has an older schema; rebuilding it")
                indexer.reindex()
    except Exception:
        log.exception("rebuilding the search index failed; drains write the known fields")
    while not stop.is_set():
        try:
            with app.app_context():
                indexer.drain(lock_timeout=interval)
        except Exception:
            log.exception("search drain failed; retrying in %.1f s", interval)
        stop.wait(interval)


def start_background_drain(app: Flask, interval: float) -> threading.Thread:
    """For the embedded server (one process): a daemon thread that keeps the index fresh
    when a request's own drain found the lock taken."""
    thread = threading.Thread(target=drain_forever, args=(app, interval), daemon=True,
                              name="search-drain")
    thread.start()
    return thread


