"""What other features show on the material page and on a teacher's dashboard.

The material page shows the review of a version and its conversation and the link to report
it (moderation: for moderators, taking it offline and putting it back), credits
and the family tree (remix), the rating (community), adding to the visitor's lists (lists),
an arrangement's table of contents and the arrangements that include a material
(arrangements), "more like this" (search), and the schema.org data, oEmbed discovery link
and embed code (syndication).
Those features build on materials, not the reverse, so the page cannot import them: each
registers, when it is imported, a function of its service layer that returns its panel as
plain data for one page view (or ``None``: nothing to show), together with the template
that shows it in each part of the page.  The page works them out and renders them in the
fixed order of :class:`Panel`, the way ``hooks.py`` lets a feature add to one kind of
material.

Panel functions never read the request and never build URLs themselves: what they need
from the web layer (the visitor, the address of a material, the language) comes in
:class:`MaterialPage`; templates link ids and slugs themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.materials.models import Material, MaterialVersion


class Panel(StrEnum):
    """The panels of the material page, in the order they are worked out and, within each
    :class:`Slot`, shown."""

    #: the review request: the moderator's decisions, the conversation with the authors
    REVIEW = "review"
    CONTENTS = "contents"  #: an arrangement's table of contents
    REMIX = "remix"  #: credits, remix button, upstream notice, family tree
    #: change proposals: the authors' list of open ones, "propose a change", contributors
    PROPOSALS = "proposals"
    RATING = "rating"
    LISTS = "lists"  #: adding the material to the visitor's favourites or lists
    #: structured data (schema.org), oEmbed discovery and "Insluiten" (syndication)
    SYNDICATION = "syndication"
    #: downloading the material as a Common Cartridge or as web pages (arrangements)
    EXPORT = "export"
    USED_IN = "used_in"  #: the arrangements that include the material
    #: views and downloads of the last days, for the material's authors (usage)
    USAGE = "usage"
    RELATED = "related"  #: more like this
    #: reporting the material; for moderators, taking it offline or putting it back
    REPORT = "report"


class Slot(StrEnum):
    """Where on the material page a panel's template goes."""

    #: under the material's own text: its review, the moderator's decisions and the
    #: conversation (only its authors and moderators ever get a panel here)
    REVIEW = "review"
    NOTICES = "notices"  #: above the title: messages for the material's authors
    CREDITS = "credits"  #: in the header, under the title
    CONTENT = "content"  #: under the material's own text and files
    ASIDE = "aside"  #: the side column, under the facts
    #: in the page's ``<head>``: links and structured data for machines (no visible text)
    HEAD = "head"


class DashboardPanel(StrEnum):
    """The panels of a teacher's dashboard (``/my/materials``), in the order shown."""

    #: where each material stands in review (per row of the list) and what asks for changes
    REVIEWS = "reviews"
    UPSTREAM = "upstream"  #: originals of the teacher's remixes that have a new version
    PROPOSALS = "proposals"  #: open change proposals on the teacher's materials
    #: views and downloads of the teacher's published materials (usage)
    USAGE = "usage"


class PageLinks(Protocol):
    """Addresses a panel needs as text, built by the web layer (``materials/web.py``).

    Credits are copied to other sites, so their links are absolute; ``page`` is a link on
    our own pages.
    """

    def material(self, material: Material, number: int | None) -> str:
        """The material's page (``number`` ``None``) or one version's permalink, absolute."""

    def profile(self, user: User) -> str:
        """A user's public profile, absolute."""

    def page(self, material: Material) -> str:
        """The material's page, as a link on the portal's own pages."""


@dataclass(frozen=True)
class MaterialPage:
    """One view of the material page: what every panel function is given."""

    actor: Actor
    material: Material
    version: MaterialVersion
    #: The address of one version (``/v/<n>``) rather than the material's own page.
    permalink: bool
    links: PageLinks
    locale: str

    @property
    def shows_public_version(self) -> bool:
        """The version shown is the one the public sees now."""
        return self.version.id == self.material.published_version_id


#: A panel function: the panel's plain, typed value, or ``None`` to show nothing.
PageBuilder = Callable[[MaterialPage], object | None]
DashboardBuilder = Callable[[Actor], object | None]


@dataclass(frozen=True)
class _PageRegistration:
    build: PageBuilder
    templates: Mapping[Slot, str]


_PAGE: dict[Panel, _PageRegistration] = {}
_DASHBOARD: dict[DashboardPanel, tuple[DashboardBuilder, str]] = {}


def register(panel: Panel, build: PageBuilder, templates: Mapping[Slot, str]) -> None:
    """Show ``build``'s value on the material page, with a template per slot it fills (the
    template reads the value as ``panel``)."""
    _PAGE[panel] = _PageRegistration(build, dict(templates))


def register_dashboard(panel: DashboardPanel, build: DashboardBuilder, template: str) -> None:
    """Show ``build(actor)`` on the dashboard with ``template`` (which reads it as
    ``panel``)."""
    _DASHBOARD[panel] = (build, template)


@dataclass(frozen=True)
class ShownPanels:
    """The panels of one page view: their values, and per slot the templates to include
    with the value each reads as ``panel``."""

    values: Mapping[Panel, object]
    placed: Mapping[Slot, tuple[tuple[str, object], ...]]

    def at(self, slot: str) -> tuple[tuple[str, object], ...]:
        return self.placed.get(Slot(slot), ())

    def get(self, panel: Panel) -> object | None:
        return self.values.get(panel)


def collect(page: MaterialPage) -> ShownPanels:
    """Every registered panel's value for ``page``, in the order of :class:`Panel`; a panel
    nobody registered, or one whose function returned ``None``, is left out."""
    values: dict[Panel, object] = {}
    placed: dict[Slot, list[tuple[str, object]]] = {slot: [] for slot in Slot}
    for panel in Panel:
        registration = _PAGE.get(panel)
        value = registration.build(page) if registration is not None else None
        if value is None:
            continue
        values[panel] = value
        for slot, template in registration.templates.items():
            placed[slot].append((template, value))
    return ShownPanels(values, {slot: tuple(items) for slot, items in placed.items()})


class ShownDashboard(tuple[tuple[str, object], ...]):
    """The dashboard's panels as (template, value) pairs, in order; ``get`` finds one panel's
    value, for a part of the page that reads it outside its own template (the list of
    materials shows each one's review state)."""

    values: Mapping[DashboardPanel, object]

    def __new__(cls, shown: tuple[tuple[DashboardPanel, str, object], ...]) -> ShownDashboard:
        made = super().__new__(cls, tuple((template, value) for _panel, template, value in shown))
        made.values = {panel: value for panel, _template, value in shown}
        return made

    def get(self, panel: str) -> object | None:
        return self.values.get(DashboardPanel(panel))


def dashboard(actor: Actor) -> ShownDashboard:
    """The dashboard's panels for ``actor`` as (template, value), in the order of
    :class:`DashboardPanel`."""
    shown = []
    for panel in DashboardPanel:
        build, template = _DASHBOARD.get(panel, (None, ""))
        value = build(actor) if build is not None else None
        if value is not None:
            shown.append((panel, template, value))
    return ShownDashboard(tuple(shown))
