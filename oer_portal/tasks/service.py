"""Failed jobs: recorded by the worker, listed, retried and dismissed by administrators; and
the queue's numbers for the metrics."""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from oer_portal.accounts.policy import Actor, is_admin, require
from oer_portal.core import audit, jobs
from oer_portal.core.errors import NotFound
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.tasks.models import TaskFailure

#: The longest error text kept.
ERROR_MAX = 2000
PAGE = 100


def record_failure(name: str, args: list[Any], error: BaseException, attempts: int,
                   task_id: str | None = None) -> TaskFailure | None:
    """Record (and commit) that job ``name`` failed for good; once per ``task_id``.  The
    arguments of a sensitive job (an e-mail) are not kept."""
    if task_id is not None and db.session.scalar(
            select(TaskFailure.id).where(TaskFailure.task_id == task_id)) is not None:
        return None
    known = jobs.registered().get(name)
    failure = TaskFailure(task_id=task_id, name=name,
                          args=None if known is None or known.sensitive else list(args),
                          error=f"{type(error).__name__}: {error}"[:ERROR_MAX],
                          attempts=attempts)
    db.session.add(failure)
    try:
        current_uow().commit()
    except IntegrityError:  # the same task reported at the same time by another process
        return None
    return failure


def failures(actor: Actor, limit: int = PAGE) -> list[TaskFailure]:
    """The failed jobs, newest first."""
    require(is_admin(actor))
    return list(db.session.scalars(select(TaskFailure).order_by(TaskFailure.id.desc())
                                   .limit(limit)))


def failure_count() -> int:
    return db.session.scalar(select(func.count()).select_from(TaskFailure)) or 0


def _failure(failure_id: int) -> TaskFailure:
    failure = db.session.get(TaskFailure, failure_id)
    if failure is None:
        raise NotFound()
    return failure


def can_retry(failure: TaskFailure) -> bool:
    """A job still known whose arguments were kept."""
    return failure.args is not None and failure.name in jobs.registered()


class NotRetryable(Exception):
    """The job is unknown now, or its arguments were not kept."""


def retry(actor: Actor, failure_id: int) -> str:
    """Run the job again: queued after the commit (with a task queue; a new failure is
    recorded anew if it fails again), or run here after the commit (in process; an error
    is logged).  The record goes either way; returns the job's name."""
    require(is_admin(actor))
    failure = _failure(failure_id)
    if not can_retry(failure):
        raise NotRetryable(failure.name)
    name, args = failure.name, list(failure.args or [])
    audit.record("task.retried", actor_id=actor.id, target=("task_failure", failure.id),
                 details={"name": name, "args": args, "error": failure.error})
    db.session.delete(failure)
    jobs.after_commit(name, *args, once=False)
    return name


def dismiss(actor: Actor, failure_id: int) -> str:
    """Forget the failure (someone saw to it); returns the job's name."""
    require(is_admin(actor))
    failure = _failure(failure_id)
    name = failure.name
    audit.record("task.dismissed", actor_id=actor.id, target=("task_failure", failure.id),
                 details={"name": name, "args": failure.args, "error": failure.error})
    db.session.delete(failure)
    return name


def queue_stats() -> dict[str, Any]:
    """For the metrics: whether a broker takes the jobs, how many wait in its queue (Redis
    only; ``None`` when unknown or unreachable), and how many failures are recorded."""
    config = current_app.config
    broker = config.get("TASK_BROKER_URL")
    queued: int | None = None
    if broker and str(broker).startswith(("redis://", "rediss://")):
        try:
            import redis

            client = redis.Redis.from_url(broker, socket_timeout=2, socket_connect_timeout=2)
            try:
                queued = int(client.llen(config["TASK_QUEUE"]))
            finally:
                client.close()
        except Exception:
            current_app.logger.warning("the task queue's length could not be read")
    return {"broker": bool(broker), "queue": config["TASK_QUEUE"], "queued": queued,
            "failures": failure_count()}
