"""Draft → submitted for review (perhaps sent back for changes and submitted again) →
published; withdrawn leaves a tombstone.  A trusted teacher's submission (``accounts.trust``)
is published at once and waits for a moderator's look afterwards (post-review).  A moderator
may take a published material offline (``unpublish``: a withdrawal marked as the
moderation's) and put it back (``reinstate``).

Publishing moves ``published_version_id``, notes the publication, tells the search outbox and
then the features that listen (``publishing.py``: the remix feature tells the owners of
remixes); the public keeps seeing the previous published version until a moderator approves
the new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from oer_portal.accounts import trust
from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.core import audit, outbox
from oer_portal.core.errors import ValidationError
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.materials import policy, publishing
from oer_portal.materials.hooks import hooks_for
from oer_portal.materials.merge import has_conflict_markers
from oer_portal.materials.models import (
    Material,
    MaterialPublication,
    MaterialStatus,
    MaterialVersion,
)
from oer_portal.materials.reviews import (
    OPEN_STATUSES,
    ReviewRequest,
    ReviewRound,
    ReviewStatus,
)


def pending_review(material_id: int) -> ReviewRequest | None:
    """The material's request waiting for a moderator, if any."""
    return db.session.scalar(select(ReviewRequest).where(
        ReviewRequest.material_id == material_id, ReviewRequest.status == ReviewStatus.PENDING))


def open_review(material_id: int) -> ReviewRequest | None:
    """The material's request still in conversation (waiting, or sent back for changes)."""
    return db.session.scalar(select(ReviewRequest).where(
        ReviewRequest.material_id == material_id,
        ReviewRequest.status.in_(OPEN_STATUSES)))


def awaiting_post_review(material_id: int) -> ReviewRequest | None:
    """The material's request published at once and waiting for a moderator's look."""
    return db.session.scalar(select(ReviewRequest).where(
        ReviewRequest.material_id == material_id, ReviewRequest.post_review.is_(True)))


def submit_for_review(actor: Actor, material: Material) -> ReviewRequest:
    """Ask a moderator to publish the head version; a trusted teacher's head is published
    at once and a moderator looks at it afterwards (post-review).

    A material has one open request at a time, and it is one conversation: when a
    moderator asked for changes (or the author wants the newer version looked at instead of
    the one waiting), submitting continues that request with the head as its next round,
    rather than starting a second one.  A request waiting for post-review is continued the
    same way (by a trusted author: published again, still waiting for post-review; after
    the trust was revoked: back in the queue, pending).  Only a decided request (approved
    and looked at, rejected, cancelled) makes the next submission a new request.

    Whether the submission is published is the *submitter's* trust, asked here, so every
    path that submits (the editor's "save and submit", the submit button, arrangements,
    imports, an API) gets the same rule.
    """
    require_permission(policy.can_edit(actor, material))
    if material.latest_version_id == material.published_version_id:
        raise ValidationError(_("This version is already published."))
    request = open_review(material.id) or awaiting_post_review(material.id)
    if request is not None and request.status == ReviewStatus.PENDING \
            and request.version_id == material.latest_version_id:
        raise ValidationError(_("This version is already waiting for review."))
    head = db.session.get(MaterialVersion, material.latest_version_id)
    # A guard for drafts that pulls saved with conflict markers before conflicts were
    # resolved on a page of their own (nothing writes markers any more).
    if head is not None and has_conflict_markers(head.body):
        raise ValidationError(_("The text still holds conflict markers (<<<<<<< and >>>>>>>): "
                                "choose what to keep and save before you submit."))
    if head is not None:
        hooks_for(material.kind).check_submit(actor, head)
    now = utcnow()
    trusted = head is not None and isinstance(actor, User) and trust.is_trusted(actor)
    if request is None:
        request = ReviewRequest(material_id=material.id, version_id=material.latest_version_id,
                                submitted_by_id=actor.id, submitted_at=now)
        db.session.add(request)
        action = "review.submitted"
    else:
        request.version_id = material.latest_version_id
        request.decided_by_id = request.decided_at = request.reason = None
        action = "review.resubmitted"
    if trusted:
        # Approved by the author's trust, not by a moderator: ``decided_by`` stays empty.
        request.status, request.post_review, request.decided_at = \
            ReviewStatus.APPROVED, True, now
    else:
        request.status, request.post_review = ReviewStatus.PENDING, False
    db.session.flush()
    db.session.add(ReviewRound(request_id=request.id, version_id=material.latest_version_id,
                               submitted_by_id=actor.id, submitted_at=now,
                               published_directly=trusted))
    db.session.flush()
    audit.record(action, actor_id=actor.id, target=("material", material.id),
                 details={"version_id": material.latest_version_id,
                          "version": head.number if head is not None else None,
                          "review": request.id, "post_review": trusted})
    if trusted and head is not None and isinstance(actor, User):
        publish(material, head, actor)
    if action == "review.resubmitted" and isinstance(actor, User):
        db.session.expire(request, ["version"])  # it names the new version now
        publishing.resubmitted(request, actor)
    return request


#: Why :func:`cancel_pending_reviews` is called (the reason the author is shown).
WITHDRAWN = "withdrawn"


