"""The arrangement parts of the material page, as plain data: an arrangement's table of
contents with the credits of the materials it includes, for any other material the
arrangements that include it, and for every material its downloads as a Common Cartridge
or web pages.  Both register with ``materials.panels`` when this module is
imported; the pages of an arrangement's parts show the same table of contents.

Templates link the parts themselves, from the ids and numbers kept here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from flask_babel import gettext as _
from markupsafe import Markup

from oer_portal.accounts.policy import Actor
from oer_portal.arrangements import service, structure
from oer_portal.arrangements.structure import NodeKind, Outline, TreeNode
from oer_portal.collections.records import RecordLink
from oer_portal.licences.compatibility import collection_credit_note
from oer_portal.materials import panels
from oer_portal.materials.models import Material, MaterialKind, MaterialVersion
from oer_portal.materials.panels import MaterialPage, PageLinks, Panel, Slot
from oer_portal.remix import service as remix_service
from oer_portal.remix.panels import credits_html


@dataclass(frozen=True)
class Contents:
    """An arrangement's table of contents as one reader sees it."""

    tree: list[TreeNode]
    #: Part index → the included material as the reader may see it.
    embedded: dict[int, service.Embedded]
    #: Part index → the part's title as the reader sees it.
    titles: dict[int, str]
    #: What a part's address is made of: the material's, or the version's permalink.
    material_id: int
    slug: str
    version_number: int
    permalink: bool
    #: Link part index → the harvested record it came from, for its collection's name.
    links: dict[int, RecordLink] = field(default_factory=dict)
    #: On the material page only: the collection rule's sentence, and the credits of every
    #: included material, each once.
    collection_note: str = ""
    item_credits: tuple[Markup, ...] = ()

    @property
    def start(self) -> TreeNode | None:
        """The part "start" opens: the first that is not a section (a section's page only
        lists what the table of contents shows already), else the first part."""
        items = list(structure.walk(self.tree))
        return next((item for item in items if item.node.kind != NodeKind.SECTION),
                    items[0] if items else None)


def table_of_contents(actor: Actor, material: Material, version: MaterialVersion,
                      permalink: bool, outline: Outline | None = None) -> Contents:
    """The table of contents of ``version`` for ``actor``; ``outline``: the version's
    outline when the caller has read it already (a part's page)."""
    outline = outline if outline is not None else service.outline_of(version.id)
    embedded = service.resolve(actor, outline)
    return Contents(tree=structure.tree(outline), embedded=embedded,
                    titles=titles(outline, embedded), material_id=material.id,
                    slug=material.slug, version_number=version.number, permalink=permalink,
                    links=service.linked_records(outline))


def contents_panel(page: MaterialPage) -> Contents | None:
    """An arrangement's table of contents with the credits of what it includes (``None``
    for other kinds)."""
    if page.material.kind != MaterialKind.ARRANGEMENT:
        return None
    contents = table_of_contents(page.actor, page.material, page.version, page.permalink)
    shown = [(item.material, item.version) for item in contents.embedded.values()
             if item.version is not None]
    credits = included_credits(shown, page.links, page.locale)
    return replace(contents, collection_note=collection_credit_note(page.locale),
                   item_credits=tuple(credits.values()))


def included_credits(shown: Sequence[tuple[Material, MaterialVersion]], links: PageLinks,
                     locale: str) -> dict[tuple[int, int], Markup]:
    """The TASL credits of every included material shown, each (material, version) once,
    with the contributors of all of them found at once (the overview and the print view)."""
    contributors = remix_service.contributors_of(shown)
    return {(material.id, version.id): credits_html(
        material, version, links, locale, contributors.get(version.id, ()))
        for material, version in shown}


@dataclass(frozen=True)
class Including:
    """A published arrangement that includes the material, by its published title."""

    material_id: int
    slug: str
    title: str


def used_in_panel(page: MaterialPage) -> tuple[Including, ...] | None:
    """The published arrangements that include the material, on its own page (not for
    arrangements, and not on the permalinks of versions); ``None`` when there are none."""
    material = page.material
    if page.permalink or material.kind == MaterialKind.ARRANGEMENT \
            or not page.shows_public_version:
        return None
    return tuple(Including(arrangement.id, arrangement.slug, title)
                 for arrangement, title in service.used_in(material.id)) or None


def titles(outline: Outline, embedded: dict[int, service.Embedded]) -> dict[int, str]:
    """The title of every part as the reader sees it (an included material's own title,
    or "not available" when the reader may not see it)."""
    result = {}
    for index, node in enumerate(outline):
        if node.kind != NodeKind.MATERIAL:
            result[index] = node.title
            continue
        item = embedded.get(index)
        result[index] = node.title or (item.version.title if item and item.version
                                       else _("Material not available"))
    return result


@dataclass(frozen=True)
class Downloads:
    """The material page's download links: the version to ask for (``None``: the one the
    page shows by default, so the links stay the same across versions)."""

    material_id: int
    number: int | None


def downloads_panel(page: MaterialPage) -> Downloads:
    """Anyone who sees a version may download it (``export_views.py``)."""
    return Downloads(page.material.id, page.version.number if page.permalink else None)


panels.register(Panel.CONTENTS, contents_panel, {Slot.CONTENT: "arrangements/_overview.html"})
panels.register(Panel.EXPORT, downloads_panel, {Slot.ASIDE: "arrangements/_downloads.html"})
panels.register(Panel.USED_IN, used_in_panel, {Slot.ASIDE: "arrangements/_used_in.html"})
