"""What an export of a material or an arrangement holds for one reader, as plain data.

Both exports (the Common Cartridge, ``cartridge.py``, and the web pages ZIP,
``offline.py``) write the same parts: this module works them out once.  An export holds
only what the requesting actor may see, decided by the rules the pages use
(``service.resolve`` for included materials, the material policy for the version
itself); a part they may not see becomes a placeholder that says so, and keeps nothing of
the hidden material but the caption the arrangement's authors gave it (which every reader
of the arrangement sees anyway).

Nothing here builds a URL: the web layer (``export_views.py``, or the CLI through
``web.py``) passes ``ExportLinks`` with absolute addresses, so the writers stay plain
functions of this plan.  Attachment bytes are not read here either: the writers stream
them from the file store by their hash.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol
from urllib.parse import urlsplit

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload, undefer

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.arrangements import panels as arrangement_panels
from oer_portal.arrangements import service
from oer_portal.arrangements.cartridge_links import linked_material_files, relative_file_links
from oer_portal.arrangements.structure import Node, NodeKind, Outline, tree, walk
from oer_portal.core.errors import NotFound
from oer_portal.core.markdown import REMOTE_IMAGE_PATH, render_markdown
from oer_portal.extensions import db
from oer_portal.licences import registry
from oer_portal.materials import queries
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialKind, MaterialVersion
from oer_portal.materials.panels import PageLinks
from oer_portal.materials.service import slugify
from oer_portal.materials.uploads.names import clean_characters, sanitise_filename
from oer_portal.remix import service as remix_service
from oer_portal.remix.panels import credits_html

#: Characters of a part's folder name taken from its title (``007-het-water``).
FOLDER_SLUG_LENGTH = 40
#: Schemes a link part may be written out with as a link; anything else is shown as text.
LINK_SCHEMES = frozenset({"http", "https"})
NO_HTML = Markup("")


class ExportLinks(PageLinks, Protocol):
    """``PageLinks`` with every address absolute (an export leaves the portal), and the
    portal's own base address (``oer-portal:portal``)."""

    @property
    def portal(self) -> str:
        """The portal's base address, without a trailing slash."""


class PartKind(StrEnum):
    SECTION = "section"
    PAGE = "page"
    MATERIAL = "material"
    LINK = "link"
    #: A part the reader may not see (an included draft, a withdrawn material).
    PLACEHOLDER = "placeholder"


@dataclass(frozen=True)
class ExportFile:
    """An attachment as it goes into the archive: under a name no user chose as a path."""

    name: str
    sha256: str
    size: int
    media_type: str
    #: ``(material id, file name)``: the portal's address for it by name
    #: (``/materials/<id>/attachments/<name>``), which a page's text may link to.
    address: tuple[int, str] | None = None


@dataclass
class Part:
    """One node of the outline as the reader sees it, with all an export writes of it."""

    #: Position in the outline (reading order), from 0.
    index: int
    #: "1", "1.2", … as the table of contents numbers it.
    number: str
    kind: PartKind
    title: str
    #: ``NNN-slug``: the part's folder in both archives, unique and safe.
    folder: str
    #: The rendered, sanitised text (own page or included material), empty otherwise.
    html: Markup = NO_HTML
    #: The Markdown it was rendered from (own pages and included materials).
    source: str = ""
    language: str = ""
    #: An included material's own description (lead), and a link material's address.
    description: str = ""
    web_address: str = ""
    files: tuple[ExportFile, ...] = ()
    #: SPDX id of the part's licence (own pages: the arrangement's).
    licence: str = ""
    #: Where the part lives: an included material's page on the portal, a link's address.
    url: str = ""
    #: An included material pinned to a version: that version's id.
    pinned_version_id: int | None = None
    #: The included material's TASL credits with its whole chain of sources.
    credits: Markup = NO_HTML
    children: list[Part] = field(default_factory=list)

    @property
    def is_readable(self) -> bool:
        """Has a page of its own (sections only group parts)."""
        return self.kind != PartKind.SECTION

    @property
    def link_is_web(self) -> bool:
        return urlsplit(self.url).scheme.lower() in LINK_SCHEMES


@dataclass
class Export:
    """A material or an arrangement version as one reader may see it."""

    title: str
    description: str
    language: str
    keywords: tuple[str, ...]
    licence: str
    #: The material's page (absolute).
    url: str
    #: The portal's base address.
    portal: str
    #: File names are made of it (``<slug>.imscc``).
    slug: str
    version_number: int
    #: When the version was written: the archive's entries carry it.
    written_at: datetime
    #: The arrangement's introduction (empty for a single material), and its Markdown.
    intro: Markup
    intro_source: str
    #: The tree of parts, and the same parts in reading order.
    tree: list[Part]
    parts: list[Part]
    #: The TASL credits of the material or arrangement itself, with its sources.
    credits: Markup
    #: The arrangement's own pages are shared under its licence, by its authors.
    is_arrangement: bool

    @property
    def readable(self) -> list[Part]:
        return [part for part in self.parts if part.is_readable]

    @property
    def attachment_count(self) -> int:
        return sum(len(part.files) for part in self.parts)


