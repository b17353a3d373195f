"""Change proposals on the material page and the dashboard, as plain data; registered with
``materials.panels`` when this module is imported.

On the material page: the open proposals for its authors (never for anyone else), the
"propose a change" link for teachers who cannot edit it and their own proposals.  On the
dashboard: the open proposals on the teacher's materials.  The credits (the remix
feature's) name the proposers of accepted proposals as contributors.
"""

from __future__ import annotations

from dataclasses import dataclass

from oer_portal.accounts.policy import Actor
from oer_portal.materials import panels
from oer_portal.materials import policy as material_policy
from oer_portal.materials.panels import DashboardPanel, MaterialPage, Panel, Slot
from oer_portal.proposals import policy, service
from oer_portal.proposals.models import ChangeProposal, ProposalStatus
from oer_portal.remix import service as remix


@dataclass(frozen=True)
class ProposalPanel:
    #: Open proposals, for the material's authors only.
    open: tuple[service.ProposalRow, ...]
    #: The visitor's own proposals on this material, newest first.
    own: tuple[service.ProposalRow, ...]
    may_propose: bool


def material_panel(page: MaterialPage) -> ProposalPanel | None:
    """No query for a visitor who is not signed in (they have no proposals and see
    none); one for anyone else: the material's proposals as rows, filtered here."""
    material, actor = page.material, page.actor
    may_propose = page.shows_public_version and policy.can_propose(actor, material)
    rows = service.page_rows(material.id) if actor.is_authenticated else []
    author = material_policy.is_author(actor, material)
    open_ = tuple(row for row in rows if author and row.status == ProposalStatus.OPEN)
    own = tuple(reversed([row for row in rows if row.proposer_id == actor.id]))
    if not (open_ or own or may_propose):
        return None
    return ProposalPanel(open_, own, may_propose)


def dashboard_panel(actor: Actor) -> tuple[ChangeProposal, ...] | None:
    proposals = tuple(service.open_for_author(actor))
    return proposals or None


panels.register(Panel.PROPOSALS, material_panel,
                {Slot.NOTICES: "proposals/_notices.html", Slot.ASIDE: "proposals/_aside.html"})
# The credits of a version name the proposers whose accepted changes are in it.
remix.register_contributors(service.contributors)
panels.register_dashboard(DashboardPanel.PROPOSALS, dashboard_panel, "proposals/_dashboard.html")
