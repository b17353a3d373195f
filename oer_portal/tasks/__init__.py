"""The task queue: with ``TASK_BROKER_URL`` (Redis) every job of ``core.jobs`` runs in
Celery workers and Celery beat runs the scheduled ones; without it (the default) they run in
this process, after the commit and in the embedded server's threads, as they always did.

Only this package imports Celery.  ``celery -A oer_portal.tasks.worker worker`` and
``celery -A oer_portal.tasks.worker beat`` start a worker and the scheduler
(``docs/deployment.md``, "Workers (Celery)").  A job that fails for good is recorded
(``models.py``) and shown to administrators at ``/admin/tasks``.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """With a broker, make the Celery app (``app.extensions["celery"]``) that takes the
    jobs; without one, nothing (Celery is not even imported)."""
    if app.config.get("TASK_BROKER_URL"):
        from oer_portal.tasks.celery_app import celery_init_app

        celery_init_app(app)
