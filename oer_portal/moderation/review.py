"""Reviewing one request: what the review screen shows, and the three decisions (approve,
request changes, reject), the same wherever a moderator makes them (the review screen, the
lesson page, the diff page, the queue).

Rules every decision keeps, on every path:

- a moderator never decides on their own work: not as the material's owner or co-author,
  and not when they wrote any version since the published one (an admin may edit anyone's
  material; their version is then their work too);
- a decision names the version the moderator looked at; when the request has moved on to
  another version meanwhile (the author submitted a newer one), or was decided by someone
  else, nothing happens and the moderator is told (``Conflict``);
- an approval publishes exactly the version under review, even when newer drafts exist:
  they stay drafts;
- while another moderator's claim on the request holds (``claims``), nobody else decides;
  a decision ends the claim;
- every decision is a message of the conversation (with the moderator's checklist), is
  audited and tells the authors.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import exists, func, select
from sqlalchemy.orm import joinedload

from oer_portal.accounts import policy as accounts_policy
from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.core import audit
from oer_portal.core.errors import Conflict, NotFound
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.licences.compatibility import allowed_licences_for_adaptation
from oer_portal.materials import lifecycle
from oer_portal.materials import policy as material_policy
from oer_portal.materials.compare import Comparison, compare_versions
from oer_portal.materials.models import Material, MaterialVersion
from oer_portal.materials.panels import PageLinks
from oer_portal.materials.reviews import ReviewRequest, ReviewStatus
from oer_portal.moderation import checklist as checklist_points
from oer_portal.moderation import claims, conversation
from oer_portal.moderation.conversation import Conversation
from oer_portal.moderation.models import MessageKind
from oer_portal.notifications.models import NotificationKind
from oer_portal.remix import credits as credit_wording
from oer_portal.remix import service as remix_service


class Decision(StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"


# -- Who may decide ---------------------------------------------------------------------------


def is_own_work(actor: Actor | None, request: ReviewRequest) -> bool:
    """``actor`` is an author of the material, or wrote a version of it since the published
    one (up to the version under review)."""
    if material_policy.is_author(actor, request.material):
        return True
    if not isinstance(actor, User):
        return False
    material = request.material
    published_number = select(MaterialVersion.number).where(
        MaterialVersion.id == material.published_version_id).scalar_subquery()
    return bool(db.session.scalar(select(exists().where(
        MaterialVersion.material_id == material.id,
        MaterialVersion.author_id == actor.id,
        MaterialVersion.number > func.coalesce(published_number, 0),
        MaterialVersion.number <= request.version.number))))


def may_decide(actor: Actor | None, request: ReviewRequest, own_work: bool) -> bool:
    """A moderator or admin, on a request waiting for a decision, that is not their own
    work (``own_work``: :func:`is_own_work`, which the caller shows as well)."""
    return (request.status == ReviewStatus.PENDING and not own_work
            and material_policy.can_review(actor, request.material, request.version))


# -- Deciding -------------------------------------------------------------------------------


def decide(actor: User, review_id: int, decision: Decision, version_id: int | None,
           checklist: Iterable[str] = (), comment: str = "",
           version_required: bool = False) -> ReviewRequest:
    """Make ``decision`` on the request about version ``version_id`` (``None``: whatever
    version it holds now, for the portal's own callers; a moderator's form always names
    the version they saw, ``version_required``)."""
    request = conversation.request_for(actor, review_id)
    require_permission(material_policy.can_review(actor, request.material, request.version)
                       and not is_own_work(actor, request))
    # The status and the claim are read under the row's lock: a claim or decision made
    # meanwhile by another moderator is seen here, never overwritten.
    claims.lock(request)
    if request.status != ReviewStatus.PENDING:
        raise Conflict(_("This review has already been decided.")
                       if not request.is_open else
                       _("This review is back with the author, who was asked for changes."))
    if version_id is None and version_required:
        raise Conflict(_("The form did not say which version you decided on, so nothing "
                         "was changed. Look at the request again and decide."))
    if version_id is not None and version_id != request.version_id:
        raise Conflict(_("The author submitted version %(n)d meanwhile. Look at it before "
                         "you decide.", n=request.version.number))
    claims.refuse_if_held_by_another(actor, request)
    ticked = checklist_points.known(checklist)
    if decision == Decision.APPROVE:
        published = request.material.published_version
        if published is not None and published.number > request.version.number:
            raise Conflict(_("A newer version (%(n)d) was published meanwhile; publishing "
                             "this one would take it back.", n=published.number))
        text = (comment or "").strip()[:conversation.MAX_LENGTH]
    elif decision == Decision.REQUEST_CHANGES:
        text = conversation.clean_text(comment, _("Tell the author what to change."))
    else:
        text = conversation.clean_text(comment, _("Tell the author why, so they can improve "
                                                  "it."))
    _record(actor, request, decision, text, ticked)
    if decision == Decision.APPROVE:
        lifecycle.publish(request.material, request.version, actor)
    return request


#: What each decision makes of the request, its message, its audit entry and the authors'
#: notification (with the name its text has in the notification's params).
_OUTCOMES = {
    Decision.APPROVE: (ReviewStatus.APPROVED, MessageKind.APPROVED, "review.approved",
                       NotificationKind.REVIEW_APPROVED, "comment"),
    Decision.REQUEST_CHANGES: (ReviewStatus.CHANGES_REQUESTED, MessageKind.CHANGES_REQUESTED,
                               "review.changes_requested",
                               NotificationKind.REVIEW_CHANGES_REQUESTED, "comment"),
    Decision.REJECT: (ReviewStatus.REJECTED, MessageKind.REJECTED, "review.rejected",
                      NotificationKind.REVIEW_REJECTED, "reason"),
}


def _record(actor: User, request: ReviewRequest, decision: Decision, text: str,
            ticked: list[str]) -> None:
    """Close the round: the request's status, the decision as a message of the
    conversation, the audit entry, the authors told."""
    status, kind, action, notification, text_name = _OUTCOMES[decision]
    request.status = status
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    claims.end(request)
    # What the author is shown as where the request stands (none once it is published).
    request.reason = None if decision == Decision.APPROVE else text
    message = conversation.record_decision(actor, request, kind, text, ticked)
    # The moderator's words are kept whole in the entry: the log must say why without
    # relying on the conversation.
    details = {"review": request.id, "version_id": request.version_id,
               "version": request.version.number, "message": message.id,
               "checklist": ticked}
    if text:
        details[text_name] = text
    audit.record(action, actor_id=actor.id, target=("material", request.material_id),
                 details=details)
    conversation.notify_authors(actor, request, notification,
                                {"moderator": actor.display_name,
                                 text_name: conversation.excerpt(text)})


# -- The review screen ----------------------------------------------------------------------


@dataclass(frozen=True)
class RemixSource:
    """The original a remix adapts, as the review screen names it."""

    material: Material
    version: MaterialVersion
    #: The remix's licence is not the original's: the moderator should look twice.
    licence_differs: bool
    #: The licence rules allow the remix's licence for this original.
    licence_allowed: bool


@dataclass(frozen=True)
class ReviewScreen:
    request: ReviewRequest
    material: Material
    #: The version under review.
    version: MaterialVersion
    #: The version the public sees now (``None``: a first submission, shown whole).
    published: MaterialVersion | None
    comparison: Comparison | None
    credits_html: Markup
    source: RemixSource | None
    conversation: Conversation
    may_decide: bool
    #: A moderator looking at their own work: they may read and write, not decide.
    own_work: bool
    #: The head, when the authors saved a newer draft than the version under review.
    newer_draft_number: int | None
    #: The version of the round before (the one changes were asked to), if any.
    previous_number: int | None
    #: The claim that holds now ("taken on by …"), if any.
    claim: claims.Claim | None
    #: The reader may take the request on (or renew their own claim).
    may_claim: bool
    #: The reader is an admin who may take over another moderator's claim.
    may_take_over: bool

    @property
    def checklist(self) -> tuple[checklist_points.ChecklistPoint, ...]:
        return checklist_points.points()


def review_screen(actor: Actor, review_id: int, links: PageLinks, locale: str
                  ) -> ReviewScreen:
    """Everything the review screen shows, for a moderator or admin (anyone else: not
    found; the authors read the conversation on their material's page)."""
    if not material_policy.is_staff(actor):
        raise NotFound()
    request = db.session.get(ReviewRequest, review_id)
    if request is None:
        raise NotFound()
    material = request.material
    # The version under review and the published one in one statement, their authors'
    # names without their roles.
    loaded = {v.id: v for v in db.session.scalars(
        select(MaterialVersion)
        .options(joinedload(MaterialVersion.author).load_only(User.stored_name)
                 .lazyload(User.role_rows))
        .where(MaterialVersion.id.in_(
            {request.version_id, material.published_version_id or request.version_id}))
    ).unique()}
    version = loaded[request.version_id]
    published = loaded.get(material.published_version_id or 0)
    comparison = compare_versions(actor, published, version) \
        if published is not None and published.id != version.id else None
    chain = remix_service.ancestry(material, version)
    credits = remix_service.credits(material, version, links, chain)
    source = None
    if chain.links:
        source_material, source_version = chain.links[0]
        source = RemixSource(
            source_material, source_version,
            licence_differs=source_version.licence != version.licence,
            licence_allowed=allowed_licences_for_adaptation(
                [source_version.licence]).allows(version.licence))
    talk = conversation.conversation_of(request)
    own = is_own_work(actor, request)
    claim = claims.current(request)
    user_id = getattr(actor, "id", None)
    held_by_other = claim is not None and not claim.held_by(user_id)
    eligible = may_decide(actor, request, own)
    numbers = [round_.version_number for round_ in talk.rounds]
    return ReviewScreen(
        request=request, material=material, version=version, published=published,
        comparison=comparison, credits_html=credit_wording.as_html(credits, locale),
        source=source, conversation=talk,
        may_decide=eligible and not held_by_other,
        own_work=own,
        newer_draft_number=material.latest_version.number
        if material.latest_version_id not in (version.id, None) else None,
        previous_number=numbers[-2] if len(numbers) > 1 and numbers[-2] != numbers[-1]
        else None,
        claim=claim, may_claim=eligible and not held_by_other,
        may_take_over=eligible and held_by_other and accounts_policy.is_admin(actor))
