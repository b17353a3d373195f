"""Change proposals on the material page and the dashboard, as plain data; registered with
``materials.panels`` when this module is imported.

On the material page: the open proposals for its authors (never for anyone else), the
"propose a change" link for teachers who cannot edit it, their own proposals, and the
contributors credited for the version shown.  On the dashboard: the open proposals on the
teacher's materials.
"""

from __future__ import annotations

from dataclasses import dataclass

from oer_portal.accounts.policy import Actor
from oer_portal.materials import panels
from oer_portal.materials import policy as material_policy
from oer_portal.materials.panels import DashboardPanel, MaterialPage, Panel, Slot
from oer_portal.proposals import policy, service
from oer_portal.proposals.models import ChangeProposal


@dataclass(frozen=True)
class ProposalPanel:
    #: Open proposals, for the material's authors only.
    open: tuple[ChangeProposal, ...]
    #: The visitor's own proposals on this material.
    own: tuple[ChangeProposal, ...]
    may_propose: bool
    #: Display names of the proposers whose accepted changes are in the version shown.
    contributors: tuple[str, ...]


def material_panel(page: MaterialPage) -> ProposalPanel | None:
    material, actor = page.material, page.actor
    authenticated = actor.is_authenticated
    open_ = tuple(service.open_proposals(material.id)) \
        if material_policy.is_author(actor, material) else ()
    own = tuple(service.own_proposals(actor, material.id)) if authenticated else ()
    may_propose = page.shows_public_version and policy.can_propose(actor, material)
    contributors = tuple(user.display_name for user in
                         service.contributors(material, page.version))
    if not (open_ or own or may_propose or contributors):
        return None
    return ProposalPanel(open_, own, may_propose, contributors)


def dashboard_panel(actor: Actor) -> tuple[ChangeProposal, ...] | None:
    proposals = tuple(service.open_for_author(actor))
    return proposals or None


panels.register(Panel.PROPOSALS, material_panel,
                {Slot.NOTICES: "proposals/_notices.html",
                 Slot.CREDITS: "proposals/_contributors.html",
                 Slot.ASIDE: "proposals/_aside.html"})
panels.register_dashboard(DashboardPanel.PROPOSALS, dashboard_panel, "proposals/_dashboard.html")
