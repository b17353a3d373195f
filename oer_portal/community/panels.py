"""The rating panel of the material page, as plain data; registered with
``materials.panels`` when this module is imported."""

from __future__ import annotations

from dataclasses import dataclass

from oer_portal.community import policy, service
from oer_portal.materials import panels
from oer_portal.materials.panels import MaterialPage, Panel, Slot


@dataclass(frozen=True)
class RatingPanel:
    """The ratings of the material and what the visitor may do with them."""

    summary: service.RatingSummary
    #: The stars the visitor gave, if any.
    own: int | None
    may_rate: bool
    #: The visitor is not logged in: invite them to, so they can rate.
    invite_login: bool

    @property
    def filled_stars(self) -> int:
        """Stars drawn filled: the average rounded half up (0 without ratings)."""
        average = self.summary.average
        return int(average + 0.5) if average is not None else 0


def rating_panel(page: MaterialPage) -> RatingPanel | None:
    """``None`` (no panel) unless the page shows the version the public sees now of a
    material that can be rated: a draft, a pending version, an earlier version's permalink
    or a withdrawn material has no rating to show.  One indexed query: the summary and the
    visitor's own rating together."""
    if not policy.is_rateable(page.material) or not page.shows_public_version:
        return None
    summary, own = service.summary_and_own(page.material.id, page.actor)
    return RatingPanel(summary, own, policy.can_rate(page.actor, page.material),
                       invite_login=not page.actor.is_authenticated)


panels.register(Panel.RATING, rating_panel, {Slot.ASIDE: "community/_rating.html"})
