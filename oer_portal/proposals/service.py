"""Change proposals: propose, discuss, accept (through the materials' own save path) or
decline.

Accepting never writes the proposal's text over the material: it is saved with
``materials.service.save_version`` as an edit that started from the proposal's base, so a
head that moved since is merged three-way exactly as any stale edit is, and a conflict
raises ``VersionConflict`` (the resolution page), never storing markers.  The new version is
the accepting author's; the proposer is credited as a contributor through the accepted
proposal (``contributors``) and the version goes to a moderator like any revision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased, joinedload

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.core import audit
from oer_portal.core.errors import NotFound, ValidationError
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle, queries
from oer_portal.materials import policy as material_policy
from oer_portal.materials import service as materials
from oer_portal.materials.attachments import refs_of
from oer_portal.materials.compare import Comparison, compare_unchecked
from oer_portal.materials.metadata import InvalidFields, VersionFields, validate
from oer_portal.materials.models import Material, MaterialCoAuthor, MaterialVersion
from oer_portal.notifications.models import NotificationKind, TargetType
from oer_portal.notifications.service import notify
from oer_portal.proposals import policy
from oer_portal.proposals.models import ChangeProposal, ProposalComment, ProposalStatus

MAX_COMMENT = 4000
MAX_REASON = 2000


class Applies(StrEnum):
    """How a proposal stands against the material's current head."""

    CURRENT = "current"  #: its base is still the head
    MERGES = "merges"  #: the head moved; accepting merges cleanly
    CONFLICTS = "conflicts"  #: the head moved; accepting needs the resolution page


def get_material(actor: Actor, material_id: int) -> Material:
    """A material ``actor`` may propose a change to (others: not found / forbidden)."""
    material = queries.material_for(actor, material_id)
    require_permission(policy.can_propose(actor, material))
    return material


def propose(actor: Actor, material_id: int, title: str, description: str, body: str,
            summary: str) -> ChangeProposal:
    """Store a teacher's proposed title, summary and text against the published version.

    The text is contributed under the material's licence (the form says so); the other
    fields stay the base's, so accepting merges only what the proposer could change.
    """
    material = get_material(actor, material_id)
    base = db.session.get(MaterialVersion, material.published_version_id)
    fields = validate(replace(VersionFields.of(base), title=title, description=description,
                              body=body), material.kind)
    if not summary.strip():
        raise InvalidFields({"summary": _("Say briefly why you propose this change.")})
    if (fields.title, fields.description, fields.body) == (base.title, base.description,
                                                           base.body):
        raise InvalidFields({"body": _("Your proposal changes nothing yet.")})
    proposal = ChangeProposal(
        material_id=material.id, base_version_id=base.id, proposer_id=actor.id,
        title=fields.title, description=fields.description, body=fields.body,
        summary=summary.strip()[:500], status=ProposalStatus.OPEN, created_at=utcnow())
    db.session.add(proposal)
    db.session.flush()
    audit.record("proposal.created", actor_id=actor.id, target=("material", material.id),
                 details={"proposal": proposal.id, "version": base.number})
    notify(_author_ids(material), NotificationKind.PROPOSAL_NEW,
           (TargetType.PROPOSAL, proposal.id), _params(proposal), actor_id=actor.id)
    return proposal


def get(actor: Actor, material_id: int, proposal_id: int) -> ChangeProposal:
    """The proposal, for its proposer, the material's authors and staff; not found for
    everyone else (as if it did not exist)."""
    proposal = db.session.get(ChangeProposal, proposal_id)
    if proposal is None or proposal.material_id != material_id \
            or not policy.can_view(actor, proposal):
        raise NotFound()
    return proposal


def proposed_fields(proposal: ChangeProposal, onto: MaterialVersion | None = None
                    ) -> VersionFields:
    """The proposal as an edit: ``onto``'s fields (its base's by default) with the proposed
    title, summary and text."""
    return replace(VersionFields.of(onto or proposal.base_version), title=proposal.title,
                   description=proposal.description, body=proposal.body)


def as_version(proposal: ChangeProposal) -> MaterialVersion:
    """An unsaved version holding the proposal, for the comparison service (never added to
    the session)."""
    base = proposal.base_version
    fields = proposed_fields(proposal)
    return MaterialVersion(
        material_id=base.material_id, number=base.number, title=fields.title,
        description=fields.description, body=fields.body, body_html="",
        language=fields.language, licence=fields.licence, link_url=fields.link_url,
        meta=fields.meta(), author_id=proposal.proposer_id, summary=proposal.summary,
        base_version_id=base.id, created_at=proposal.created_at)


