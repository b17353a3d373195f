"""The review queue: moderators approve or reject submitted versions; every decision is
audited, and nobody approves their own work."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import select

from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.core import audit
from oer_portal.core.errors import NotFound, ValidationError
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials import policy as material_policy
from oer_portal.materials.reviews import ReviewRequest, ReviewStatus


def queue(actor: Actor) -> Sequence[ReviewRequest]:
    """Pending requests, oldest first."""
    require_permission(material_policy.is_staff(actor))
    return db.session.scalars(
        select(ReviewRequest).where(ReviewRequest.status == ReviewStatus.PENDING)
        .order_by(ReviewRequest.submitted_at, ReviewRequest.id)).all()


def _pending(actor: Actor, review_id: int) -> ReviewRequest:
    request = db.session.get(ReviewRequest, review_id)
    if request is None:
        raise NotFound()
    require_permission(material_policy.can_review(actor, request.material, request.version))
    if request.status != ReviewStatus.PENDING:
        raise ValidationError(_("This review has already been decided."))
    return request


def approve(actor: Actor, review_id: int) -> ReviewRequest:
    """Publish the submitted version."""
    request = _pending(actor, review_id)
    request.status = ReviewStatus.APPROVED
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    lifecycle.publish(request.material, request.version, actor)
    audit.record("review.approved", actor_id=actor.id, target=("material", request.material_id),
                 details={"review": request.id, "version": request.version.number})
    return request


def reject(actor: Actor, review_id: int, reason: str) -> ReviewRequest:
    """Send the version back to its author with a reason; the public sees no change."""
    request = _pending(actor, review_id)
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Tell the author why, so they can improve it."))
    request.status = ReviewStatus.REJECTED
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    request.reason = reason[:4000]
    audit.record("review.rejected", actor_id=actor.id, target=("material", request.material_id),
                 details={"review": request.id, "version": request.version.number})
    return request
