"""Post-review: a trusted teacher's submission is published at once
(``materials.lifecycle.submit_for_review``, trust from ``accounts.trust``) and waits here for
a moderator's look.  The moderator marks it seen ("Gezien, in orde") or asks for changes
with a comment: the material stays published, and the author's next submission continues
the same request and conversation, as after a request for changes in the queue.

The rules of every decision hold here too (``review.py``): never on one's own work, about
the version the moderator looked at (``Conflict`` when the request moved on), a message of
the conversation, audited, and a request for changes tells the authors.

Unpublishing a published material belongs to the reports (another part of issue 12); the
post-review list is where it will be offered beside these two decisions (see
``templates/moderation/post_review.html``, "HOOK: unpublish").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.core import audit
from oer_portal.core.errors import Conflict, NotFound
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.materials import policy as material_policy
from oer_portal.materials.models import (
    Material,
    MaterialCoAuthor,
    MaterialPublication,
    MaterialVersion,
)
from oer_portal.materials.reviews import ReviewRequest, ReviewRound, ReviewStatus
from oer_portal.moderation import conversation, review
from oer_portal.moderation.models import MessageKind
from oer_portal.notifications.models import NotificationKind


@dataclass(frozen=True)
class PostReviewItem:
    """One published version waiting for a moderator's look, as the list shows it."""

    request_id: int
    material_id: int
    slug: str
    title: str
    version_id: int
    version_number: int
    #: The version published before this one (``None``: a first publication).
    previous_number: int | None
    author: str
    #: When the version was submitted, and so published.
    published_at: datetime
    #: The reader wrote it (or co-owns the material): another moderator looks.
    own_work: bool


def waiting(actor: Actor) -> Sequence[PostReviewItem]:
    """Every request waiting for post-review, oldest publication first (three statements:
    the requests, the versions each material published before, the reader's co-authorships)."""
    require_permission(material_policy.is_staff(actor))
    latest_round = (select(ReviewRound.request_id, func.max(ReviewRound.id).label("id"))
                    .group_by(ReviewRound.request_id).subquery())
    rows = db.session.execute(
        select(ReviewRequest.id, Material.id, Material.slug, MaterialVersion.title,
               MaterialVersion.id, MaterialVersion.number, User.display_name,
               ReviewRound.submitted_at, Material.owner_id, MaterialVersion.author_id)
        .join(Material, Material.id == ReviewRequest.material_id)
        .join(MaterialVersion, MaterialVersion.id == ReviewRequest.version_id)
        .join(latest_round, latest_round.c.request_id == ReviewRequest.id)
        .join(ReviewRound, ReviewRound.id == latest_round.c.id)
        .join(User, User.id == ReviewRound.submitted_by_id)
        .where(ReviewRequest.post_review.is_(True))
        .order_by(ReviewRound.submitted_at, ReviewRequest.id)).all()
    earlier = _previous_publications([row[1] for row in rows])
    user_id = getattr(actor, "id", None)
    co_authored = _co_authored(user_id, [row[1] for row in rows])
    return [PostReviewItem(
        request_id=request_id, material_id=material_id, slug=slug, title=title,
        version_id=version_id, version_number=number,
        previous_number=max((n for n in earlier.get(material_id, ()) if n < number),
                            default=None),
        author=author, published_at=at,
        own_work=user_id in (owner_id, version_author_id) or material_id in co_authored)
        for (request_id, material_id, slug, title, version_id, number, author, at, owner_id,
             version_author_id) in rows]


def _previous_publications(material_ids: list[int]) -> dict[int, set[int]]:
    """The version numbers each material ever published (for "compare with the version
    published before")."""
    if not material_ids:
        return {}
    found: dict[int, set[int]] = {}
    for material_id, number in db.session.execute(
            select(MaterialPublication.material_id, MaterialVersion.number)
            .join(MaterialVersion, MaterialVersion.id == MaterialPublication.version_id)
            .where(MaterialPublication.material_id.in_(material_ids))):
        found.setdefault(material_id, set()).add(number)
    return found


def _co_authored(user_id: int | None, material_ids: list[int]) -> set[int]:
    if user_id is None or not material_ids:
        return set()
    return set(db.session.scalars(select(MaterialCoAuthor.material_id).where(
        MaterialCoAuthor.user_id == user_id,
        MaterialCoAuthor.material_id.in_(material_ids))))


def count_waiting() -> int:
    """How many requests wait for post-review (the dashboard's number)."""
    return db.session.scalar(select(func.count()).select_from(ReviewRequest).where(
        ReviewRequest.post_review.is_(True))) or 0


def _request_to_decide(actor: User, review_id: int, version_id: int | None) -> ReviewRequest:
    """The request, for a moderator who may look at it: not their own work, still waiting
    for post-review, about the version they looked at."""
    require_permission(material_policy.is_staff(actor))
    request = db.session.get(ReviewRequest, review_id)
    if request is None:
        raise NotFound()
    require_permission(not review.is_own_work(actor, request)
                       and actor.id != request.version.author_id)
    if not request.post_review:
        raise Conflict(_("Another moderator has looked at this publication already."))
    if version_id is not None and version_id != request.version_id:
        raise Conflict(_("The author published version %(n)d meanwhile. Look at it first.",
                         n=request.version.number))
    return request


def mark_reviewed(actor: User, review_id: int, version_id: int | None,
                  comment: str = "") -> ReviewRequest:
    """"Gezien, in orde": the published version is fine; the request leaves the list and
    is closed (approved, now by this moderator)."""
    request = _request_to_decide(actor, review_id, version_id)
    text = (comment or "").strip()[:conversation.MAX_LENGTH]
    request.post_review = False
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    message = conversation.record_decision(actor, request, MessageKind.APPROVED, text, [])
    audit.record("review.post_reviewed", actor_id=actor.id,
                 target=("material", request.material_id),
                 details={"review": request.id, "version_id": request.version_id,
                          "version": request.version.number, "message": message.id})
    return request


def request_changes(actor: User, review_id: int, version_id: int | None,
                    comment: str) -> ReviewRequest:
    """Ask the author for changes: the material stays published (a moderator who finds it
    should not be public unpublishes it, see the module's note); the request is open again,
    and the author's next submission continues it."""
    request = _request_to_decide(actor, review_id, version_id)
    text = conversation.clean_text(comment, _("Tell the author what to change."))
    request.post_review = False
    request.status = ReviewStatus.CHANGES_REQUESTED
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    request.reason = text
    message = conversation.record_decision(actor, request, MessageKind.CHANGES_REQUESTED,
                                           text, [])
    audit.record("review.changes_requested", actor_id=actor.id,
                 target=("material", request.material_id),
                 details={"review": request.id, "version_id": request.version_id,
                          "version": request.version.number, "message": message.id,
                          "checklist": [], "post_review": True})
    conversation.notify_authors(actor, request, NotificationKind.REVIEW_CHANGES_REQUESTED,
                                {"moderator": actor.display_name,
                                 "comment": conversation.excerpt(text)})
    return request
