"""The conversation on a review request: comments, replies and the moderators' decisions.

A decision is a message too (kind ``changes_requested``, ``approved``, ``rejected``), so the
conversation reads as one timeline across every version the request went through, and each
decision keeps the moderator's words and checklist beside the version it was about.  Only
the material's authors and the moderators ever see these rows (``conversation.py``); they
are never indexed or exported.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oer_portal.accounts.models import User
from oer_portal.core import public_state
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db


class MessageKind(StrEnum):
    COMMENT = "comment"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"


DECISIONS = frozenset({MessageKind.CHANGES_REQUESTED, MessageKind.APPROVED,
                       MessageKind.REJECTED})


class ReviewMessage(db.Model):
    __tablename__ = "review_messages"
    __table_args__ = (
        CheckConstraint("kind IN ('comment', 'changes_requested', 'approved', 'rejected')",
                        name="known_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("review_requests.id", ondelete="CASCADE"), index=True)
    #: The message this one answers: always a message of the thread's first level, so a
    #: thread is one message and its replies (a reply to a reply joins the same thread).
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("review_messages.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    #: The version under review when it was written.
    version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id"))
    kind: Mapped[str] = mapped_column(String(24), default=MessageKind.COMMENT)
    body: Mapped[str] = mapped_column(Text, default="")
    #: Decisions only: the checklist points the moderator ticked (codes of
    #: ``review.CHECKLIST``), kept with the decision as what they vouched for.
    checklist: Mapped[list[str] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()

    @property
    def is_decision(self) -> bool:
        return self.kind in DECISIONS


class ReportCategory(StrEnum):
    """Why someone reports a material (labels: ``reports.CATEGORY_LABELS``)."""

    COPYRIGHT = "copyright"
    INAPPROPRIATE = "inappropriate"
    INCORRECT = "incorrect"
    SPAM = "spam"
    OTHER = "other"


class ReportStatus(StrEnum):
    OPEN = "open"
    #: A moderator looked and left the material online.
    DISMISSED = "dismissed"
    #: The material was taken offline (by a decision on this report or another of it).
    UPHELD = "upheld"


_OPEN_REPORT = "status = 'open'"


class Report(db.Model):
    """One user's report of a published material, and what a moderator made of it.

    Only moderators (and the reporter, through their notification) ever learn of it: the
    material's authors are told the outcome, never who reported.
    """

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint("category IN ('copyright', 'inappropriate', 'incorrect', 'spam', "
                        "'other')", name="known_category"),
        CheckConstraint("status IN ('open', 'dismissed', 'upheld')", name="known_status"),
        Index("ix_reports_status_created", "status", "created_at"),
        Index("ix_reports_material_status", "material_id", "status"),
        # One open report per reporter and material, even when two posts race.
        Index("uq_reports_open_reporter", "material_id", "reporter_id", unique=True,
              sqlite_where=text(_OPEN_REPORT), postgresql_where=text(_OPEN_REPORT)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))
    #: The version the reporter saw (the published one when they reported).
    version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.OPEN)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Dismissed: the note to the reporter (may be empty); upheld: the public reason.
    decision_reason: Mapped[str | None] = mapped_column(Text)

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_open(self) -> bool:
        return self.status == ReportStatus.OPEN

public_state.never_shown(ReviewMessage)
public_state.never_shown(Report)  # taking a material offline is a change of ``materials``
