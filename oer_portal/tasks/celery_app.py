"""The Celery app of a Flask app, as the Flask documentation builds it (``celery_init_app``
with a ``FlaskTask`` whose ``__call__`` runs inside ``app.app_context()``), with a task for
every job of ``core.jobs`` and a beat schedule from the interval settings.

Only this package imports Celery, and only when ``TASK_BROKER_URL`` is set.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from celery import Celery, Task
from flask import Flask

from oer_portal.collections.worker import CHECK_SECONDS
from oer_portal.core import jobs
from oer_portal.core.uow import current_uow
from oer_portal.materials.maintenance import UPKEEP_JOBS

log = logging.getLogger(__name__)

EXTENSION_KEY = "celery"


def celery_init_app(app: Flask) -> Celery:
    """The Flask documentation's pattern: tasks run in an app context of ``app``."""

    class FlaskTask(Task):  # type: ignore[misc]
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                uow = current_uow()
                try:
                    result = self.run(*args, **kwargs)
                except BaseException:
                    uow.rollback()
                    raise
                uow.commit()  # what the job left uncommitted, and its after-commit work
                return result

        def on_failure(self, exc: BaseException, task_id: str, args: Sequence[Any],
                       kwargs: dict[str, Any], einfo: Any) -> None:
            """Retries exhausted (or an error not retried): recorded for the administrators."""
            from oer_portal.tasks import service

            attempts = int(getattr(self.request, "retries", 0) or 0) + 1
            with app.app_context():
                try:
                    service.record_failure(self.name, list(args), exc, attempts, task_id)
                except Exception:
                    log.exception("recording the failure of task %s failed", self.name)

    config = app.config
    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.conf.update(
        broker_url=config["TASK_BROKER_URL"],
        task_default_queue=config["TASK_QUEUE"],
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        # A job is acknowledged when it has run: a worker killed half-way leaves it in Redis
        # (unacknowledged messages come back) for another run (jobs are idempotent).  Not
        # ``task_reject_on_worker_lost``: a file that kills its pool process every time
        # would come back for ever; that job fails and is recorded instead.
        task_acks_late=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        # A broker that does not answer must not hold a request's after-commit work long.
        task_publish_retry_policy={"max_retries": 3, "interval_start": 0.2,
                                   "interval_step": 0.5, "interval_max": 1.0},
        beat_schedule=beat_schedule(app),
        timezone="UTC",
    )
    celery_app.conf.update(config.get("CELERY") or {})
    celery_app.set_default()
    _register_tasks(celery_app, app)
    app.extensions[EXTENSION_KEY] = celery_app
    jobs.set_queue(app, CeleryQueue(celery_app))
    return celery_app


def _register_tasks(celery_app: Celery, app: Flask) -> None:
    """A Celery task named after each job, retried with exponential back-off."""
    retries = int(app.config["TASK_MAX_RETRIES"])
    backoff_max = int(app.config["TASK_RETRY_BACKOFF_MAX"])
    for name in jobs.registered():
        def run(*args: Any, _name: str = name) -> Any:
            return jobs.run(_name, *args)

        celery_app.task(run, name=name, shared=False, autoretry_for=(Exception,),
                        retry_backoff=True,
                        retry_backoff_max=backoff_max, retry_jitter=True,
                        max_retries=retries)


class CeleryQueue:
    """``core.jobs``' queue: a job becomes a message for the workers."""

    def __init__(self, celery_app: Celery) -> None:
        self.celery_app = celery_app

    def enqueue(self, name: str, args: Sequence[Any]) -> None:
        self.celery_app.tasks[name].apply_async(args=list(args))


def beat_schedule(app: Flask) -> dict[str, dict[str, Any]]:
    """Celery beat's schedule from the interval settings the embedded server's threads use
    (0: not scheduled): the upkeep steps, the harvest (looked at every few minutes, each
    collection harvested once its interval has passed), the link check, and a catch-up
    drain of the search outbox (a drain normally follows each commit)."""
    config = app.config
    schedule: dict[str, dict[str, Any]] = {}

    def every(seconds: float, name: str, entry: str | None = None) -> None:
        if seconds > 0:
            schedule[entry or name] = {"task": name, "schedule": timedelta(seconds=seconds),
                                       "options": {"expires": max(seconds, 1.0)}}

    upkeep = float(config.get("STORAGE_MAINTENANCE_INTERVAL_SECONDS") or 0)
    for name in UPKEEP_JOBS:
        every(upkeep, name, f"upkeep: {name}")
    harvest = float(config.get("HARVEST_INTERVAL_SECONDS") or 0)
    every(min(harvest, CHECK_SECONDS) if harvest > 0 else 0, "collections.harvest_due")
    every(float(config.get("LINK_CHECK_INTERVAL_SECONDS") or 0), "materials.check_links")
    every(float(config.get("TASK_DRAIN_INTERVAL_SECONDS") or 0), "search.drain")
    return schedule
