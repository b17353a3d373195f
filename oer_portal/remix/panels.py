"""The remix parts of the material page and the dashboard, as plain data.

On the material page: the credits (HTML, text, Markdown), the remix button or the licence
engine's reason why not, the owner's notice that the original has a new version, a pulled
version that still holds conflict markers, and the family tree with its picture.  On the
dashboard: the teacher's remixes whose original has a new version.  Both register with
``materials.panels`` when this module is imported.

A module of its own rather than part of ``service.py``: it reads ``upstream``, which builds
on ``service``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.licences.compatibility import allowed_licences_for_adaptation
from oer_portal.materials import panels
from oer_portal.materials import policy as material_policy
from oer_portal.materials.models import Material, MaterialVersion
from oer_portal.materials.panels import DashboardPanel, MaterialPage, PageLinks, Panel, Slot
from oer_portal.remix import credits as wording
from oer_portal.remix import policy, provenance, service, upstream


@dataclass(frozen=True)
class UpstreamNotice:
    """The original of a remix published a version the remix has neither pulled nor
    dismissed."""

    remix_id: int
    #: The title of the remix's newest version.
    remix_title: str
    #: The original's newest published version: its id (dismissing names it), title and
    #: number.
    latest_version_id: int
    latest_title: str
    latest_number: int
    #: The original's version the remix is in step with.
    synced_number: int

    @classmethod
    def of(cls, status: upstream.UpstreamStatus | None) -> UpstreamNotice | None:
        """The notice ``status`` calls for (``None``: nothing new, or dismissed)."""
        latest = status.latest if status is not None and status.notice else None
        if status is None or latest is None:
            return None
        head = status.remix.latest_version
        return cls(status.remix.id, head.title if head else "", latest.id, latest.title,
                   latest.number, status.synced.number)


@dataclass(frozen=True)
class RemixPanel:
    """What the material page shows for remixing."""

    credits_html: Markup
    credits_text: str
    credits_markdown: str
    #: The visitor may remix the version shown, and its licence allows it.
    may_remix: bool
    #: Why the licence does not allow a remix, for a visitor who could otherwise remix.
    remix_refusal: str | None
    #: For the remix's authors: the original has a version they have not seen yet.
    upstream: UpstreamNotice | None
    #: For the authors: the number of the head version when it still holds conflict
    #: markers from a pull.
    conflicted_version: int | None
    tree: provenance.FamilyTree
    tree_svg: Markup | None


def credits_html(material: Material, version: MaterialVersion, links: PageLinks,
                 locale: str, contributors: Sequence[User] | None = None) -> Markup:
    """The TASL credits of one version with its sources (an arrangement lists these for the
    materials it includes, with ``service.contributors_of`` worked out for all of them)."""
    return wording.as_html(service.credits(material, version, links,
                                           contributors=contributors), locale)


def material_page_panel(page: MaterialPage) -> RemixPanel:
    """The remix panel of ``page``.

    The page keeps to a small, fixed number of queries: the remix button is offered for the
    version the public sees now (an older published version can be remixed through the
    form's ``version`` parameter), and the family tree is shown on the material's own page,
    not on the permalinks of its versions.
    """
    actor, material, version, locale = page.actor, page.material, page.version, page.locale
    chain = service.ancestry(material, version)
    credits = service.credits(material, version, page.links, chain)
    refusal = None
    may_remix = False
    if policy.can_remix(actor, material, version,
                        frozenset({material.published_version_id or 0})):
        refusal = allowed_licences_for_adaptation([version.licence]).reason(locale)
        may_remix = refusal is None
    status = upstream.status_of(material) if policy.can_follow_upstream(actor, material) \
        else None
    head = material.latest_version if material_policy.can_edit(actor, material) else None
    tree = _family(page, chain, with_descendants=not page.permalink)
    return RemixPanel(
        credits_html=wording.as_html(credits, locale),
        credits_text=wording.as_text(credits, locale),
        credits_markdown=wording.as_markdown(credits, locale),
        may_remix=may_remix, remix_refusal=refusal,
        upstream=UpstreamNotice.of(status),
        conflicted_version=head.number if head is not None
        and upstream.has_conflict_markers(head) else None,
        tree=tree,
        tree_svg=None if tree.is_alone else provenance.render_svg(
            tree, title=_("Family tree of “%(title)s”", title=version.title),
            description=_("Sources above it: %(sources)d. Remixes below it: %(remixes)d. "
                          "The list before this picture says the same with links.",
                          sources=len(tree.ancestors), remixes=tree.descendant_count),
            withdrawn_label=_("withdrawn"), more_label=_("More in the list above.")))


def _family(page: MaterialPage, chain: service.Ancestry, with_descendants: bool
            ) -> provenance.FamilyTree:
    """Sources above, the remixes ``page.actor`` may see below (not on permalinks)."""

    def node(of: Material, title: str) -> provenance.FamilyNode:
        return provenance.FamilyNode(of.id, title, of.owner.display_name, page.links.page(of),
                                     withdrawn=of.is_withdrawn)

    def grow(descendant: service.Descendant) -> provenance.FamilyNode:
        grown = node(descendant.material, descendant.title)
        grown.children = [grow(child) for child in descendant.children]
        return grown

    roots, deeper = service.descendants(page.actor, page.material, chain) \
        if with_descendants else ([], False)
    current = node(page.material, page.version.title)
    current.children = [grow(root) for root in roots]
    ancestors = [node(source, adapted.title) for source, adapted in chain.links]
    return provenance.build(current, ancestors, truncated=deeper or chain.truncated)


def dashboard_notices(actor: Actor) -> tuple[UpstreamNotice, ...] | None:
    """The actor's remixes whose original has a newer version (``None``: none)."""
    return tuple(filter(None, map(UpstreamNotice.of, upstream.notices(actor)))) or None


panels.register(Panel.REMIX, material_page_panel, {
    Slot.NOTICES: "remix/_notices.html", Slot.CREDITS: "remix/_credits.html",
    Slot.CONTENT: "remix/_family.html", Slot.ASIDE: "remix/_aside.html"})
panels.register_dashboard(DashboardPanel.UPSTREAM, dashboard_notices, "remix/_dashboard.html")
