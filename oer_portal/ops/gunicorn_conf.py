"""gunicorn's settings for the portal: ``gunicorn -c python:oer_portal.ops.gunicorn_conf
'oer_portal:create_app()'`` (``docs/deployment.md``).

Each worker is a process with its own database pool, searcher and after-commit work; the
settings come from the environment so that one file serves every machine:
``GUNICORN_WORKERS`` (default 2), ``GUNICORN_THREADS`` per worker (default 4; size the
database pool to it, ``OER_SQLALCHEMY_ENGINE_OPTIONS='{"pool_size": 4}'``), ``GUNICORN_BIND``
(default 127.0.0.1:8000: a proxy in front terminates TLS).  Prometheus counts of all workers
are shared through ``PROMETHEUS_MULTIPROC_DIR``, emptied at start and set here when missing,
before any worker imports ``prometheus_client``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("GUNICORN_ACCESS_LOG")  # "-" for standard output
preload_app = False  # each worker opens its own database connections and index


def _metrics_folder() -> str:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.path.join(
        tempfile.gettempdir(), f"oer-portal-metrics-{os.getpid()}")
    shutil.rmtree(folder, ignore_errors=True)  # counts of an earlier run are not ours
    Path(folder).mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    return folder


_metrics_folder()


def child_exit(_server: Any, worker: Any) -> None:
    """A worker that ends leaves its gauges behind; its counters stay in the sums."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
