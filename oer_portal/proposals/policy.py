"""Who may propose, see and decide change proposals.  The service asks these; nothing else
decides.  A proposal is never public: its proposer, the material's authors and staff only."""

from __future__ import annotations

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.materials import policy as material_policy
from oer_portal.materials.models import Material, MaterialKind
from oer_portal.proposals.models import ChangeProposal


def _user_id(actor: Actor | None) -> int | None:
    return actor.id if isinstance(actor, User) and actor.is_authenticated else None


def can_propose(actor: Actor | None, material: Material) -> bool:
    """A teacher who cannot edit a published material (its authors simply edit it)."""
    return (material_policy.can_create(actor) and not material_policy.can_edit(actor, material)
            and material.kind != MaterialKind.ARRANGEMENT  # its outline is the builder's
            and not material.is_withdrawn and material.published_version_id is not None)


def is_proposer(actor: Actor | None, proposal: ChangeProposal) -> bool:
    user_id = _user_id(actor)
    return user_id is not None and user_id == proposal.proposer_id


def can_view(actor: Actor | None, proposal: ChangeProposal) -> bool:
    return is_proposer(actor, proposal) or material_policy.can_see_unpublished(
        actor, proposal.material)


def can_decide(actor: Actor | None, proposal: ChangeProposal) -> bool:
    """Only the owner and the co-authors accept or decline (not staff, not admins: it is
    their text), while the proposal is open and the material not withdrawn."""
    return (proposal.is_open and not proposal.material.is_withdrawn
            and material_policy.is_author(actor, proposal.material))


def can_comment(actor: Actor | None, proposal: ChangeProposal) -> bool:
    """The thread is between the proposer and the authors, while the proposal is open."""
    return proposal.is_open and (is_proposer(actor, proposal)
                                 or material_policy.is_author(actor, proposal.material))


def can_withdraw(actor: Actor | None, proposal: ChangeProposal) -> bool:
    return proposal.is_open and is_proposer(actor, proposal)