def file_places(export: Export, place: Callable[[Part, ExportFile], str]
                ) -> dict[tuple[int, str], str]:
    """Where each file the export holds is in the archive (``place``: a writer's layout),
    by its portal address by name; the first part holding a file wins."""
    places: dict[tuple[int, str], str] = {}
    for part in export.readable:
        for file in part.files:
            if file.address is not None:
                places.setdefault(file.address, place(part, file))
    return places


def with_file_links(export: Export, part: Part, page: str,
                    places: dict[tuple[int, str], str]) -> Part:
    """``part`` with its text's links to files by name pointing to them in the archive
    (``page``: the archive path of the part's own page)."""
    html = relative_file_links(str(part.html), page, places, export.portal)
    # The portal's copies of other sites' images (``materials/remote_images.py``) are on
    # the portal: a path from the root leads nowhere in an archive.
    html = html.replace(f'src="{REMOTE_IMAGE_PATH}',
                        f'src="{export.portal.rstrip("/")}{REMOTE_IMAGE_PATH}')
    return dataclass_replace(part, html=Markup(html))  # noqa: S704 (sanitised; links only)


def licence_description(spdx: str) -> str:
    """The licence as the manifest's rights describe it: name, SPDX id, deed URL (English:
    a cartridge is read by systems in any language)."""
    licence = registry.get(spdx)
    if licence is None:
        return spdx
    return f"{licence.name('en')} ({licence.spdx}) {licence.url}"


def chosen_version(actor: Actor, material_id: int, number: int | None
                   ) -> tuple[Material, MaterialVersion]:
    """The material and the version ``actor`` exports: ``number`` if they may see it,
    else what the material page shows them; ``NotFound`` for anything hidden (a tombstone
    has nothing to export)."""
    material = queries.material_for(actor, material_id)
    version = queries.version_for(actor, material, number) if number is not None \
        else queries.displayed_version(actor, material)
    if version is None:
        raise NotFound()
    return material, version


def build_export(actor: Actor, material: Material, version: MaterialVersion,
                 links: ExportLinks, locale: str, outline: Outline | None = None) -> Export:
    """What ``actor`` gets of ``version``.  ``outline``: an arrangement's outline when the
    caller has it (tests of parts the database cannot hold yet); read from the version
    otherwise.  The caller has checked that ``actor`` may see ``version``."""
    fields = VersionFields.of(version)
    is_arrangement = material.kind == MaterialKind.ARRANGEMENT
    if is_arrangement:
        roots, parts = _arrangement_parts(actor, version, links, locale, outline)
    else:
        pinned = version.id if version.id != material.published_version_id else None
        part = _material_part(0, "1", version.title, material, version, links, locale,
                              pinned)
        roots, parts = [part], [part]
    return Export(
        title=version.title, description=version.description, language=version.language,
        keywords=tuple(fields.keywords), licence=version.licence,
        url=links.material(material, None), portal=links.portal, slug=material.slug,
        version_number=version.number, written_at=version.created_at,
        intro=Markup(version.body_html) if is_arrangement else Markup(""),  # noqa: S704 (sanitised)
        intro_source=version.body if is_arrangement else "",
        tree=roots, parts=parts,
        credits=credits_html(material, version, links, locale), is_arrangement=is_arrangement)


def _arrangement_parts(actor: Actor, version: MaterialVersion, links: ExportLinks,
                       locale: str, outline: Outline | None
                       ) -> tuple[list[Part], list[Part]]:
    """The outline as parts: own pages with their stored HTML, included materials as
    ``actor`` may see them (one query for all, as the pages do), links, placeholders."""
    stored_html: dict[int, str] = {}
    if outline is None:
        rows = service.rows_of(version.id)
        outline = tuple(row.as_node() for row in rows)
        stored_html = {index: row.body_html for index, row in enumerate(rows)}
    embedded = service.resolve(actor, outline)
    titles = arrangement_panels.titles(outline, embedded)
    shown = [(item.material, item.version) for item in embedded.values()
             if item.version is not None]
    _load_texts_and_files([version for _material, version in shown])
    contributors = remix_service.contributors_of(shown)
    items = tree(outline)
    by_index: dict[int, Part] = {}
    for item in walk(items):
        by_index[item.index] = _part(item.index, item.number, titles[item.index], item.node,
                                     version, embedded.get(item.index),
                                     stored_html.get(item.index), links, locale, contributors)
    for item in walk(items):
        by_index[item.index].children = [by_index[child.index] for child in item.children]
    roots = [by_index[item.index] for item in items]
    return roots, [by_index[index] for index in sorted(by_index)]


