"""The rating panel of the material page (stars in the side column, written reviews under
the material), as plain data; registered with ``materials.panels`` when this module is
imported."""

from __future__ import annotations

from dataclasses import dataclass

from oer_portal.accounts import policy as account_policy
from oer_portal.community import policy, reviews, service
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
    #: The first page of reviews, newest first (the reviews page has the rest and the
    #: "most helpful" order).
    reviews: reviews.ReviewPage
    may_review: bool
    #: The id of the visitor's own review, if they wrote one (then "edit", not "write").
    own_review_id: int | None
    #: The visitor is a moderator: each review offers "hide".
    moderator: bool
    #: Level codes → labels, for "used in class at level …".
    levels: dict[str, str]

    @property
    def filled_stars(self) -> int:
        """Stars drawn filled: the average rounded half up (0 without ratings)."""
        average = self.summary.average
        return int(average + 0.5) if average is not None else 0


def rating_panel(page: MaterialPage) -> RatingPanel | None:
    """``None`` (no panel) unless the page shows the version the public sees now of a
    material that can be rated: a draft, a pending version, an earlier version's permalink
    or a withdrawn material has no rating to show.  A fixed number of indexed queries,
    however many reviews: the summary with the visitor's own rating, and one page of reviews
    that carries their count and the visitor's own review's id."""
    if not policy.is_rateable(page.material) or not page.shows_public_version:
        return None
    summary, own = service.summary_and_own(page.material.id, page.actor)
    found = reviews.review_page(page.actor, page.material.id)
    return RatingPanel(summary, own, policy.can_rate(page.actor, page.material),
                       invite_login=not page.actor.is_authenticated,
                       reviews=found,
                       may_review=policy.can_review(page.actor, page.material),
                       own_review_id=found.own_review_id,
                       moderator=account_policy.is_moderator(page.actor),
                       levels=reviews.level_labels(page.locale))


panels.register(Panel.RATING, rating_panel, {Slot.ASIDE: "community/_rating.html",
                                             Slot.CONTENT: "community/_reviews.html"})
