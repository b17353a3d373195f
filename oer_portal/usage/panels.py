"""The statistics on the material page and the dashboard, for the material's authors only;
registered with ``materials.panels`` when this module is imported."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from oer_portal.accounts.policy import Actor
from oer_portal.materials import panels
from oer_portal.materials.panels import DashboardPanel, MaterialPage, Panel, Slot
from oer_portal.usage import service
from oer_portal.usage.counter import UsageCounter


def _counter() -> UsageCounter:
    return current_app.extensions["usage"]


@dataclass(frozen=True)
class UsagePanel:
    """The way to the material's statistics."""

    material_id: int


def usage_panel(page: MaterialPage) -> UsagePanel | None:
    """For its authors and staff, once the material has been public; nobody else learns how
    often a material is used.  No query: the material page's cost stays as it was (the
    numbers are on the statistics page and the dashboard)."""
    material = page.material
    if material.published_version_id is None or not service.can_see_statistics(
            page.actor, material):
        return None
    return UsagePanel(material.id)


def dashboard_uses(actor: Actor) -> tuple[service.MaterialUse, ...] | None:
    """The teacher's published materials with their uses; ``None`` when there are none."""
    return service.owned_uses(actor, _counter().pending()) or None


panels.register(Panel.USAGE, usage_panel, {Slot.ASIDE: "usage/_panel.html"})
panels.register_dashboard(DashboardPanel.USAGE, dashboard_uses, "usage/_dashboard.html")
