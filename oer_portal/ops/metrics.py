"""Prometheus metrics (``prometheus-client``): what each request cost, and the state of the
parts behind the pages, read when the metrics are scraped.

Request metrics are counted in every process.  Under gunicorn each worker is a process of
its own: with ``PROMETHEUS_MULTIPROC_DIR`` set (before the server starts, see
``docs/deployment.md``) the workers share their counts through files in that folder, and
any worker's ``/metrics`` answers for all of them.  The gauges (index size, outbox lag,
task queue) are read from the database, the index and the broker at scrape time, so they
are the same whichever worker answers.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from oer_portal.search import followers, indexer, searchers
from oer_portal.search.schema import POSITION_ID
from oer_portal.tasks import service as tasks

REQUEST_SECONDS = Histogram(
    "oer_request_seconds", "Time to answer a request, per endpoint.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RESPONSES = Counter("oer_responses", "Responses sent, per endpoint and status.",
                    ["endpoint", "method", "status"])


def _endpoint() -> str:
    rule = request.url_rule
    return rule.endpoint if rule is not None else "unmatched"


def start_timer() -> None:
    g.ops_request_started = time.perf_counter()


def record_response(response: Response) -> Response:
    started = g.pop("ops_request_started", None)
    if started is not None:
        endpoint, method = _endpoint(), request.method
        REQUEST_SECONDS.labels(endpoint, method).observe(time.perf_counter() - started)
        RESPONSES.labels(endpoint, method, str(response.status_code)).inc()
    return response


class PortalCollector(Collector):
    """Gauges read at scrape time, in the scraping request's app context."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        documents = GaugeMetricFamily("oer_index_documents",
                                      "Materials and records in this machine's search index.")
        searcher = searchers.current()
        bookkeeping = searcher.document_number(id=POSITION_ID) is not None
        documents.add_metric([], searcher.doc_count() - bookkeeping)
        yield documents
        lag = GaugeMetricFamily("oer_index_lag",
                                "Outbox entries this machine's index has not applied.")
        lag.add_metric([], indexer.pending(indexer.open_index()))
        yield lag
        followers_lag = GaugeMetricFamily(
            "oer_follower_lag", "Outbox entries each live index follower has not applied.",
            labels=["follower"])
        for name, behind in followers.lags().items():
            followers_lag.add_metric([name], behind)
        yield followers_lag
        stats = tasks.queue_stats()
        if stats["queued"] is not None:
            queued = GaugeMetricFamily("oer_task_queue_length",
                                       "Jobs waiting in the broker's queue.", labels=["queue"])
            queued.add_metric([stats["queue"]], stats["queued"])
            yield queued
        failures = GaugeMetricFamily("oer_task_failures",
                                     "Jobs that failed for good and wait on /admin/tasks.")
        failures.add_metric([], stats["failures"])
        yield failures


def exposition() -> tuple[bytes, str]:
    """The metrics of every worker (or of this process alone) and the portal's gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_SECONDS)
        registry.register(RESPONSES)
    registry.register(PortalCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST


def init_app(app: Flask) -> None:
    app.before_request(start_timer)
    app.after_request(record_response)