def comparison(proposal: ChangeProposal) -> Comparison:
    """The change from the base to the proposal (the caller checked ``can_view``)."""
    return compare_unchecked(proposal.base_version, as_version(proposal))


def applies(actor: Actor, proposal: ChangeProposal) -> Applies:
    """Whether accepting now would merge cleanly; tried without saving anything.

    Authors and staff learn it against the head; the proposer against the published version
    (an unpublished head is not theirs to know of, not even that it exists)."""
    material = proposal.material
    head = material.latest_version if material_policy.can_see_unpublished(actor, material) \
        else material.published_version
    if head is None or head.id == proposal.base_version_id:
        return Applies.CURRENT
    return (Applies.MERGES if materials.merges_cleanly(proposal.base_version, head,
                                                        proposed_fields(proposal))
            else Applies.CONFLICTS)


def accept(actor: Actor, material_id: int, proposal_id: int,
           resolved: tuple[int, str, str, str] | None = None) -> materials.SaveResult:
    """Save the proposal as the material's next version and submit it for review.

    ``resolved`` is what the resolution page sends after a conflict: the head it started
    from and the title, summary and text the author settled on.  Raises
    ``materials.service.VersionConflict`` when the merge needs that page.
    """
    proposal = get(actor, material_id, proposal_id)
    require_permission(policy.can_decide(actor, proposal))
    material = proposal.material
    if resolved is None:
        base_id, fields = proposal.base_version_id, proposed_fields(proposal)
        refs = refs_of(proposal.base_version.attachments)
    else:
        base_id, title, description, body = resolved
        start = queries.own_version(material, base_id)
        if start is None:
            raise NotFound()
        fields = replace(VersionFields.of(start), title=title, description=description,
                         body=body)
        refs = refs_of(start.attachments)
    result = materials.save_version(actor, material.id, base_id, fields, refs,
                                    proposal.summary)
    proposal.status = ProposalStatus.ACCEPTED
    proposal.version_id = result.version.id
    proposal.decided_by_id, proposal.decided_at = actor.id, utcnow()
    audit.record("proposal.accepted", actor_id=actor.id, target=("material", material.id),
                 details={"proposal": proposal.id, "proposer": proposal.proposer_id,
                          "version": result.version.number})
    lifecycle.submit_for_review(actor, material)
    notify([proposal.proposer_id], NotificationKind.PROPOSAL_ACCEPTED,
           (TargetType.PROPOSAL, proposal.id), _params(proposal), actor_id=actor.id)
    return result


def decline(actor: Actor, material_id: int, proposal_id: int, reason: str) -> ChangeProposal:
    """Decline with a reason, which the proposer reads."""
    proposal = get(actor, material_id, proposal_id)
    require_permission(policy.can_decide(actor, proposal))
    reason = reason.strip()
    if not reason:
        raise InvalidFields({"reason": _("Say why you decline the proposal.")})
    proposal.status = ProposalStatus.DECLINED
    proposal.reason = reason[:MAX_REASON]
    proposal.decided_by_id, proposal.decided_at = actor.id, utcnow()
    audit.record("proposal.declined", actor_id=actor.id,
                 target=("material", proposal.material_id),
                 details={"proposal": proposal.id, "proposer": proposal.proposer_id,
                          "reason": proposal.reason})
    notify([proposal.proposer_id], NotificationKind.PROPOSAL_DECLINED,
           (TargetType.PROPOSAL, proposal.id), {**_params(proposal), "reason": proposal.reason},
           actor_id=actor.id)
    return proposal


def withdraw(actor: Actor, material_id: int, proposal_id: int) -> ChangeProposal:
    """The proposer takes their own open proposal back."""
    proposal = get(actor, material_id, proposal_id)
    require_permission(policy.can_withdraw(actor, proposal))
    proposal.status = ProposalStatus.WITHDRAWN
    proposal.decided_by_id, proposal.decided_at = actor.id, utcnow()
    audit.record("proposal.withdrawn", actor_id=actor.id,
                 target=("material", proposal.material_id), details={"proposal": proposal.id})
    return proposal


