"""An export as an IMS Common Cartridge 1.3 (``.imscc``), for learning environments.

The layout is a contract the cartridge importer reads as well (docs/architecture.md,
"Common Cartridge and offline export"): ``imsmanifest.xml`` with LOM metadata and the
licence, one organisation whose items mirror the arrangement's tree, each page or included
material a webcontent resource ``parts/NNN-slug/index.html`` with its Markdown source and
files, each link a weblink ``links/NNN.xml``, an arrangement's introduction as the first
item (``introduction/``, which the importer makes the introduction again) and a credits page
as the last item.

The manifest is written last, from the entries actually written, so it can never list a
file the archive lacks.
"""

from __future__ import annotations

from typing import BinaryIO

from flask_babel import gettext as _
from lxml import etree

from oer_portal.arrangements.archive import ArchiveWriter, OpenBlob, render
from oer_portal.arrangements.export import (
    Export,
    ExportFile,
    Part,
    PartKind,
    file_places,
    licence_description,
    with_file_links,
)

NS = "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"
LOM = "http://ltsc.ieee.org/xsd/imsccv1p3/LOM/manifest"
WEBLINK = "http://www.imsglobal.org/xsd/imsccv1p3/imswl_v1p3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = (
    f"{NS} http://www.imsglobal.org/profile/cc/ccv1p3/ccv1p3_imscp_v1p2_v1p0.xsd "
    f"{LOM} http://www.imsglobal.org/profile/cc/ccv1p3/LOM/ccv1p3_lommanifest_v1p0.xsd")
MANIFEST = "imsmanifest.xml"
CREDITS = "credits/index.html"
INTRODUCTION = "introduction/index.html"
INTRODUCTION_SOURCE = "introduction/source.md"
WEBCONTENT = "webcontent"
WEBLINK_TYPE = "imswl_xmlv1p3"


def _q(tag: str, namespace: str = NS) -> str:
    return f"{{{namespace}}}{tag}"


def resource_id(part: Part) -> str:
    return f"RES-{part.index + 1:03d}"


def write_cartridge(export: Export, target: BinaryIO, open_blob: OpenBlob,
                    locale: str) -> list[str]:
    """Stream ``export`` as a cartridge into ``target``; the names of the entries written."""
    with ArchiveWriter(target, export.written_at, open_blob) as archive:
        resources: list[etree._Element] = []
        places = file_places(export, _file_path)
        if export.intro_source.strip():
            resources.append(_write_introduction(archive, export, locale))
        for part in export.readable:
            if part.kind == PartKind.LINK:
                resources.append(_write_link(archive, part))
            else:
                resources.append(_write_page(archive, export, part, locale, places))
        archive.text(CREDITS, render("arrangements/export/cartridge_credits.html",
                                     export=export, locale=locale))
        credits = etree.Element(_q("resource"), identifier="RES-CREDITS", type=WEBCONTENT,
                                href=CREDITS)
        etree.SubElement(credits, _q("file"), href=CREDITS)
        resources.append(credits)
        archive.text(MANIFEST, manifest(export, resources))
        return list(archive.names)


def _file_path(part: Part, file: ExportFile) -> str:
    return f"parts/{part.folder}/files/{file.name}"


def _write_page(archive: ArchiveWriter, export: Export, part: Part, locale: str,
                places: dict[tuple[int, str], str]) -> etree._Element:
    folder = f"parts/{part.folder}"
    href = f"{folder}/index.html"
    resource = etree.Element(_q("resource"), identifier=resource_id(part), type=WEBCONTENT,
                             href=href)
    archive.text(href, render("arrangements/export/cartridge_part.html", export=export,
                              part=with_file_links(export, part, href, places),
                              locale=locale))
    etree.SubElement(resource, _q("file"), href=href)
    if part.kind in (PartKind.PAGE, PartKind.MATERIAL):
        archive.text(f"{folder}/source.md", part.source)
        etree.SubElement(resource, _q("file"), href=f"{folder}/source.md")
    for file in part.files:
        name = _file_path(part, file)
        archive.stored_file(name, file)
        etree.SubElement(resource, _q("file"), href=name)
    return resource


