"""Claims on review requests ("Ik pak deze op"): a moderator says they are working on a
request, so that two moderators do not review the same one.

- Only a moderator (or admin) who may decide on the request claims it: never on their own
  work, never on a request that is not waiting for a decision.
- A claim holds for ``MODERATION_CLAIM_MINUTES`` from when it was made (claiming again
  renews it).  While it holds, ``review.decide`` refuses every other moderator with a
  ``Conflict`` that says who has it and until when, on every path (review screen, lesson
  page, diff page, queue).  After it, anyone may claim the request (and decide).
- The claimant releases it; a decision ends it; an admin may take it over explicitly.
- Every claim, release and take-over is audited (``review.claimed``, ``review.released``,
  ``review.claim_taken_over``) in the same unit of work.

The claim is two columns of the request (``claimed_by_id``, ``claimed_at``), not a table: a
request has at most one claim, and the row is the one a decision locks, so "is it claimed?"
and "decide" are read under the same lock.  Two moderators claiming at once: the first
locks the row (``SELECT … FOR UPDATE``; on SQLite the writing transaction's ``BEGIN
IMMEDIATE``), the second reads the claim after the first committed and is refused.

``review`` calls :func:`lock`, :func:`refuse_if_held_by_another` and :func:`end` from
``decide``; this module calls ``review.is_own_work`` when a claim is made (each imports the
other as a module and reaches into it only when called).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from oer_portal.accounts import policy as accounts_policy
from oer_portal.accounts.models import User
from oer_portal.accounts.policy import require as require_permission
from oer_portal.core import audit
from oer_portal.core.errors import Conflict
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.materials import policy as material_policy
from oer_portal.materials.reviews import ReviewRequest, ReviewStatus
from oer_portal.moderation import conversation, review


@dataclass(frozen=True)
class Claim:
    """A claim that holds now."""

    moderator_id: int
    moderator_name: str
    since: datetime
    until: datetime

    def held_by(self, user_id: int | None) -> bool:
        return self.moderator_id == user_id


def duration() -> timedelta:
    """How long a claim holds (``MODERATION_CLAIM_MINUTES``)."""
    return timedelta(minutes=max(int(current_app.config["MODERATION_CLAIM_MINUTES"]), 0))


def holds(status: str, claimed_by_id: int | None, claimed_at: datetime | None,
          now: datetime | None = None) -> bool:
    """A claim with these values holds at ``now``: the request waits for a decision and
    the claim is younger than :func:`duration`."""
    if status != ReviewStatus.PENDING or claimed_by_id is None or claimed_at is None:
        return False
    return claimed_at + duration() > (now or utcnow())


def of_row(status: str, claimed_by_id: int | None, claimed_at: datetime | None,
           name: str | None, now: datetime | None = None) -> Claim | None:
    """The claim of a request read as columns (the queue reads the claimant's name in its
    one statement), or ``None`` when none holds."""
    if not holds(status, claimed_by_id, claimed_at, now):
        return None
    assert claimed_by_id is not None and claimed_at is not None  # narrows the type  # nosec B101
    return Claim(claimed_by_id, name or "…", claimed_at, claimed_at + duration())


def current(request: ReviewRequest) -> Claim | None:
    """The claim on ``request`` that holds now (the claimant's name costs one small query,
    only when there is one)."""
    if not holds(request.status, request.claimed_by_id, request.claimed_at):
        return None
    name = db.session.scalar(select(User.display_name).where(User.id == request.claimed_by_id))
    return of_row(request.status, request.claimed_by_id, request.claimed_at, name)


def lock(request: ReviewRequest) -> None:
    """Lock the request's row for this transaction and read it again, so what is checked
    next (status, claim) is what the database holds and stays so until the commit."""
    # Fetched, not only executed: the rows refresh the loaded request as they are read.
    db.session.scalars(select(ReviewRequest).where(ReviewRequest.id == request.id)
                       .with_for_update().execution_options(populate_existing=True)).one()


def held_message(claim: Claim) -> str:
    return _("%(name)s has taken this review on (since %(since)s, until %(until)s). Wait "
             "until they release it or the claim runs out.", name=claim.moderator_name,
             since=format_datetime(claim.since, "short"),
             until=format_datetime(claim.until, "short"))


def refuse_if_held_by_another(actor: User, request: ReviewRequest) -> None:
    """``review.decide``'s check, after :func:`lock`: another moderator's claim holds."""
    claim = current(request)
    if claim is not None and not claim.held_by(actor.id):
        raise Conflict(held_message(claim))


def end(request: ReviewRequest) -> None:
    """A decision ends the claim (the next round starts unclaimed)."""
    request.claimed_by_id = request.claimed_at = None


def _open_for(actor: User, review_id: int) -> ReviewRequest:
    """The request, locked, for a moderator who may decide on it and while it waits for a
    decision; else not found (outsiders), forbidden (authors, own work) or a conflict."""
    request = conversation.request_for(actor, review_id)
    require_permission(material_policy.can_review(actor, request.material, request.version)
                       and not review.is_own_work(actor, request))
    lock(request)
    if request.status != ReviewStatus.PENDING:
        raise Conflict(_("This review is not waiting for a decision, so it cannot be taken "
                         "on."))
    return request


def _audit(action: str, actor: User, request: ReviewRequest, **details: object) -> None:
    audit.record(action, actor_id=actor.id, target=("material", request.material_id),
                 details={"review": request.id, "version_id": request.version_id,
                          "version": request.version.number, **details})


def claim(actor: User, review_id: int) -> Claim:
    """``actor`` takes the request on (or renews their own claim).  Refused while another
    moderator's claim holds; an expired one is taken over."""
    request = _open_for(actor, review_id)
    held = current(request)
    if held is not None and not held.held_by(actor.id):
        raise Conflict(held_message(held))
    lapsed = request.claimed_by_id if held is None and request.claimed_by_id not in (
        None, actor.id) else None
    request.claimed_by_id, request.claimed_at = actor.id, utcnow()
    _audit("review.claimed", actor, request, renewed=held is not None,
           lapsed_claim_of=lapsed)
    return Claim(actor.id, actor.display_name, request.claimed_at,
                 request.claimed_at + duration())


def take_over(actor: User, review_id: int) -> Claim:
    """An admin takes over another moderator's claim that still holds (explicitly: the
    claimant is named in the audit entry)."""
    require_permission(accounts_policy.is_admin(actor))
    request = _open_for(actor, review_id)
    held = current(request)
    if held is None or held.held_by(actor.id):
        return claim(actor, review_id)
    request.claimed_by_id, request.claimed_at = actor.id, utcnow()
    _audit("review.claim_taken_over", actor, request, previous=held.moderator_id)
    return Claim(actor.id, actor.display_name, request.claimed_at,
                 request.claimed_at + duration())


def release(actor: User, review_id: int) -> ReviewRequest:
    """The claimant lets go of the request (also after their claim ran out)."""
    request = conversation.request_for(actor, review_id)
    require_permission(material_policy.is_staff(actor))
    lock(request)
    if request.claimed_by_id != actor.id:
        raise Conflict(_("You have not taken this review on, so there is nothing to "
                         "release."))
    end(request)
    _audit("review.released", actor, request)
    return request
