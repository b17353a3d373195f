""""More like this" on the material page; registered with ``materials.panels`` when this
module is imported."""

from __future__ import annotations

from oer_portal.materials import panels
from oer_portal.materials.panels import MaterialPage, Panel, Slot
from oer_portal.search.related import Related, more_like_this


def related_panel(page: MaterialPage) -> tuple[Related, ...] | None:
    """Published materials like the one shown, only beside the version the public sees (the
    index holds published versions only); ``None`` when there are none."""
    if not page.shows_public_version:
        return None
    return tuple(more_like_this(page.material.id)) or None


panels.register(Panel.RELATED, related_panel, {Slot.ASIDE: "search/_related.html"})
