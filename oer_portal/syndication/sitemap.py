"""The sitemap (https://www.sitemaps.org/protocol.html): an index of pages of material URLs.

Pages are ranges of material ids: page ``n`` holds the published materials with ids from
``(n - 1) * size + 1`` to ``n * size``.  A page therefore never holds more than ``size``
URLs, each is one range scan of the primary key reading three small columns (never a
version's text), and a material stays on the same page for good, so a crawler's copy of the
other pages stays right.  The index lists only the ranges that hold a published material
(one grouped query).  ``lastmod`` is when the public version last changed (``published_at``):
saving a draft changes nothing the public sees.

Service layer: the view gives the functions that make the addresses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from lxml import etree
from sqlalchemy import func, select

from oer_portal.extensions import db
from oer_portal.materials.models import Material, MaterialStatus

NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
#: The protocol's limit of URLs per sitemap file.
MAX_PAGE_SIZE = 50_000


@dataclass(frozen=True)
class SitemapPage:
    number: int
    lastmod: datetime | None


@dataclass(frozen=True)
class MaterialEntry:
    material_id: int
    slug: str
    lastmod: datetime | None


def _published() -> object:
    return Material.status == MaterialStatus.PUBLISHED


def page_size(configured: int) -> int:
    return max(1, min(int(configured), MAX_PAGE_SIZE))


def pages(size: int) -> list[SitemapPage]:
    """The pages that hold a published material, in order, each with its newest change."""
    bucket = ((Material.id - 1) // size).label("bucket")
    rows = db.session.execute(
        select(bucket, func.max(Material.published_at))
        .where(_published()).group_by(bucket).order_by(bucket))
    return [SitemapPage(int(row[0]) + 1, row[1]) for row in rows]


def entries(number: int, size: int) -> list[MaterialEntry]:
    """The published materials of page ``number`` (empty for a page that holds none)."""
    if number < 1:
        return []
    first = (number - 1) * size + 1
    rows = db.session.execute(
        select(Material.id, Material.slug, Material.published_at)
        .where(_published(), Material.id >= first, Material.id < first + size)
        .order_by(Material.id))
    return [MaterialEntry(row.id, row.slug, row.published_at) for row in rows]


def _w3c(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()


def _document(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def index_xml(sitemap_pages: Iterable[SitemapPage], location: Callable[[int], str],
              extra: Iterable[str] = ()) -> bytes:
    """The sitemap index: ``extra`` sitemaps (the portal's other public pages) and one
    sitemap per page of materials, at ``location(number)``."""
    root = etree.Element(f"{{{NAMESPACE}}}sitemapindex", nsmap={None: NAMESPACE})
    for url in extra:
        etree.SubElement(etree.SubElement(root, f"{{{NAMESPACE}}}sitemap"),
                         f"{{{NAMESPACE}}}loc").text = url
    for page in sitemap_pages:
        sitemap = etree.SubElement(root, f"{{{NAMESPACE}}}sitemap")
        etree.SubElement(sitemap, f"{{{NAMESPACE}}}loc").text = location(page.number)
        if page.lastmod is not None:
            etree.SubElement(sitemap, f"{{{NAMESPACE}}}lastmod").text = _w3c(page.lastmod)
    return _document(root)


def urlset_xml(urls: Iterable[tuple[str, datetime | None]]) -> bytes:
    """One sitemap: each ``(address, last change)``."""
    root = etree.Element(f"{{{NAMESPACE}}}urlset", nsmap={None: NAMESPACE})
    for loc, lastmod in urls:
        url = etree.SubElement(root, f"{{{NAMESPACE}}}url")
        etree.SubElement(url, f"{{{NAMESPACE}}}loc").text = loc
        if lastmod is not None:
            etree.SubElement(url, f"{{{NAMESPACE}}}lastmod").text = _w3c(lastmod)
    return _document(root)