def _load_texts_and_files(versions: list[MaterialVersion]) -> None:
    """The text and attachments of every shown version in two queries (``resolve`` leaves
    them out: the pages that use it show titles and credits only)."""
    ids = {version.id for version in versions}
    if ids:
        db.session.scalars(
            select(MaterialVersion)
            .options(undefer(MaterialVersion.body_html), selectinload(MaterialVersion.attachments))
            .where(MaterialVersion.id.in_(ids))
            .execution_options(populate_existing=True)).all()


def _folder(index: int, title: str) -> str:
    slug = slugify(title)[:FOLDER_SLUG_LENGTH].rstrip("-") or "part"
    return f"{index + 1:03d}-{slug}"


def _part(index: int, number: str, title: str, node: Node, arrangement: MaterialVersion,
          embedded: service.Embedded | None, stored_html: str | None, links: ExportLinks,
          locale: str, contributors: dict[int, tuple[User, ...]]) -> Part:
    """One node as the reader sees it (``embedded``: an included material, resolved)."""
    if node.kind == NodeKind.SECTION:
        return Part(index, number, PartKind.SECTION, title, _folder(index, title))
    if node.kind == NodeKind.PAGE:
        html = stored_html if stored_html is not None else str(render_markdown(node.body))
        return Part(index, number, PartKind.PAGE, title, _folder(index, title),
                    html=Markup(html),  # noqa: S704 (sanitised when rendered)
                    source=node.body, language=arrangement.language,
                    licence=arrangement.licence,
                    files=linked_files(arrangement, html, links.portal))
    if node.kind == NodeKind.LINK:
        return Part(index, number, PartKind.LINK, title or node.url, _folder(index, title),
                    url=clean_characters(node.url))
    if embedded is None or embedded.version is None or embedded.material is None:
        return _placeholder(index, number, title)
    return _material_part(index, number, title, embedded.material, embedded.version, links,
                          locale, node.pinned_version_id,
                          contributors.get(embedded.version.id, ()))


def _placeholder(index: int, number: str, title: str) -> Part:
    """A part the reader may not see: its caption as the arrangement shows it, no more."""
    return Part(index, number, PartKind.PLACEHOLDER, title, _folder(index, title),
                html=Markup("<p>{}</p>").format(_("This part is not available.")))


def _material_part(index: int, number: str, title: str, material: Material,
                   version: MaterialVersion, links: ExportLinks, locale: str,
                   pinned_version_id: int | None, contributors: tuple[User, ...] | None = None
                   ) -> Part:
    html = Markup(version.body_html)  # noqa: S704 (sanitised when written)
    return Part(
        index, number, PartKind.MATERIAL, title, _folder(index, title), html=html,
        source=version.body, language=version.language, description=version.description,
        web_address=version.link_url or "", files=files_of(version), licence=version.licence,
        url=links.material(material, None), pinned_version_id=pinned_version_id,
        credits=credits_html(material, version, links, locale, contributors))


def files_of(version: MaterialVersion, only: Collection[str] | None = None
             ) -> tuple[ExportFile, ...]:
    """The version's attachments (``only``: those of these names) under names that are
    safe in a ZIP and on any file system (no path, no controls or bidi characters), unique
    within the part."""
    taken: set[str] = set()
    result: list[ExportFile] = []
    named: set[str] = set()
    for attachment in version.attachments:
        if only is not None and (attachment.filename not in only
                                 or attachment.filename in named):
            continue
        named.add(attachment.filename)
        name = unique_name(sanitise_filename(attachment.filename), taken)
        result.append(ExportFile(name, attachment.sha256, attachment.file.size,
                                 attachment.file.media_type,
                                 address=(version.material_id, attachment.filename)))
    return tuple(result)


def linked_files(arrangement: MaterialVersion, html: str, portal: str
                 ) -> tuple[ExportFile, ...]:
    """The arrangement's own files an own page links to by name (an imported cartridge's
    pages do): they go into the export with the page, so its links can point to them
    there (``cartridge_links.relative_file_links``).  The first file of a name, as the
    portal's address by name serves it."""
    names = {name for material_id, name in linked_material_files(html, portal)
             if material_id == arrangement.material_id}
    return files_of(arrangement, names) if names else ()


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name (2).ext`` … when a file of that name (case-insensitively: some
    file systems do not tell them apart) is in ``taken``, which it is added to."""
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    candidate, n = name, 1
    while candidate.lower() in taken:
        n += 1
        candidate = f"{stem} ({n}){dot}{extension}"
    taken.add(candidate.lower())
    return candidate
