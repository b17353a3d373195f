"""Review requests: the material lifecycle's record of a version submitted for review and of
what became of it (approved, changes requested, rejected, cancelled).

Review state is not a column of the immutable version (docs/architecture.md, "Deviation:
review state is not a column"), so it lives here, beside the lifecycle that writes it
(``lifecycle.submit_for_review``, ``cancel_pending_reviews``) and the queries that read it.
The moderation feature decides requests; it builds on materials, so it imports this model
(same table, ``review_requests``, as before the model moved here from ``moderation``).

One request is one conversation between a material's authors and the moderators, and it may
go through several versions: a moderator asks for changes, the author revises and submits
again, and the *same* request continues with the new version (``ReviewRound``), until it is
approved, rejected or cancelled.  ``version_id`` is always the version under review now: the
one an approval publishes, whatever drafts were saved after it.

Post-review: a trusted teacher's submission (``accounts.trust``) is published at once, and
its request is *approved and waiting for a moderator's look* (``post_review``).  It stays
one conversation: a moderator marks it seen (``post_review`` cleared) or asks for changes
(the request is open again and the author's next submission continues it), and a further
submission while it waits continues it too.  A flag rather than a status of its own: the
request *is* approved (the version is public), and a new status would rebuild
``review_requests`` on SQLite, which the rounds and messages reference with cascades.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oer_portal.accounts.models import User
from oer_portal.core import public_state
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db
from oer_portal.materials.models import Material, MaterialVersion


class ReviewStatus(StrEnum):
    PENDING = "pending"
    #: A moderator sent it back with a comment; the author's next submission continues it.
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    #: The material was withdrawn; the request no longer applies.
    CANCELLED = "cancelled"


#: Requests still in conversation: a material has at most one (a unique index says so).
OPEN_STATUSES = frozenset({ReviewStatus.PENDING, ReviewStatus.CHANGES_REQUESTED})
_OPEN_SQL = "status IN ('pending', 'changes_requested')"
_POST_REVIEW_SQL = "post_review"


class ReviewRequest(db.Model):
    __tablename__ = "review_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'changes_requested', 'approved', 'rejected', "
                        "'cancelled')", name="known_status"),
        # The queue: the waiting requests in the order it shows them, so a page is read
        # from the index and the database stops after it instead of sorting every request.
        Index("ix_review_requests_status_submitted", "status", "submitted_at", "id"),
        # Two open requests for one material would be two conversations about one change.
        Index("uq_review_requests_open_material", "material_id", unique=True,
              sqlite_where=text(_OPEN_SQL), postgresql_where=text(_OPEN_SQL)),
        # One request per material waits for post-review (a further submission continues
        # it), and it is never also open (``submit_for_review`` continues either).
        Index("uq_review_requests_post_review_material", "material_id", unique=True,
              sqlite_where=text(_POST_REVIEW_SQL), postgresql_where=text(_POST_REVIEW_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"), index=True)
    #: The version under review now (the newest round's): what an approval publishes.
    version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id"), index=True)
    #: Who first submitted it, and when (the queue keeps a request's place across rounds).
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(24), default=ReviewStatus.PENDING, index=True)
    #: The latest decision's moderator and time (``None`` while a round waits).
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why the request is where it is, shown to the author: the moderator's comment with a
    #: request for changes, the reason of a rejection (required), or why it was cancelled.
    reason: Mapped[str | None] = mapped_column(Text)
    #: Published at once (its submitter is trusted) and not looked at by a moderator yet:
    #: listed for post-review.  Only ever true with status ``approved``.
    post_review: Mapped[bool] = mapped_column(default=False, server_default=false())
    #: The moderator who said "I'll take this one" and when (``moderation/claims.py``): while
    #: the claim is younger than ``MODERATION_CLAIM_MINUTES`` no other moderator decides.
    #: Columns, not a table: a request has at most one claim, the decision locks this row
    #: anyway, and the history is the audit log's (``review.claimed``, ``review.released``).
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    material: Mapped[Material] = relationship()
    version: Mapped[MaterialVersion] = relationship()
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    rounds: Mapped[list[ReviewRound]] = relationship(order_by="ReviewRound.id",
                                                     back_populates="request")

    @property
    def is_open(self) -> bool:
        """Still in conversation: waiting, sent back for changes, or published and waiting
        for post-review."""
        return self.status in OPEN_STATUSES or self.post_review


class ReviewRound(db.Model):
    """One version submitted within a request: the versions the request went through, in
    order (the same version twice when the author answered a request for changes without
    changing it)."""

    __tablename__ = "review_rounds"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("review_requests.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id"))
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The version was published at once, its submitter being trusted (a moderator looks at
    #: it afterwards): the conversation and the statistics tell these rounds apart.
    published_directly: Mapped[bool] = mapped_column(default=False, server_default=false())

    request: Mapped[ReviewRequest] = relationship(back_populates="rounds")
    version: Mapped[MaterialVersion] = relationship()
    submitted_by: Mapped[User] = relationship()

public_state.never_shown(ReviewRequest)
public_state.never_shown(ReviewRound)
