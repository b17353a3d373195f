"""The append-only audit log: logins, denials, every admin and moderation decision.

It lives in ``core`` (not ``moderation``) because every feature writes to it, the way every
feature writes to the search outbox; ``moderation/audit_log.py`` reads it for the audit page.
Entries are only ever added in the caller's unit of work; the database refuses to change or
delete one (migration 0012), so ``details`` must hold at the time of writing everything the
entry should say (the version, the reason as written), and never a password or a token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column

from oer_portal.core import public_state
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db


class AuditEntry(db.Model):
    """One thing that happened.  The database refuses to change or delete a row (triggers of
    migration 0012), so what the log says is what was written when it happened."""

    __tablename__ = "audit_entries"
    #: The audit page's "everything about material 12".
    __table_args__ = (Index("ix_audit_entries_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: When it happened (UTC).
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: Who did it; ``None`` for anonymous visitors and the system.  No ``ON DELETE SET
    #: NULL``: an entry keeps its actor, so a user with entries cannot be deleted (accounts
    #: are never deleted; one to be forgotten would be anonymised, the row kept).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: Dotted verb, e.g. ``login.failed``, ``role.granted``, ``access.denied``.
    action: Mapped[str] = mapped_column(String(64), index=True)
    #: What it was done to, e.g. ``("user", 7)``.
    target_type: Mapped[str | None] = mapped_column(String(32))
    target_id: Mapped[int | None] = mapped_column()
    #: Small JSON object with the particulars (never a password, never a token).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(
    action: str,
    *,
    actor_id: int | None = None,
    target: tuple[str, int] | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the current transaction."""
    entry = AuditEntry(
        action=action,
        actor_id=actor_id,
        target_type=target[0] if target else None,
        target_id=target[1] if target else None,
        details=details or {},
    )
    db.session.add(entry)
    return entry


def entries(action: str | None = None, limit: int = 100) -> list[AuditEntry]:
    """Newest entries first, optionally of one action."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    return list(db.session.scalars(query))

public_state.never_shown(AuditEntry)
