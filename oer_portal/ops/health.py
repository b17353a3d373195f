"""Is this process fit to serve?  The questions a load balancer asks ``/healthz``.

Each check answers for one part the portal cannot work without: the database, the task
broker (when one is configured), the rate limiter's shared storage (when it is not the
process's memory), this machine's search index (how far it is behind the outbox) and the
file store (can it take a file).  A check never writes to the database and never waits long:
a health check that hangs is as bad as one that lies.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import text

from oer_portal.core.storage import file_store
from oer_portal.extensions import db, limiter
from oer_portal.search import indexer

#: How long the broker check waits for a connection (seconds).
BROKER_TIMEOUT = 2.0


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    seconds: float


class Unhealthy(Exception):
    """A check's failure, with what an operator needs to read (never a secret)."""


def check_database() -> str:
    db.session.execute(text("SELECT 1"))
    db.session.rollback()
    return "reachable"


def check_broker() -> str | None:
    url = current_app.config.get("TASK_BROKER_URL")
    if not url:
        return None  # embedded: the work runs in this process
    from kombu import Connection

    with Connection(url, connect_timeout=BROKER_TIMEOUT,
                    transport_options={"socket_timeout": BROKER_TIMEOUT}) as connection:
        connection.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)
    return "reachable"


def check_rate_limit_storage() -> str | None:
    uri = str(current_app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if uri.startswith("memory://") or not limiter.enabled:
        return None
    if not limiter.storage.check():
        raise Unhealthy("the rate limiter's storage does not answer")
    return "reachable"


def check_index() -> str:
    lag = indexer.pending(indexer.open_index())
    allowed = int(current_app.config["HEALTH_MAX_INDEX_LAG"])
    if lag > allowed:
        raise Unhealthy(f"{lag} changes not yet in the search index (at most {allowed})")
    return f"{lag} changes behind"


def check_file_store() -> str:
    file_store().probe_writable()
    return "writable"


#: The checks in the order they are reported; one returning ``None`` does not apply here.
CHECKS: dict[str, Callable[[], str | None]] = {
    "database": check_database,
    "broker": check_broker,
    "rate_limit_storage": check_rate_limit_storage,
    "search_index": check_index,
    "file_store": check_file_store,
}


def run_checks() -> list[CheckResult]:
    """Every applicable check, each timed; a failure is reported, never raised."""
    results = []
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail = check()
        except Exception as error:  # any failure is the answer: this part is not fit
            results.append(CheckResult(name, False, _describe(error),
                                       time.perf_counter() - started))
            db.session.rollback()
            continue
        if detail is not None:
            results.append(CheckResult(name, True, detail, time.perf_counter() - started))
    return results


def _describe(error: Exception) -> str:
    """What failed, in one line without addresses or passwords (the answer is public)."""
    if isinstance(error, Unhealthy):
        return str(error)
    if isinstance(error, OSError) and error.strerror:
        return f"{type(error).__name__}: {error.strerror}"
    return type(error).__name__
