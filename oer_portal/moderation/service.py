"""The review queue: moderators approve or reject submitted versions; every decision is
audited, and nobody approves their own work."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.extensions import db
from oer_portal.materials import policy as material_policy
from oer_portal.materials.reviews import ReviewRequest, ReviewStatus
from oer_portal.moderation import review
from oer_portal.moderation.review import Decision


def queue(actor: Actor) -> Sequence[ReviewRequest]:
    """Pending requests, oldest first."""
    require_permission(material_policy.is_staff(actor))
    return db.session.scalars(
        select(ReviewRequest).where(ReviewRequest.status == ReviewStatus.PENDING)
        .order_by(ReviewRequest.submitted_at, ReviewRequest.id)).all()


def approve(actor: Actor, review_id: int) -> ReviewRequest:
    """The queue's one-click approval: publish the version the request holds now (the
    rules of every decision are ``review.decide``'s)."""
    return review.decide(actor, review_id, Decision.APPROVE, None)


def reject(actor: Actor, review_id: int, reason: str) -> ReviewRequest:
    """Send the version back to its author with a reason; the public sees no change."""
    return review.decide(actor, review_id, Decision.REJECT, None, comment=reason)
