"""A user's star rating of a material: one row per (material, user), changed in place.

Ratings are opinions, not content: unlike versions they are not kept as history, so a
changed rating overwrites the old one and a removed one is deleted.  They follow their
material and their user (``ON DELETE CASCADE``): a deleted account leaves no ratings behind.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db

MIN_STARS = 1
MAX_STARS = 5


class Rating(db.Model):
    __tablename__ = "ratings"
    __table_args__ = (
        CheckConstraint(f"stars >= {MIN_STARS} AND stars <= {MAX_STARS}", name="stars_range"),
    )

    #: First in the primary key, so the key's index serves "all ratings of a material"
    #: (the summaries) without an index of its own.
    material_id: Mapped[int] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True)
    #: Indexed for "my ratings" and for the cascade when an account is deleted.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    stars: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
