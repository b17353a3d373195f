"""A Common Cartridge (``.imscc``) becomes an arrangement draft owned by the importer.

The archive is read in memory through ``core.archives`` (caps on entries, expanded bytes,
per-file bytes and packing ratio; unsafe names refused), its manifest through
``cartridge_manifest`` (defusedxml).  The organisation maps onto an outline:

- an item with children is a section; sections deeper than ``structure.MAX_DEPTH`` allows
  are flattened: their parts go into the deepest section that may hold them (nothing lost);
- a webcontent item is an own page: its ``source.md`` when the resource lists one (this
  portal's exports do), else the HTML of its ``<body>`` without scripts and styles (the
  Markdown renderer sanitises it when shown); an included material of *this* portal that
  the importer may see is included again (pinned when its pinned version is visible);
  the credits page is left out (the portal writes its own);
- a web link (``imswl_xmlv1p*``) is a link part (http and https only);
- other resource types (LTI tools, QTI tests, discussions) are skipped and named in the
  summary.

The webcontent resources' other files pass the normal upload checks and are attached to the
draft's version (a second file of a name already taken gets ``name (2).ext``); a file the
checks refuse is skipped with its reason.  Links in the pages to those files (``src`` and
``href``, relative to the page, or after ``$IMS-CC-FILEBASE$``) become the files' lasting
addresses on the portal, ``/materials/<id>/attachments/<name>`` (``cartridge_links``), in
the first version itself: the outline is given its addresses once the new material has its
number (``service.create_arrangement(addressed=…)``).  Links to files that are not in the
cartridge, or were refused, stay as they were; the summary names them once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import BinaryIO
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.arrangements import service
from oer_portal.arrangements.cartridge_fields import fields_of, single_line
from oer_portal.arrangements.cartridge_links import FileLinks
from oer_portal.arrangements.cartridge_manifest import (
    MANIFEST,
    WEBCONTENT,
    CartridgeInvalid,
    Item,
    Manifest,
    Resource,
    html_as_markdown,
    parse_manifest,
    parse_page,
    parse_weblink,
    resolve_href,
)
from oer_portal.arrangements.export import unique_name
from oer_portal.arrangements.structure import MAX_DEPTH, MAX_NODES, MAX_PAGE, Node, Outline
from oer_portal.arrangements.structure import NodeKind as Kind
from oer_portal.core.archives import ArchiveLimits, SafeArchive, open_archive
from oer_portal.core.errors import InvalidUpload, StorageFull
from oer_portal.licences import registry
from oer_portal.materials import importers, policy
from oer_portal.materials.attachments import AttachmentRef, Upload, store_upload
from oer_portal.materials.models import Material

SOURCE_MD = "source.md"
#: A summary names at most this many links it left as they were.
MAX_LISTED_LINKS = 10
_MATERIAL_PATH = re.compile(r"^/materials/(\d+)(?:-[^/]*)?/?$")
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")


@dataclass
class ImportResult:
    """What an import made and left out, for the flash message and the CLI."""

    material: Material
    sections: int = 0
    pages: int = 0
    links: int = 0
    materials: int = 0
    attachments: int = 0
    #: One sentence per part or file left out, naming it and why.
    skipped: list[str] = field(default_factory=list)
    #: Other things the importer should know (a licence taken by default, flattened levels).
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One sentence: what the new draft holds."""
        return _("Imported as a draft: %(sections)s, %(pages)s, %(links)s, %(materials)s and "
                 "%(files)s.",
                 sections=ngettext("%(num)d section", "%(num)d sections", self.sections),
                 pages=ngettext("%(num)d page", "%(num)d pages", self.pages),
                 links=ngettext("%(num)d link", "%(num)d links", self.links),
                 materials=ngettext("%(num)d included material", "%(num)d included materials",
                                    self.materials),
                 files=ngettext("%(num)d attached file", "%(num)d attached files",
                                self.attachments))


def limits_from_config() -> ArchiveLimits:
    config = current_app.config
    return ArchiveLimits(max_entries=int(config["CARTRIDGE_MAX_ENTRIES"]),
                         max_expanded_bytes=int(config["CARTRIDGE_MAX_EXPANDED_BYTES"]),
                         max_file_bytes=int(config["CARTRIDGE_MAX_FILE_BYTES"]),
                         max_ratio=float(config["CARTRIDGE_MAX_RATIO"]))


