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

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oer_portal.accounts.models import User
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