def cancel_pending_reviews(material_id: int, reason: str) -> None:
    """End the material's open request when it no longer applies: the material was
    withdrawn or taken offline.

    Saving a newer version does not end it: a request is about the version it names, so a
    draft saved meanwhile is neither published by an approval nor in its way, and the
    author who wants the newer version reviewed submits it, which continues the same
    request (``submit_for_review``).
    """
    for request in db.session.scalars(select(ReviewRequest).where(
            ReviewRequest.material_id == material_id,
            ReviewRequest.status.in_(OPEN_STATUSES))):
        request.status = ReviewStatus.CANCELLED
        request.decided_at = utcnow()
        request.reason = reason
    # A withdrawn material's published version needs no look any more: it leaves the
    # post-review list, approved as it was.
    waiting = awaiting_post_review(material_id)
    if waiting is not None:
        waiting.post_review = False


def public_change_time(at: datetime) -> datetime:
    """``Material.oai_datestamp`` for a public change at ``at``: whole seconds, the
    granularity OAI-PMH harvests by, so a record's datestamp is exactly what it shows."""
    return at.replace(microsecond=0)


def publish(material: Material, version: MaterialVersion, by: User | None) -> None:
    """Make ``version`` what the public sees (callers have checked the permission)."""
    now = utcnow()
    material.published_version_id = version.id
    material.status = MaterialStatus.PUBLISHED
    material.published_at = now
    material.updated_at = now
    material.oai_datestamp = public_change_time(now)
    db.session.add(MaterialPublication(material_id=material.id, version_id=version.id,
                                       published_at=now, published_by_id=by.id if by else None))
    outbox.record_change("material", material.id)
    audit.record("material.published", actor_id=by.id if by else None,
                 target=("material", material.id), details={"version": version.number})
    publishing.published(material, version, by)


def withdraw(actor: Actor, material: Material, reason: str) -> None:
    """Take the material down; its page becomes a tombstone that says when and why.  A draft
    that was never published is simply removed (no tombstone, no reason needed): the
    versions stay, for its authors and moderators, as every version does."""
    require_permission(policy.can_withdraw(actor, material))
    reason = reason.strip()
    if not reason and material.published_version_id is not None:
        raise ValidationError(_("Say why the material is withdrawn; the reason is shown on "
                                "its page."))
    material.status = MaterialStatus.WITHDRAWN
    material.withdrawn_at = utcnow()
    material.withdrawn_by_id = actor.id
    material.withdrawn_reason = reason[:2000]
    if material.published_version_id is not None:
        material.oai_datestamp = public_change_time(material.withdrawn_at)
    cancel_pending_reviews(material.id, reason=WITHDRAWN)
    outbox.record_change("material", material.id)
    published = material.published_version
    audit.record("material.withdrawn", actor_id=actor.id, target=("material", material.id),
                 details={"reason": material.withdrawn_reason,
                          "version": published.number if published is not None else None})


#: The longest public reason kept for a withdrawal or an unpublishing.
MAX_REASON = 2000


def unpublish(actor: Actor, material: Material, reason: str,
              details: Mapping[str, Any] | None = None) -> None:
    """A moderator takes a published material offline: its page becomes a tombstone that
    says when and why, and every public channel drops it, exactly as for a withdrawal (the
    status is the same; ``withdrawn_by_moderation`` tells the two apart).

    The published version stays where it is, so :func:`reinstate` can put the same version
    back.  Meanwhile the material is frozen: a withdrawn material cannot be edited,
    withdrawn, submitted or remixed (``policy``), and its open review is cancelled, so
    nothing can publish a version of it behind the moderators' backs.  ``details`` (the
    reports it closes) go into the audit entry beside the reason and the version.
    """
    require_permission(policy.can_unpublish(actor, material))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the material is taken offline; the reason is shown "
                                "on its page."))
    material.status = MaterialStatus.WITHDRAWN
    material.withdrawn_at = utcnow()
    material.withdrawn_by_id = actor.id
    material.withdrawn_reason = reason[:MAX_REASON]
    material.withdrawn_by_moderation = True
    material.oai_datestamp = public_change_time(material.withdrawn_at)
    cancel_pending_reviews(material.id, reason=WITHDRAWN)
    outbox.record_change("material", material.id)
    version = db.session.get(MaterialVersion, material.published_version_id)
    audit.record("material.unpublished", actor_id=actor.id, target=("material", material.id),
                 details={"reason": reason[:MAX_REASON],
                          "version_id": material.published_version_id,
                          "version": version.number if version else None,
                          **dict(details or {})})


def reinstate(actor: Actor, material: Material, reason: str,
              details: Mapping[str, Any] | None = None) -> None:
    """Put a material a moderator took offline back: public again with the version that
    was published when it went down (no new publication: nothing new is published, so the
    history and the "newest" lists keep their order).  An author's own withdrawal cannot be
    undone this way (``policy.can_reinstate``)."""
    require_permission(policy.can_reinstate(actor, material))
    reason = reason.strip()
    if not reason:
        raise ValidationError(_("Say why the material is put back online."))
    audit.record("material.reinstated", actor_id=actor.id, target=("material", material.id),
                 details={"reason": reason[:MAX_REASON],
                          "version_id": material.published_version_id,
                          "version": material.published_version.number,
                          "unpublished_at": material.withdrawn_at.isoformat()
                          if material.withdrawn_at else None,
                          "unpublished_reason": material.withdrawn_reason,
                          **dict(details or {})})
    material.status = MaterialStatus.PUBLISHED
    material.withdrawn_at = material.withdrawn_by_id = material.withdrawn_reason = None
    material.withdrawn_by_moderation = False
    material.updated_at = utcnow()
    material.oai_datestamp = public_change_time(material.updated_at)
    outbox.record_change("material", material.id)
