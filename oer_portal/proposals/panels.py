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
from oer_portal.proposals.models import ChangeProposal, ProposalStatus


@dataclass(frozen=True)
class ProposalPanel:
    #: Open proposals, for the material's authors only.
    open: tuple[service.ProposalRow, ...]
    #: The visitor's own proposals on this material, newest first.
    own: tuple[service.ProposalRow, ...]
    may_propose: bool
    #: Display names of the proposers whose accepted changes are in the version shown.
    contributors: tuple[str, ...]


def material_panel(page: MaterialPage) -> ProposalPanel | None:
    """One query whatever the reader: the material's proposals as rows, filtered here."""
    material, actor = page.material, page.actor
    rows = service.page_rows(material.id)
    author = material_policy.is_author(actor, material)
    actor_id = actor.id if actor.is_authenticated else None
    open_ = tuple(row for row in rows if author and row.status == ProposalStatus.OPEN)
    own = tuple(reversed([row for row in rows if row.proposer_id == actor_id]))
    may_propose = page.shows_public_version and policy.can_propose(actor, material)
    authors = {material.owner_id, *material.co_author_ids}
    contributors = tuple(dict.fromkeys(
        row.proposer_name for row in rows
        if row.status == ProposalStatus.ACCEPTED and row.version_number is not None
        and row.version_number <= page.version.number and row.proposer_id not in authors))
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
