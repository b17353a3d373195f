"""Jobs: named work that runs after a commit or on a schedule, in this process or in workers.

A feature says "after this commit, run job X(args)" with ``after_commit(name, *args)`` and
registers X once with ``@job(name)``.  Where it runs is the deployment's choice, not the
feature's:

- **In process** (no ``TASK_BROKER_URL``, the default: ``make run``, the tests): the job
  runs right after the commit, in the same app context, exactly as an ``on_commit``
  operation does (its failure is logged and never undoes the commit).
- **With a broker** (``TASK_BROKER_URL``, Redis): after the commit (never inside the
  transaction: a worker must find what the job is about) the job is sent to the queue and a
  Celery worker runs it in an app context of its own, retrying with exponential back-off;
  one that fails for good is recorded for the administrators (``oer_portal.tasks``).

Only ``oer_portal.tasks`` knows Celery; features import this module.  A job's arguments
are plain JSON values (ids, hashes), and running a job twice must be harmless (a retry after
a worker died half-way does exactly that).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Flask, current_app

from oer_portal.core.uow import current_uow

QUEUE_KEY = "jobs.queue"


@dataclass(frozen=True)
class Job:
    name: str
    function: Callable[..., Any]
    #: The arguments hold what must not be kept once the job is done (an e-mail with a
    #: reset link): a failure of it is recorded without them, and cannot be retried.
    sensitive: bool = False


_registry: dict[str, Job] = {}


def job(name: str, sensitive: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register the decorated function as the job ``name`` (the function is returned as is).

    It runs in an app context; it commits its own work (``current_uow().commit()``) when it
    writes, and raises to ask for a retry (with a broker; in process the error is logged).
    """

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        _registry[name] = Job(name, function, sensitive)
        return function

    return register


def registered() -> dict[str, Job]:
    """Every job by name (the task queue makes a task of each)."""
    return dict(_registry)


def get(name: str) -> Job:
    return _registry[name]


class Queue(Protocol):
    """Where jobs go when a broker is configured (``oer_portal.tasks`` provides it)."""

    def enqueue(self, name: str, args: Sequence[Any]) -> None: ...


def set_queue(app: Flask, queue: Queue) -> None:
    app.extensions[QUEUE_KEY] = queue


def queued(app: Flask | None = None) -> bool:
    """Whether jobs go to a task queue (``TASK_BROKER_URL`` is set) rather than run here."""
    return bool((app or current_app).config.get("TASK_BROKER_URL"))


def run(name: str, *args: Any) -> Any:
    """Run the job ``name`` here and now (in process, or in a worker's task)."""
    return _registry[name].function(*args)


def dispatch(name: str, *args: Any) -> None:
    """Run the job now in process, or send it to the queue.  Call it only outside any
    transaction that the job depends on: after a commit (``after_commit`` does that)."""
    if name not in _registry:
        raise KeyError(f"no job called {name!r}")
    if queued():
        current_app.extensions[QUEUE_KEY].enqueue(name, list(args))
    else:
        run(name, *args)


@dataclass(frozen=True)
class _Dispatch:
    """An after-commit operation that compares equal for the same job and arguments, so a
    request that asks for the same job twice runs it once."""

    name: str
    args: tuple[Any, ...]

    def __call__(self) -> None:
        dispatch(self.name, *self.args)


def after_commit(name: str, *args: Any, once: bool = True) -> None:
    """Run (or queue) job ``name`` once the current unit of work commits; nothing on
    rollback.  ``once``: the same job with the same arguments is not asked for twice."""
    current_uow().on_commit(_Dispatch(name, tuple(_frozen(arg) for arg in args)), once=once)


def _frozen(value: Any) -> Any:
    """Lists become tuples, so that the operation can be compared (and stays JSON-able)."""
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value
