"""The review's parts of other features' pages, as plain data: on the material page (and
the diff page) the moderator's decisions and the conversation with the authors; on the
dashboard where each of a teacher's materials stands in review.

``materials`` cannot import this feature, so these register with ``materials.panels`` when
this module is imported (``moderation/views.py`` imports it with its blueprint).  Only the
material's authors and the moderators ever get a value; for anyone else a review does not
exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from oer_portal.accounts.policy import Actor
from oer_portal.extensions import db
from oer_portal.materials import panels
from oer_portal.materials import policy as material_policy
from oer_portal.materials.models import Material, MaterialVersion
from oer_portal.materials.panels import DashboardPanel, MaterialPage, Panel, Slot
from oer_portal.materials.reviews import ReviewRequest, ReviewStatus
from oer_portal.moderation import checklist, claims, conversation, review
from oer_portal.moderation.checklist import ChecklistPoint
from oer_portal.moderation.conversation import Conversation


@dataclass(frozen=True)
class ReviewPanel:
    """The review of a material as its page (or a diff of it) shows it to ``actor``."""

    request_id: int
    status: str
    #: The version under review.
    version_id: int
    version_number: int
    #: Who submitted the version under review, and when (the newest round).
    submitted_by: str
    submitted_at: datetime
    #: The moderator's comment (changes requested) or reason (rejected).
    reason: str | None
    #: The page shows the version under review (decisions are made only there).
    shows_reviewed_version: bool
    #: The reader is one of the material's authors (the panel speaks to them).
    for_author: bool
    #: The reader may decide here and now.
    may_decide: bool
    #: A moderator looking at their own work under review.
    own_work: bool
    conversation: Conversation
    checklist: tuple[ChecklistPoint, ...]
    #: Published at once (a trusted teacher's) and waiting for a moderator's look.
    post_review: bool = False
    #: For moderators: who has taken the review on, while their claim holds.
    claim: claims.Claim | None = None
    #: For moderators: they may take it on here ("ik pak deze op").
    may_claim: bool = False

    @property
    def is_open(self) -> bool:
        return self.conversation.open


def review_panel_for(actor: Actor, material: Material, version: MaterialVersion
                     ) -> ReviewPanel | None:
    """The material's latest review for ``actor`` looking at ``version``: authors see it
    while it is open and after it was decided (a rejection's reason, the last word of the
    conversation); moderators only while it is open.  Nobody else sees one."""
    if not conversation.may_take_part(actor, material):
        return None
    request = db.session.scalar(
        select(ReviewRequest).where(ReviewRequest.material_id == material.id,
                                    ReviewRequest.status != ReviewStatus.CANCELLED)
        .order_by(ReviewRequest.id.desc()).limit(1))
    for_author = material_policy.is_author(actor, material)
    if request is None or not (request.is_open or for_author):
        return None
    talk = conversation.conversation_of(request)
    latest = talk.rounds[-1] if talk.rounds else None
    shows = version.id == request.version_id
    staff = material_policy.is_staff(actor)
    actor_id = getattr(actor, "id", None)
    own = staff and request.status == ReviewStatus.PENDING \
        and review.is_own_work(actor, request)
    claim = claims.current(request) if staff and request.status == ReviewStatus.PENDING \
        else None
    return ReviewPanel(
        request_id=request.id, status=request.status, version_id=request.version_id,
        version_number=request.version.number,
        submitted_by=latest.submitted_by if latest else request.submitted_by.display_name,
        submitted_at=latest.submitted_at if latest else request.submitted_at,
        reason=request.reason, shows_reviewed_version=shows, for_author=for_author,
        may_decide=shows and review.may_decide(actor, request, own)
        and (claim is None or claim.held_by(actor_id)),
        own_work=own,
        conversation=talk, checklist=checklist.points(), post_review=request.post_review,
        claim=claim,
        may_claim=staff and not own and claim is None and review.may_decide(actor, request, own))


def material_page_panel(page: MaterialPage) -> ReviewPanel | None:
    return review_panel_for(page.actor, page.material, page.version)


# -- The dashboard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """Where one material stands in review: its latest request that was not cancelled."""

    material_id: int
    slug: str
    request_id: int
    status: str
    version_number: int
    title: str
    reason: str | None
    #: Published at once (the author is trusted), a moderator has yet to look.
    post_review: bool = False


@dataclass(frozen=True)
class ReviewStandings:
    by_material: Mapping[int, Standing]

    def of(self, material_id: int) -> Standing | None:
        return self.by_material.get(material_id)

    @property
    def changes_requested(self) -> tuple[Standing, ...]:
        return tuple(s for s in self.by_material.values()
                     if s.status == ReviewStatus.CHANGES_REQUESTED)


def dashboard_standings(actor: Actor) -> ReviewStandings | None:
    """The review state of each of the actor's own materials, in one statement."""
    if not getattr(actor, "is_authenticated", False):
        return None
    latest = (select(func.max(ReviewRequest.id))
              .join(Material, Material.id == ReviewRequest.material_id)
              .where(Material.owner_id == actor.id,  # type: ignore[attr-defined]
                     ReviewRequest.status != ReviewStatus.CANCELLED)
              .group_by(ReviewRequest.material_id))
    rows = db.session.execute(
        select(ReviewRequest.material_id, Material.slug, ReviewRequest.id,
               ReviewRequest.status, MaterialVersion.number, MaterialVersion.title,
               ReviewRequest.reason, ReviewRequest.post_review)
        .join(Material, Material.id == ReviewRequest.material_id)
        .join(MaterialVersion, MaterialVersion.id == ReviewRequest.version_id)
        .where(ReviewRequest.id.in_(latest)))
    standings = {row[0]: Standing(*row) for row in rows}
    return ReviewStandings(standings) if standings else None


panels.register(Panel.REVIEW, material_page_panel, {Slot.REVIEW: "moderation/_review_panel.html"})
panels.register_dashboard(DashboardPanel.REVIEWS, dashboard_standings,
                          "moderation/_dashboard_reviews.html")
