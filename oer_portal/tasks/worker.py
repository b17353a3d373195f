"""The entry of ``celery -A oer_portal.tasks.worker worker`` (and ``beat``): the portal's
app, configured as the web processes are (``instance/config.py``, ``OER_*`` variables,
among them ``OER_TASK_BROKER_URL``), and its Celery app as ``celery``."""

from __future__ import annotations

from oer_portal import create_app

# Not called ``app``: Celery's ``-A`` takes a module's ``app`` attribute first.
flask_app = create_app()
if not flask_app.config.get("TASK_BROKER_URL"):
    raise SystemExit("TASK_BROKER_URL is not set (OER_TASK_BROKER_URL=redis://127.0.0.1:6379/0):"
                     " without a broker the jobs run in the web process, not in workers")
celery = flask_app.extensions["celery"]
