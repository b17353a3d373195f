"""A whole arrangement on one page, to print: every part in reading order as one reader may
see it, and the credits at the end.

Paper has no links to follow, so the page carries the text of every part rather than a
table of contents: own pages, the text of each included material with its licence line,
link parts with their address written out, and a placeholder for a part this reader may not
see (a draft or withdrawn material: the visibility rules of the material itself apply, as on
the part pages, through ``service.resolve``).  Headings nest by section depth: a part at
the top is an ``<h2>`` (the arrangement's title is the ``<h1>``), one in a section an
``<h3>``, and the headings inside a part's text move down below the part's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from markupsafe import Markup
from sqlalchemy import select

from oer_portal.accounts.policy import Actor
from oer_portal.arrangements import service, structure
from oer_portal.arrangements.panels import included_credits, titles
from oer_portal.arrangements.structure import NodeKind
from oer_portal.extensions import db
from oer_portal.licences.compatibility import collection_credit_note
from oer_portal.materials.models import Material, MaterialVersion
from oer_portal.materials.panels import PageLinks
from oer_portal.remix.panels import credits_html

#: The arrangement's title is the page's ``<h1>``; a part at the top is one level below it.
TOP_HEADING = 2
#: Lesson text starts its headings at ``<h2>`` (``core.markdown``).
TEXT_HEADING = 2

_HEADING_TAG = re.compile(r"<(/?)h([1-6])\b")
_ID = re.compile(r'\bid="')
_FRAGMENT = re.compile(r'\bhref="#')
#: A link whose text is its own address (``<https://…>`` in Markdown).
_BARE_LINK = re.compile(r'<a ([^>]*?)href="([^"]+)"([^>]*)>\2</a>')


@dataclass(frozen=True)
class PrintPart:
    """One part of the arrangement as the print view shows it."""

    index: int
    #: "1", "1.2": the number the table of contents gives it.
    number: str
    depth: int
    kind: NodeKind
    title: str
    #: The part's heading level (2 at the top, one more per section it is in).
    heading: int
    #: An own page's text, or the shown version's of an included material (sanitised, its
    #: headings below the part's and its ids made unique on the page).
    html: Markup | None = None
    #: An included material and the version shown; ``None`` when not available to the reader.
    material: Material | None = None
    version: MaterialVersion | None = None
    #: The credits of an included material (TASL, with its chain of sources).
    credits: Markup | None = None
    #: A link part's address.
    url: str = ""

    @property
    def available(self) -> bool:
        return self.kind != NodeKind.MATERIAL or self.version is not None

    @property
    def anchor(self) -> str:
        return f"part-{self.number}"


@dataclass(frozen=True)
class PrintView:
    material: Material
    version: MaterialVersion
    parts: tuple[PrintPart, ...]
    #: The parts as a tree, for the short table of contents at the top, and each part's
    #: title as the reader sees it.
    tree: list[structure.TreeNode]
    titles: dict[int, str]
    #: The arrangement's own TASL credits (with its sources when it is a remix).
    credits: Markup
    #: The collection rule's sentence and the credits of every included material, each once.
    collection_note: str
    item_credits: tuple[Markup, ...]


def for_part(html: str, number: str, heading: int) -> Markup:
    """``html`` (sanitised) placed under a part's heading of level ``heading``: its own
    headings moved down to follow it (at most ``<h6>``), its ids (and the links to them)
    prefixed with the part's number, so two parts' "Introduction" stay two targets, and
    links that show their own address marked (``data-url-shown``), so that paper does not
    repeat the address after them."""
    shift = heading + 1 - TEXT_HEADING

    def level(match: re.Match[str]) -> str:
        return f"<{match[1]}h{min(6, max(1, int(match[2]) + shift))}"

    prefix = f"p{number.replace('.', '-')}-"
    moved = _HEADING_TAG.sub(level, html)
    moved = _ID.sub(f'id="{prefix}', moved)
    moved = _FRAGMENT.sub(f'href="#{prefix}', moved)
    moved = _BARE_LINK.sub(r'<a data-url-shown \1href="\2"\3>\2</a>', moved)
    return Markup(moved)  # noqa: S704 (sanitised HTML, tags renamed and ids prefixed)  # nosec B704


def _bodies(version_ids: Iterable[int]) -> dict[int, str]:
    """The rendered text of the shown versions, in one query (``service.resolve`` leaves
    it out: the overview does not need it)."""
    ids = set(version_ids)
    if not ids:
        return {}
    rows = db.session.execute(select(MaterialVersion.id, MaterialVersion.body_html)
                              .where(MaterialVersion.id.in_(ids)))
    return {version_id: body for version_id, body in rows}


def print_view(actor: Actor, material: Material, version: MaterialVersion, links: PageLinks,
               locale: str) -> PrintView:
    """``version`` of the arrangement ``material`` as ``actor`` may see it, to print."""
    rows = service.rows_of(version.id)
    outline = tuple(row.as_node() for row in rows)
    embedded = service.resolve(actor, outline)
    shown = [(item.material, item.version) for item in embedded.values()
             if item.material is not None and item.version is not None]
    bodies = _bodies(v.id for _m, v in shown)
    credits = included_credits(shown, links, locale)
    tree = structure.tree(outline)
    shown_titles = titles(outline, embedded)
    parts: list[PrintPart] = []
    for item in structure.walk(tree):
        node, row = item.node, rows[item.index]
        heading = min(6, TOP_HEADING + node.depth)
        part = PrintPart(item.index, item.number, node.depth, node.kind,
                         shown_titles[item.index], heading)
        if node.kind == NodeKind.PAGE:
            part = replace(part, html=for_part(row.body_html, item.number, heading))
        elif node.kind == NodeKind.LINK:
            part = replace(part, url=node.url)
        elif node.kind == NodeKind.MATERIAL:
            found = embedded.get(item.index)
            if found is not None and found.material is not None and found.version is not None:
                shown_version = found.version
                part = replace(part, material=found.material, version=shown_version,
                               credits=credits[(found.material.id, shown_version.id)],
                               html=for_part(bodies.get(shown_version.id, ""), item.number,
                                             heading))
        parts.append(part)
    return PrintView(material, version, tuple(parts), tree, shown_titles,
                     credits=credits_html(material, version, links, locale),
                     collection_note=collection_credit_note(locale) if credits else "",
                     item_credits=tuple(credits.values()))
