"""The embed view of a material or an arrangement, and the code that frames it.

A learning environment shows ``/materials/<id>/embed`` in an iframe.  The view is rendered
for the public whoever asks (an iframe on another site is public; and the session cookie is
``SameSite=Lax``, so a browser would not send it there anyway): the published version, never
a draft or a version that waits for review, even for its author.  A material that was
withdrawn leaves a small tombstone that still fits in the frame (``410 Gone``); one that was
never published is *not found*.

The page has little chrome: the title, the text, the files, an arrangement's table of
contents, and the credits, which stay in view at the bottom of the frame however far the
reader scrolls (the licences ask for them wherever the work is shown).  Every link opens in
a new tab, so the learning environment stays where it is; a link within the text
(``#section``, a footnote) stays in the frame.

Service layer: addresses come from the view (``PageLinks`` and the frame's ``src``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

from oer_portal.accounts.policy import PUBLIC
from oer_portal.arrangements.panels import Contents, contents_panel
from oer_portal.core.errors import NotFound
from oer_portal.materials import queries
from oer_portal.materials.models import Material, MaterialKind, MaterialVersion
from oer_portal.materials.panels import MaterialPage, PageLinks
from oer_portal.remix.panels import credits_html

#: The frame's size when the embedding site asks for none (oEmbed's ``maxwidth`` and
#: ``maxheight`` make it smaller, never larger).
DEFAULT_WIDTH = 800
DEFAULT_HEIGHT = 600
MIN_SIZE = 100


@dataclass(frozen=True)
class EmbedPage:
    material: Material
    #: ``None``: the material was withdrawn (the tombstone).
    version: MaterialVersion | None
    credits: Markup | None = None
    contents: Contents | None = None


def embed_page(material_id: int, links: PageLinks, locale: str) -> EmbedPage:
    """What the embed view of ``material_id`` shows the public."""
    material = queries.material_for(PUBLIC, material_id)
    version = queries.displayed_version(PUBLIC, material)
    if version is None:
        return EmbedPage(material, None)
    contents = None
    if material.kind == MaterialKind.ARRANGEMENT:
        contents = contents_panel(MaterialPage(PUBLIC, material, version, False, links, locale))
    return EmbedPage(material, version, credits_html(material, version, links, locale),
                     contents)


def public_version(material_id: int) -> tuple[Material, MaterialVersion]:
    """The material and the version the public sees; *not found* for a draft or a withdrawn
    material (oEmbed offers nothing to embed for either)."""
    material = queries.material_for(PUBLIC, material_id)
    version = queries.displayed_version(PUBLIC, material)
    if version is None:
        raise NotFound()
    return material, version


def frame_size(max_width: int | None, max_height: int | None) -> tuple[int, int]:
    """The frame's width and height within the embedding site's limits."""
    width = DEFAULT_WIDTH if max_width is None else max(MIN_SIZE, min(DEFAULT_WIDTH, max_width))
    height = DEFAULT_HEIGHT if max_height is None else max(MIN_SIZE,
                                                           min(DEFAULT_HEIGHT, max_height))
    return width, height


def iframe_html(src: str, title: str, width: int = DEFAULT_WIDTH,
                height: int = DEFAULT_HEIGHT) -> Markup:
    """The code a teacher pastes into a learning environment (and oEmbed's ``html``)."""
    return Markup(
        '<iframe src="{src}" title="{title}" width="{width}" height="{height}" '
        'style="max-width: 100%; border: 1px solid #d0d7de;" loading="lazy" '
        'referrerpolicy="strict-origin-when-cross-origin"></iframe>'
    ).format(src=src, title=title, width=width, height=height)


_ANCHOR = re.compile(r"<a\b([^>]*)>", re.IGNORECASE)
_HREF = re.compile(r"""\shref\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
_REL = re.compile(r"""\srel\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)
_TARGET = re.compile(r"""\starget\s*=\s*(["'])(.*?)\1""", re.IGNORECASE | re.DOTALL)


def _new_tab(match: re.Match[str]) -> str:
    attributes = match.group(1)
    href = _HREF.search(attributes)
    if href is None or href.group(2).startswith("#"):
        return match.group(0)
    attributes = _TARGET.sub("", attributes)
    rel = _REL.search(attributes)
    if rel is None:
        attributes += ' rel="noopener"'
    elif "noopener" not in rel.group(2).split():
        attributes = _REL.sub(lambda m: f' rel="{escape(m.group(2))} noopener"', attributes,
                              count=1)
    return f'<a{attributes} target="_blank">'


def new_tab_links(html: str) -> Markup:
    """``html`` (safe markup: ours, or sanitised lesson HTML) with every link but those
    within the page opening in a new tab, without access to the frame (``noopener``)."""
    return Markup(_ANCHOR.sub(_new_tab, str(html)))  # noqa: S704 (input is safe markup)  # nosec B704
