"""A user's star rating of a material: one row per (material, user), changed in place.

Ratings are opinions, not content: unlike versions they are not kept as history, so a
changed rating overwrites the old one and a removed one is deleted.  They follow their
material and their user (``ON DELETE CASCADE``): a deleted account leaves no ratings behind.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from oer_portal.core import public_state
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db

MIN_STARS = 1
MAX_STARS = 5

#: The longest review text and title a user may write.
MAX_REVIEW_BODY = 4000
MAX_REVIEW_TITLE = 160


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


class WrittenReview(db.Model):
    """A user's written review of a material: at most one per (material, user).

    Its stars are the user's :class:`Rating` of the material (read with a join), so the
    average and the count on the page and in search stay one number, whether a user rated
    with or without writing.  ``helpful_count`` is kept with the votes in the same unit of
    work, so "most helpful first" is one indexed, paginated query instead of a count per
    review.  A moderator hides a review (``hidden_at`` with a reason) instead of deleting it:
    its author still sees it, with why.
    """

    __tablename__ = "written_reviews"
    __table_args__ = (
        UniqueConstraint("material_id", "user_id"),
        CheckConstraint("helpful_count >= 0", name="helpful_not_negative"),
        Index("ix_written_reviews_material_created", "material_id", "created_at"),
        Index("ix_written_reviews_material_helpful", "material_id", "helpful_count",
              "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"))
    #: Indexed for the cascade when an account is deleted.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(MAX_REVIEW_TITLE), default="")
    #: Plain text: shown escaped, with its line breaks, never as HTML.
    body: Mapped[str] = mapped_column(Text)
    #: A teacher used the material in class, at ``class_level`` (a code of the level
    #: vocabulary); ``None`` when not used in class.
    used_in_class: Mapped[bool] = mapped_column(Boolean, default=False)
    class_level: Mapped[str | None] = mapped_column(String(64))
    helpful_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Equal to ``created_at`` until the author edits the review ("edited" on the page).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    hidden_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def is_edited(self) -> bool:
        return self.updated_at > self.created_at


class HelpfulVote(db.Model):
    """One signed-in user found one review helpful (once; never their own review)."""

    __tablename__ = "review_helpful_votes"

    review_id: Mapped[int] = mapped_column(
        ForeignKey("written_reviews.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

public_state.shown_to_public(Rating)
public_state.shown_to_public(WrittenReview)
public_state.shown_to_public(HelpfulVote)
