"""The unit of work: one commit per request or CLI command, then the after-commit operations.

Services never commit.  They change the session and register work that must only happen once
the change is durable (draining the search outbox, making thumbnails) with
``current_uow().on_commit(...)``.  The request (or command) commits once at the end; any error
rolls everything back and drops the registered operations, so a projection never sees a change
the database does not have.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Flask, Response, g, request
from sqlalchemy.orm import Session, scoped_session

from oer_portal.core.db import reset_write_intent, set_write_intent
from oer_portal.extensions import db

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class UnitOfWork:
    """A transaction on ``session`` that commits once and then runs its ``on_commit`` work."""

    def __init__(self, session: Session | scoped_session[Session]) -> None:
        self.session = session
        self._after_commit: list[Callable[[], None]] = []

    def on_commit(self, operation: Callable[[], None], once: bool = False) -> None:
        """Run ``operation`` after the next successful commit; forget it on rollback.

        ``once``: skip it if the same operation is already waiting for this commit.
        """
        if once and operation in self._after_commit:
            return
        self._after_commit.append(operation)

    def commit(self) -> None:
        """Commit, then run the registered operations; their failures never undo the commit.

        The database is the truth: an operation that fails (say, the index is locked) is
        logged and its work is picked up later from the database (the outbox).
        """
        try:
            self.session.commit()
        except BaseException:
            self.rollback()
            raise
        operations, self._after_commit = self._after_commit, []
        for operation in operations:
            try:
                operation()
            except Exception:
                log.exception("after-commit operation %r failed", operation)

    def rollback(self) -> None:
        """Undo the transaction and drop the operations registered for it."""
        self._after_commit.clear()
        self.session.rollback()


def current_uow() -> UnitOfWork:
    """The unit of work of the current app context (request or CLI command)."""
    if "uow" not in g:
        g.uow = UnitOfWork(db.session)
    return g.uow


def transactional(command: Callable[P, R]) -> Callable[P, R]:
    """Give a CLI command one unit of work: commit when it returns, roll back when it raises."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        uow = current_uow()
        try:
            result = command(*args, **kwargs)
        except BaseException:
            uow.rollback()
            raise
        uow.commit()
        return result

    return run


def init_app(app: Flask) -> None:
    """Wrap every request in a unit of work; errors (status >= 400) roll back."""

    @app.before_request
    def _begin() -> None:
        g.write_intent_token = set_write_intent(request.method not in READ_ONLY_METHODS)

    @app.after_request
    def _finish(response: Response) -> Response:
        uow = current_uow()
        if response.status_code < 400:
            uow.commit()
        else:
            uow.rollback()
        return response

    @app.teardown_request
    def _end(_exc: BaseException | None) -> None:
        token = g.pop("write_intent_token", None)
        if token is not None:
            reset_write_intent(token)
