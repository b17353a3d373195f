"""Review requests: the material lifecycle's record of a version submitted for review and of
what became of it (approved, rejected, cancelled).

Review state is not a column of the immutable version (docs/architecture.md, "Deviation:
review state is not a column"), so it lives here, beside the lifecycle that writes it
(``lifecycle.submit_for_review``, ``cancel_pending_reviews``) and the queries that read it.
The moderation feature decides requests; it builds on materials, so it imports this model
(same table, ``review_requests``, as before the model moved here from ``moderation``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oer_portal.accounts.models import User
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db
from oer_portal.materials.models import Material, MaterialVersion


class ReviewStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    #: The author edited again or withdrew; the request no longer applies.
    CANCELLED = "cancelled"


class ReviewRequest(db.Model):
    __tablename__ = "review_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'rejected', 'cancelled')",
                        name="known_status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id"), index=True)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=ReviewStatus.PENDING, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The moderator's reason, shown to the author (required for a rejection).
    reason: Mapped[str | None] = mapped_column(Text)

    material: Mapped[Material] = relationship()
    version: Mapped[MaterialVersion] = relationship()
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
