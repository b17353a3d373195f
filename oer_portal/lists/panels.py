"""The "add to a list" panel of the material page, as plain data; registered with
``materials.panels`` when this module is imported."""

from __future__ import annotations

from dataclasses import dataclass

from oer_portal.lists import policy, service
from oer_portal.materials import panels
from oer_portal.materials.panels import MaterialPage, Panel, Slot


@dataclass(frozen=True)
class ListPanel:
    """The visitor's lists, each with whether it holds the material."""

    lists: tuple[tuple[service.ListSummary, bool], ...]

    @property
    def in_favourites(self) -> bool:
        return any(summary.is_favourites and held for summary, held in self.lists)

    @property
    def choices(self) -> tuple[service.ListSummary, ...]:
        """The lists the material is not on yet (the favourites have their own button)."""
        return tuple(summary for summary, held in self.lists
                     if not held and not summary.is_favourites)

    @property
    def holding(self) -> tuple[service.ListSummary, ...]:
        return tuple(summary for summary, held in self.lists if held)


def list_panel(page: MaterialPage) -> ListPanel | None:
    """Signed-in visitors of a material that is not withdrawn get the panel; one statement
    (their lists and whether each holds the material)."""
    if not policy.can_keep_lists(page.actor) or page.material.is_withdrawn:
        return None
    return ListPanel(tuple(service.lists_holding(page.actor, page.material.id)))


panels.register(Panel.LISTS, list_panel, {Slot.ASIDE: "lists/_panel.html"})