def _write_introduction(archive: ArchiveWriter, export: Export, locale: str
                        ) -> etree._Element:
    archive.text(INTRODUCTION, render("arrangements/export/cartridge_introduction.html",
                                      export=export, locale=locale))
    archive.text(INTRODUCTION_SOURCE, export.intro_source)
    resource = etree.Element(_q("resource"), identifier="RES-INTRO", type=WEBCONTENT,
                             href=INTRODUCTION)
    for name in (INTRODUCTION, INTRODUCTION_SOURCE):
        etree.SubElement(resource, _q("file"), href=name)
    return resource


def _write_link(archive: ArchiveWriter, part: Part) -> etree._Element:
    name = f"links/{part.index + 1:03d}.xml"
    link = etree.Element(_q("webLink", WEBLINK), nsmap={None: WEBLINK})
    etree.SubElement(link, _q("title", WEBLINK)).text = part.title
    etree.SubElement(link, _q("url", WEBLINK), href=part.url)
    archive.text(name, etree.tostring(link, xml_declaration=True, encoding="UTF-8"))
    resource = etree.Element(_q("resource"), identifier=resource_id(part), type=WEBLINK_TYPE)
    etree.SubElement(resource, _q("file"), href=name)
    return resource


def manifest(export: Export, resources: list[etree._Element]) -> bytes:
    root = etree.Element(_q("manifest"), nsmap={None: NS, "lomimscc": LOM, "xsi": XSI},
                         identifier=f"MANIFEST-{export.slug}-v{export.version_number}")
    root.set(_q("schemaLocation", XSI), SCHEMA_LOCATION)
    root.append(_metadata(export))
    organizations = etree.SubElement(root, _q("organizations"))
    organization = etree.SubElement(organizations, _q("organization"), identifier="ORG",
                                    structure="rootcollection")
    top = etree.SubElement(organization, _q("item"), identifier="ROOT")
    if export.intro_source.strip():
        introduction = etree.SubElement(top, _q("item"), identifier="ITEM-INTRO",
                                        identifierref="RES-INTRO")
        etree.SubElement(introduction, _q("title")).text = _("Introduction")
    for part in export.tree:
        top.append(_item(part))
    credits = etree.SubElement(top, _q("item"), identifier="ITEM-CREDITS",
                               identifierref="RES-CREDITS")
    etree.SubElement(credits, _q("title")).text = _("Credits")
    listed = etree.SubElement(root, _q("resources"))
    listed.extend(resources)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _item(part: Part) -> etree._Element:
    item = etree.Element(_q("item"), identifier=f"ITEM-{part.index + 1:03d}")
    if part.kind != PartKind.SECTION:
        item.set("identifierref", resource_id(part))
    etree.SubElement(item, _q("title")).text = part.title
    for child in part.children:
        item.append(_item(child))
    return item


def _lom_string(parent: etree._Element, tag: str, text: str, language: str | None
                ) -> etree._Element:
    element = etree.SubElement(parent, _q(tag, LOM))
    string = etree.SubElement(element, _q("string", LOM))
    if language:
        string.set("language", language)
    string.text = text
    return element


def _metadata(export: Export) -> etree._Element:
    """The cartridge's LOM: title, description, language, keywords and the licence."""
    metadata = etree.Element(_q("metadata"))
    etree.SubElement(metadata, _q("schema")).text = "IMS Common Cartridge"
    etree.SubElement(metadata, _q("schemaversion")).text = "1.3.0"
    lom = etree.SubElement(metadata, _q("lom", LOM))
    general = etree.SubElement(lom, _q("general", LOM))
    _lom_string(general, "title", export.title, export.language)
    etree.SubElement(general, _q("language", LOM)).text = export.language
    if export.description:
        _lom_string(general, "description", export.description, export.language)
    for keyword in export.keywords:
        _lom_string(general, "keyword", keyword, export.language)
    rights = etree.SubElement(lom, _q("rights", LOM))
    restricted = etree.SubElement(rights, _q("copyrightAndOtherRestrictions", LOM))
    etree.SubElement(restricted, _q("value", LOM)).text = "yes"
    _lom_string(rights, "description", licence_description(export.licence), "en")
    return metadata