def import_cartridge(actor: Actor, stream: BinaryIO, portal_url: str | None = None,
                     default_licence: str = registry.DEFAULT,
                     limits: ArchiveLimits | None = None) -> ImportResult:
    """Import the cartridge in ``stream`` (seekable) as a new arrangement draft of ``actor``.

    ``portal_url``: this portal's base address as the request knows it, to recognise its
    own included materials (the configured ``PORTAL_URL`` is recognised too; with neither,
    included materials become own pages).  ``default_licence``: the
    arrangement's licence when the cartridge names none the portal knows.  Raises a
    ``ValidationError`` (``ArchiveRefused``, ``CartridgeInvalid``, ``InvalidOutline``)
    naming the problem; nothing is written then (the caller's unit of work rolls back).
    """
    require_permission(policy.can_create(actor))
    with open_archive(stream, limits or limits_from_config()) as archive:
        if MANIFEST not in archive:
            raise CartridgeInvalid(_("The archive has no imsmanifest.xml at its top level, so "
                                     "it is not a Common Cartridge."))
        manifest = parse_manifest(archive.read(MANIFEST))
        mapper = _Mapper(actor, archive, manifest,
                         (portal_url, current_app.config.get("PORTAL_URL")))
        outline = mapper.outline()
        fields, notes = fields_of(manifest, default_licence)
        if mapper.introduction is not None:
            fields = replace(fields, body=mapper.introduction.strip())
        material = service.create_arrangement(
            actor, fields, outline, summary=_("Imported from a Common Cartridge"),
            attachments=mapper.attachments, addressed=mapper.addressed)
    result = mapper.result(material)
    result.notes[:0] = notes
    return result


# -- The outline --------------------------------------------------------------------------


