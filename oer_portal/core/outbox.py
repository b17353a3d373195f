"""The search outbox: "material 42 changed", written in the transaction that changed it.

Features record changes here and never call the index; ``search/`` consumes the rows in id
order and remembers the last id it applied, so any process can catch up and a crash loses
nothing (ARCHITECTURE.md section 6).  After a commit that wrote rows, the unit of work
notifies the listeners registered by the consumers (the search drain), unless notifications
are deferred (a bulk import drains once at the end instead of after every material).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from flask import Flask, current_app, g
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from oer_portal.core import public_state
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db

LISTENERS_KEY = "outbox_listeners"


class OutboxEntry(db.Model):
    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What changed: ``material`` (later also ``user`` when a display name changes).
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def record_change(entity_type: str, entity_id: int) -> None:
    """Note in the current transaction that ``entity`` must be re-indexed."""
    from oer_portal.core.uow import current_uow

    db.session.add(OutboxEntry(entity_type=entity_type, entity_id=entity_id))
    current_uow().on_commit(_notify, once=True)


def _notify() -> None:
    if g.get("outbox_deferred"):
        g.outbox_pending = True
        return
    for listener in current_app.extensions.get(LISTENERS_KEY, ()):
        listener()


def add_listener(app: Flask, listener: Callable[[], None]) -> None:
    """Call ``listener`` after every commit that wrote outbox rows."""
    app.extensions.setdefault(LISTENERS_KEY, []).append(listener)


@contextmanager
def deferred() -> Iterator[None]:
    """Within the block, commits do not notify; the listeners run once when it ends (a bulk
    import drains once instead of after every material).  Blocks nest: only the outermost
    one notifies, so a command may defer around an import that defers on its own."""
    if g.get("outbox_deferred"):
        yield
        return
    g.outbox_deferred, g.outbox_pending = True, False
    try:
        yield
    finally:
        g.outbox_deferred = False
        if g.pop("outbox_pending", False):
            _notify()

public_state.never_shown(OutboxEntry)
