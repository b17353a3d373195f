"""A notification is a fact for one user, kept as its kind, what it is about and the names
and numbers its message needs: the message itself is worded when it is shown (or e-mailed),
in the reader's language, and the link to act on is built by the web layer from the target."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from oer_portal.core import public_state
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db


class NotificationKind(StrEnum):
    """What happened.  Each kind has a message (``messages.py``) and an e-mail setting."""

    REVIEW_APPROVED = "review.approved"
    REVIEW_CHANGES_REQUESTED = "review.changes_requested"
    REVIEW_REJECTED = "review.rejected"
    REVIEW_COMMENT = "review.comment"
    REVIEW_RESUBMITTED = "review.resubmitted"
    TEACHER_APPROVED = "teacher.approved"
    TEACHER_REJECTED = "teacher.rejected"
    REPORT_OUTCOME = "report.outcome"
    UPSTREAM_CHANGED = "upstream.changed"
    PROPOSAL_NEW = "proposal.new"
    PROPOSAL_ACCEPTED = "proposal.accepted"
    PROPOSAL_DECLINED = "proposal.declined"


class TargetType(StrEnum):
    """What a notification is about, so the web layer can link to the place to act."""

    MATERIAL = "material"
    REVIEW = "review"
    REPORT = "report"
    TEACHER_REQUEST = "teacher_request"
    PROPOSAL = "proposal"


class Notification(db.Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(24))
    target_id: Mapped[int] = mapped_column()
    #: Names and numbers the message uses (a title, a version number, a reason), as they were
    #: when it happened.
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Who caused it (``None``: the portal itself).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at", "id"),)


class NotificationSetting(db.Model):
    """A user's choice to get (or not) an e-mail for one kind; no row means the default."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean)

public_state.never_shown(Notification)
public_state.never_shown(NotificationSetting)
