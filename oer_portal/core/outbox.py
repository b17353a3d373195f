"""The search outbox: "material 42 changed", written in the transaction that changed it.

Features record changes here and never call the index; ``search/`` consumes the rows in id
order and remembers the last id it applied, so any process can catch up and a crash loses
nothing (ARCHITECTURE.md section 6).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db


class OutboxEntry(db.Model):
    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What changed: ``material`` (later also ``user`` when a display name changes).
    entity_type: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def record_change(entity_type: str, entity_id: int) -> None:
    """Note in the current transaction that ``entity`` must be re-indexed."""
    db.session.add(OutboxEntry(entity_type=entity_type, entity_id=entity_id))