class _Mapper:
    """Walks the organisation once, collecting the outline, the files and the notes."""

    def __init__(self, actor: Actor, archive: SafeArchive, manifest: Manifest,
                 portal_urls: Sequence[str | None]) -> None:
        self.actor = actor
        self.archive = archive
        self.manifest = manifest
        self.portals = [urlsplit(url.rstrip("/")) for url in dict.fromkeys(portal_urls) if url]
        self.names = frozenset(archive.names)
        self.nodes: list[Node] = []
        self.attachments: list[AttachmentRef] = []
        self.skipped: list[str] = []
        self.notes: list[str] = []
        self.flattened = 0
        self.credits = 0
        #: The arrangement's introduction, when the cartridge is one of ours that has one.
        self.introduction: str | None = None
        self._seen_files: set[str] = set()
        #: Archive member → the name its file is attached under.
        self.stored: dict[str, str] = {}
        self._taken_names: set[str] = set()
        #: A stored file as it came → as it is attached (renamed when its name was taken).
        self._named: dict[AttachmentRef, AttachmentRef] = {}
        #: Own pages by their place in the outline: the folder of their HTML file (links
        #: are relative to it) and whether their text is HTML (else Markdown).
        self._pages: dict[int, tuple[str, bool]] = {}
        #: Links into the cartridge that name no attached file, as written.
        self.left_links: list[str] = []

    # The walk ---------------------------------------------------------------------------

    def outline(self) -> list[Node]:
        for item in self.manifest.items:
            self._item(item, 0)
        stored = list(self.nodes)
        if len(stored) > MAX_NODES:
            raise CartridgeInvalid(_(
                "The cartridge holds %(n)d parts; an arrangement holds at most %(max)d. Split "
                "the course into smaller cartridges and import each.", n=len(stored),
                max=MAX_NODES))
        return stored

    def _item(self, item: Item, depth: int) -> None:
        title = single_line(item.title)
        if item.resource_id is None:
            self._section(item, title, depth)
            return
        if item.children:
            # A part that also holds parts: a section with the part as its first page.
            self._section(replace(item, resource_id=None, children=(
                replace(item, children=()), *item.children)), title, depth)
            return
        resource = self.manifest.resources.get(item.resource_id)
        if resource is None:
            self.skipped.append(_("“%(title)s”: the manifest names a resource it does not "
                                  "hold.", title=title or item.resource_id))
            return
        self._part(resource, title, min(depth, MAX_DEPTH - 1))

    def _section(self, item: Item, title: str, depth: int) -> None:
        if depth >= MAX_DEPTH - 1 and item.children:
            # Too deep for a section that holds parts: its parts join the section above.
            self.flattened += 1
            for child in item.children:
                self._item(child, depth)
            return
        self.nodes.append(Node(Kind.SECTION, depth=depth,
                               title=title or _("Untitled section")))
        for child in item.children:
            self._item(child, depth + 1)

    def _part(self, resource: Resource, title: str, depth: int) -> None:
        kind = resource.type.lower()
        if kind == WEBCONTENT:
            self._webcontent(resource, title, depth)
        elif kind.startswith("imswl_xmlv1p"):
            self._weblink(resource, title, depth)
        else:
            self.skipped.append(_("“%(title)s”: %(what)s cannot be imported.",
                                  title=title or resource.identifier,
                                  what=_resource_kind(kind)))

    # Web links --------------------------------------------------------------------------

    def _weblink(self, resource: Resource, title: str, depth: int) -> None:
        member = next((m for m in (resolve_href(f, self.names)
                                   for f in (*resource.files, resource.href or "")) if m), None)
        if member is None:
            self.skipped.append(_("“%(title)s”: the web link's file is missing from the "
                                  "archive.", title=title or resource.identifier))
            return
        link_title, url = parse_weblink(self.archive.read(member), member)
        if urlsplit(url).scheme.lower() not in ("http", "https") or not urlsplit(url).netloc:
            self.skipped.append(_("“%(title)s”: only web addresses that start with http:// or "
                                  "https:// are imported.", title=title or link_title or member))
            return
        self.nodes.append(Node(Kind.LINK, depth=depth,
                               title=title or single_line(link_title) or url, url=url))

    # Pages and included materials -------------------------------------------------------

    def _webcontent(self, resource: Resource, title: str, depth: int) -> None:
        files = [m for m in (resolve_href(f, self.names) for f in resource.files) if m]
        href = resolve_href(resource.href, self.names) if resource.href else None
        if href is None and files:
            href = files[0]
        if href is None:
            self.skipped.append(_("“%(title)s”: its page is missing from the archive.",
                                  title=title or resource.identifier))
            return
        folder = PurePosixPath(href).parent
        source = next((f for f in files if PurePosixPath(f).name == SOURCE_MD
                       and PurePosixPath(f).parent == folder), None)
        if not href.lower().endswith(_HTML_SUFFIXES):
            # A document as the item itself (an LMS's uploaded PDF): a page that names it.
            self._attach([href, *files])
            self.nodes.append(Node(Kind.PAGE, depth=depth, title=title or PurePosixPath(
                href).name, body=_("The file %(name)s is attached to this arrangement.",
                                   name=PurePosixPath(href).name)))
            return
        page = parse_page(self.archive.read(href))
        kind = page.meta.get("oer-portal:kind", "")
        if kind == "credits":
            self.credits += 1
            return
        if kind == "introduction" and self.introduction is None:
            self.introduction = self.archive.read(source).decode("utf-8", "replace") \
                if source else html_as_markdown(page.body_html)
            return
        title = title or single_line(page.title) or _("Untitled page")
        if kind == "material":
            included = self._included(page.meta, title, depth)
            if included is not None:
                # Included by reference: its files are the material's own, not copied.
                self.nodes.append(included)
                return
        self._attach([f for f in files if f not in (href, source)])
        for dependency in resource.dependencies:
            needed = self.manifest.resources.get(dependency)
            if needed is not None and needed.type.lower() == WEBCONTENT:
                self._attach([m for m in (resolve_href(f, self.names) for f in needed.files)
                              if m])
        body = self.archive.read(source).decode("utf-8", "replace") if source \
            else html_as_markdown(page.body_html)
        self._pages[len(self.nodes)] = (str(folder) if str(folder) != "." else "",
                                        source is None)
        self.nodes.append(Node(Kind.PAGE, depth=depth, title=title,
                               body=self._cut(body, title).strip()))

    def _cut(self, body: str, title: str) -> str:
        if len(body) <= MAX_PAGE:
            return body
        note = _("The text of “%(title)s” was longer than a page may be and was cut off.",
                 title=title)
        if note not in self.notes:
            self.notes.append(note)
        return body[:MAX_PAGE]

    def addressed(self, material_id: int, outline: Outline) -> list[Node]:
        """``outline`` (this walk's, checked) with the pages' links to the cartridge's
        files pointing to the new material's files by name (``cartridge_links``)."""
        links = FileLinks(material_id, self.stored, [url.geturl() for url in self.portals])
        result: list[Node] = []
        for index, node in enumerate(outline):
            page = self._pages.get(index)
            if page is None or node.kind != Kind.PAGE:
                result.append(node)
                continue
            folder, is_html = page
            body = links.html(node.body, folder) if is_html else links.markdown(node.body,
                                                                                  folder)
            result.append(replace(node, body=self._cut(body, node.title)))
        self.left_links = list(links.left)
        return result

    def _included(self, meta: dict[str, str], title: str, depth: int) -> Node | None:
        """The included material again, when it is one of this portal's that the importer
        may include; ``None``: it becomes an own page with its text."""
        material_id = self._own_material_id(meta.get("oer-portal:material", ""),
                                            meta.get("oer-portal:portal", ""))
        if material_id is None:
            return None
        pinned = meta.get("oer-portal:pinned-version", "")
        node = Node(Kind.MATERIAL, depth=depth, title=title, material_id=material_id,
                    pinned_version_id=int(pinned) if pinned.isdigit() else None)
        if node.pinned_version_id is not None and service.embed_problem(self.actor, node):
            node = replace(node, pinned_version_id=None)
            self.notes.append(_("“%(title)s” follows the newest version of the material: the "
                                "version it was pinned to is not available to you.",
                                title=title))
        if service.embed_problem(self.actor, node):
            return None
        return node

    def _own_material_id(self, material_url: str, portal_url: str) -> int | None:
        """The number of the material ``material_url`` names, when it and the page's
        ``oer-portal:portal`` are on one of this portal's addresses (the one given and the
        configured ``PORTAL_URL``: an export made on either is recognised)."""
        url = urlsplit(material_url)
        claimed = urlsplit(portal_url.rstrip("/")) if portal_url else None
        for base in self.portals:
            mine = (base.scheme.lower(), base.netloc.lower())
            prefix = base.path.rstrip("/")
            if (url.scheme.lower(), url.netloc.lower()) != mine \
                    or not url.path.startswith(prefix):
                continue
            if claimed is not None and (claimed.scheme.lower(), claimed.netloc.lower()) != mine:
                continue
            found = _MATERIAL_PATH.match(url.path[len(prefix):])
            if found and len(found.group(1)) < 10:
                return int(found.group(1))
        return None

    # Files ------------------------------------------------------------------------------

    def _attach(self, members: list[str]) -> None:
        for member in members:
            if member in self._seen_files or member == MANIFEST:
                continue
            self._seen_files.add(member)
            name = PurePosixPath(member).name
            try:
                with self.archive.open(member) as stream:
                    ref = store_upload(Upload(stream, name))
            except (InvalidUpload, StorageFull) as error:
                self.skipped.append(_("The file %(name)s: %(reason)s", name=name,
                                      reason=error.message))
                continue
            if ref not in self._named:
                # One name per file: pages link to the files by name.
                self._named[ref] = replace(
                    ref, filename=unique_name(ref.filename, self._taken_names))
                self.attachments.append(self._named[ref])
            self.stored[member] = self._named[ref].filename

    # The result -------------------------------------------------------------------------

    def result(self, material: Material) -> ImportResult:
        def count(kind: Kind) -> int:
            return sum(1 for n in self.nodes if n.kind == kind)

        result = ImportResult(
            material=material, sections=count(Kind.SECTION), pages=count(Kind.PAGE),
            links=count(Kind.LINK), materials=count(Kind.MATERIAL),
            attachments=len(self.attachments), skipped=list(self.skipped),
            notes=list(self.notes))
        if self.credits:
            result.notes.append(_("The cartridge's credits page was left out: the portal "
                                  "writes the credits itself."))
        if self.flattened:
            result.notes.append(ngettext(
                "%(num)d section was nested deeper than %(max)d levels; its parts were put in "
                "the section above it.",
                "%(num)d sections were nested deeper than %(max)d levels; their parts were "
                "put in the section above them.", self.flattened, max=MAX_DEPTH))
        if self.left_links:
            shown = ", ".join(self.left_links[:MAX_LISTED_LINKS])
            if len(self.left_links) > MAX_LISTED_LINKS:
                shown = _("%(links)s and %(num)d more", links=shown,
                          num=len(self.left_links) - MAX_LISTED_LINKS)
            result.notes.append(ngettext(
                "A link in the pages points to a file that is not attached (not in the "
                "cartridge, or refused); it stays as it was: %(links)s.",
                "%(num)d links in the pages point to files that are not attached (not in the "
                "cartridge, or refused); they stay as they were: %(links)s.",
                len(self.left_links), links=shown))
        return result


def _resource_kind(kind: str) -> str:
    """A resource type as a teacher would call it."""
    if "lti" in kind:
        return _("an external tool (LTI)")
    if "qti" in kind or "assessment" in kind:
        return _("a test or quiz (QTI)")
    if "imsdt" in kind:
        return _("a discussion topic")
    return _("a resource of type %(type)s", type=kind or "?")


# -- The CLI's part -----------------------------------------------------------------------


def _import_for_cli(stream: BinaryIO, importer: User) -> importers.PackageImport:
    """``flask materials import X.imscc --as EMAIL``: included materials are recognised by
    ``PORTAL_URL`` (a command has no request to learn the address from)."""
    result = import_cartridge(importer, stream)
    return importers.PackageImport(
        material=result.material,
        lines=(result.summary(), *(_("Skipped: %(what)s", what=s) for s in result.skipped),
               *result.notes))


importers.register(".imscc", _import_for_cli)