def comment(actor: Actor, material_id: int, proposal_id: int, body: str) -> ProposalComment:
    proposal = get(actor, material_id, proposal_id)
    require_permission(policy.can_comment(actor, proposal))
    body = body.strip()
    if not body:
        raise ValidationError(_("Write a comment first."))
    message = ProposalComment(proposal_id=proposal.id, author_id=actor.id,
                              body=body[:MAX_COMMENT], created_at=utcnow())
    db.session.add(message)
    return message


def thread(proposal: ChangeProposal) -> list[ProposalComment]:
    return list(db.session.scalars(select(ProposalComment).where(
        ProposalComment.proposal_id == proposal.id).order_by(ProposalComment.id)))


def open_proposals(material_id: int) -> list[ChangeProposal]:
    return list(db.session.scalars(select(ChangeProposal).where(
        ChangeProposal.material_id == material_id,
        ChangeProposal.status == ProposalStatus.OPEN).order_by(ChangeProposal.id)))


def own_proposals(actor: Actor, material_id: int) -> list[ChangeProposal]:
    """The proposer's own proposals on a material, newest first."""
    return list(db.session.scalars(select(ChangeProposal).where(
        ChangeProposal.material_id == material_id, ChangeProposal.proposer_id == actor.id)
        .order_by(ChangeProposal.id.desc())))


def open_for_author(actor: Actor) -> list[ChangeProposal]:
    """Open proposals on the materials ``actor`` owns or co-writes (their dashboard)."""
    co_written = select(MaterialCoAuthor.material_id).where(
        MaterialCoAuthor.user_id == actor.id)
    return list(db.session.scalars(
        select(ChangeProposal).join(Material, Material.id == ChangeProposal.material_id)
        .where(ChangeProposal.status == ProposalStatus.OPEN,
               or_(Material.owner_id == actor.id, Material.id.in_(co_written)))
        .options(joinedload(ChangeProposal.proposer),
                 joinedload(ChangeProposal.material).joinedload(Material.latest_version))
        .order_by(ChangeProposal.id)))


@dataclass(frozen=True)
class ProposalRow:
    """A proposal as a list on the material page shows it (no further loading)."""

    id: int
    summary: str
    status: str
    proposer_id: int
    proposer_name: str
    base_number: int
    #: The number of the version an accepted proposal became.
    version_number: int | None


def page_rows(material_id: int) -> list[ProposalRow]:
    """The proposals of a material the material page may need (open, accepted, and any of
    them for their own proposer), in one query: the page filters them for its reader."""
    base, became = aliased(MaterialVersion), aliased(MaterialVersion)
    rows = db.session.execute(
        select(ChangeProposal.id, ChangeProposal.summary, ChangeProposal.status,
               ChangeProposal.proposer_id, User.display_name, base.number, became.number)
        .join(User, User.id == ChangeProposal.proposer_id)
        .join(base, base.id == ChangeProposal.base_version_id)
        .outerjoin(became, became.id == ChangeProposal.version_id)
        .where(ChangeProposal.material_id == material_id)
        .order_by(ChangeProposal.id))
    return [ProposalRow(*row) for row in rows]


def contributors(pairs: Sequence[tuple[Material, MaterialVersion]]
                 ) -> dict[int, list[User]]:
    """For each ``(material, version)``: the proposers of the accepted proposals that
    became that version or an earlier one, credited "with contributions from" beside the
    authors.  One query for all of them (an arrangement credits every part it includes)."""
    if not pairs:
        return {}
    rows = db.session.execute(
        select(ChangeProposal.material_id, MaterialVersion.number, User)
        .join(User, User.id == ChangeProposal.proposer_id)
        .join(MaterialVersion, MaterialVersion.id == ChangeProposal.version_id)
        .where(ChangeProposal.material_id.in_({material.id for material, _v in pairs}),
               ChangeProposal.status == ProposalStatus.ACCEPTED)
        .order_by(ChangeProposal.id)).all()
    found: dict[int, list[User]] = {}
    for material, version in pairs:
        authors = {material.owner_id, *material.co_author_ids}
        found[version.id] = list(dict.fromkeys(
            user for material_id, number, user in rows
            if material_id == material.id and number <= version.number
            and user.id not in authors))
    return found


def _author_ids(material: Material) -> Sequence[int]:
    return [material.owner_id, *material.co_author_ids]


def _params(proposal: ChangeProposal) -> dict[str, object]:
    # The public title: the proposer may not see an unpublished head's.
    shown = proposal.material.published_version or proposal.base_version
    return {"title": shown.title,
            "material_id": proposal.material_id}

