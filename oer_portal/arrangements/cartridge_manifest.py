"""Reading a Common Cartridge's ``imsmanifest.xml`` (and its pages' HTML) into plain values.

The manifest comes from whoever made the archive, so it is parsed with defusedxml: a DTD or
an entity (the "billion laughs") is refused, nothing is fetched from the network.  IMS CC
1.1, 1.2 and 1.3 and plain IMS Content Packaging share the ``imscp_v1p1`` shape under
different namespaces; elements are found by their local names within the manifest's own
namespace, and LOM metadata by local name in whatever namespace the cartridge used (CC 1.3
``lomimscc``, CP's ``imsmd``), because exporters differ there more than anywhere else.

Nothing here touches the database or Flask's request: ``cartridge_import`` maps these values
onto an outline.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree  # types only: defusedxml parses  # nosec B405
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import unquote
from xml.etree.ElementTree import Element  # types only: defusedxml parses  # nosec B405

import defusedxml.ElementTree as SafeElementTree
import lxml.html
import nh3
from defusedxml import DefusedXmlException
from flask_babel import gettext as _

from oer_portal.core.errors import ValidationError
from oer_portal.core.markdown import ALLOWED_TAGS

MANIFEST = "imsmanifest.xml"
#: The manifest namespaces this reader accepts: CC 1.1 to 1.3 and plain IMS CP 1.1.
MANIFEST_NAMESPACES = frozenset({
    "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1",
    "http://www.imsglobal.org/xsd/imsccv1p2/imscp_v1p1",
    "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1",
    "http://www.imsglobal.org/xsd/imscp_v1p1",
})
WEBCONTENT = "webcontent"
#: More items than this are not read at all (the outline cap is far lower; this bounds the
#: work a hostile manifest can cause before that cap is checked).
MAX_ITEMS = 5_000
#: Items nested deeper than this are refused (the outline keeps three levels anyway).
MAX_NESTING = 64
#: Tags whose content never becomes page text.
_DROPPED_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed")
#: Blocks of a page that a lesson does not render: they become ``<div>``, so their text keeps
#: its own lines.  Other tags a lesson does not render are unwrapped, their text kept.
_BLOCKS_AS_DIV = frozenset({"h1", "article", "aside", "section", "header", "footer", "nav",
                            "main", "center", "address", "hgroup"})
#: Tags without text of their own that a lesson does not render.
_EMPTY_TAGS = frozenset({"wbr", "col", "colgroup", "area"})


class CartridgeInvalid(ValidationError):
    """The cartridge cannot be imported; ``message`` names the problem."""


@dataclass(frozen=True)
class Item:
    """One ``<item>`` of the organisation: a section (children, no resource) or a part."""

    title: str
    resource_id: str | None = None
    children: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Resource:
    identifier: str
    type: str
    href: str | None
    files: tuple[str, ...] = ()
    #: Resources this one needs (an LMS keeps a page's images in a resource of their own).
    dependencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Metadata:
    """The LOM fields the arrangement takes over."""

    title: str = ""
    description: str = ""
    language: str = ""
    keywords: tuple[str, ...] = ()
    #: Every text under ``rights`` (the licence's name, SPDX id, deed URL).
    rights: str = ""


@dataclass(frozen=True)
class Manifest:
    metadata: Metadata
    #: The organisation's top-level parts (the CC root item's children).
    items: tuple[Item, ...]
    resources: dict[str, Resource] = field(default_factory=dict)
    #: The root item's or the organisation's title (a fallback for the arrangement's title).
    root_title: str = ""


@dataclass(frozen=True)
class HtmlPage:
    """A webcontent page: its ``oer-portal:*`` meta values and its body's HTML, without
    scripts and styles (the Markdown renderer sanitises the rest when the page is shown)."""

    meta: dict[str, str]
    title: str
    body_html: str


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _namespace(tag: str) -> str:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def _children(element: Element, name: str) -> Iterator[Element]:
    return (child for child in element if _local(child.tag) == name)


def _child(element: Element, name: str) -> Element | None:
    return next(_children(element, name), None)


def _text(element: Element | None) -> str:
    return " ".join("".join(element.itertext()).split()) if element is not None else ""


def parse_xml(data: bytes, name: str) -> Element:
    """``data`` as XML, refusing DTDs, entities and external references."""
    try:
        return SafeElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as error:
        raise CartridgeInvalid(_("%(name)s declares a DTD or entities, which the portal does "
                                 "not read.", name=name)) from error
    except ElementTree.ParseError as error:
        line = error.position[0] if error.position else 0
        raise CartridgeInvalid(_("%(name)s is not well-formed XML (line %(line)d).",
                                 name=name, line=line)) from error


def parse_manifest(data: bytes) -> Manifest:
    """The manifest's metadata, organisation and resources; ``CartridgeInvalid`` for a
    manifest this reader does not understand."""
    root = parse_xml(data, MANIFEST)
    namespace = _namespace(root.tag)
    if _local(root.tag) != "manifest" or namespace not in MANIFEST_NAMESPACES:
        raise CartridgeInvalid(_("imsmanifest.xml is not an IMS Common Cartridge or "
                                 "content package manifest."))
    organisations = _child(root, "organizations")
    organisation = _child(organisations, "organization") if organisations is not None else None
    items: tuple[Item, ...] = ()
    root_title = ""
    if organisation is not None:
        counter = [0]
        top = tuple(_item(e, 0, counter) for e in _children(organisation, "item"))
        root_title = _text(_child(organisation, "title"))
        if len(top) == 1 and top[0].resource_id is None and top[0].children:
            # CC: one root item holds the tree.
            root_title = top[0].title or root_title
            top = top[0].children
        items = top
    resources = _child(root, "resources")
    return Manifest(metadata=_metadata(_child(root, "metadata")), items=items,
                    resources=_resources(resources) if resources is not None else {},
                    root_title=root_title)


def _item(element: Element, depth: int, counter: list[int]) -> Item:
    counter[0] += 1
    if counter[0] > MAX_ITEMS:
        raise CartridgeInvalid(_("The cartridge's organisation holds more than %(n)d items.",
                                 n=MAX_ITEMS))
    if depth > MAX_NESTING:
        raise CartridgeInvalid(_("The cartridge's organisation is nested more than %(n)d "
                                 "levels deep.", n=MAX_NESTING))
    return Item(title=_text(_child(element, "title")),
                resource_id=(element.get("identifierref") or "").strip() or None,
                children=tuple(_item(e, depth + 1, counter)
                               for e in _children(element, "item")))


def _resources(element: Element) -> dict[str, Resource]:
    base = element.get("{http://www.w3.org/XML/1998/namespace}base") or ""
    found: dict[str, Resource] = {}
    for resource in _children(element, "resource"):
        identifier = (resource.get("identifier") or "").strip()
        if not identifier:
            continue
        own = base + (resource.get("{http://www.w3.org/XML/1998/namespace}base") or "")
        href = resource.get("href")
        found[identifier] = Resource(
            identifier=identifier, type=(resource.get("type") or "").strip(),
            href=own + href if href else None,
            files=tuple(own + f.get("href", "") for f in _children(resource, "file")
                        if f.get("href")),
            dependencies=tuple(d.get("identifierref", "") for d in
                               _children(resource, "dependency") if d.get("identifierref")))
    return found


def _metadata(element: Element | None) -> Metadata:
    """The LOM fields, found by local name wherever the cartridge's LOM put them."""
    lom = next((e for e in element.iter() if _local(e.tag) == "lom"), None) \
        if element is not None else None
    if lom is None:
        return Metadata()
    general = next((e for e in lom.iter() if _local(e.tag) == "general"), None)
    rights = next((e for e in lom.iter() if _local(e.tag) == "rights"), None)
    if general is None:
        return Metadata(rights=_text(rights))

    def strings(name: str) -> list[str]:
        return [_text(s) for e in _children(general, name) for s in e.iter()
                if _local(s.tag) in ("string", "langstring") and _text(s)]

    title = strings("title")
    description = strings("description")
    language = next((_text(e) for e in _children(general, "language")), "")
    return Metadata(title=title[0] if title else "",
                    description=description[0] if description else "",
                    language=language, keywords=tuple(dict.fromkeys(strings("keyword"))),
                    rights=" ".join(
                        (e.get("href") or "") + " " + (e.text or "") for e in rights.iter()
                    ).strip() if rights is not None else "")


def parse_weblink(data: bytes, name: str) -> tuple[str, str]:
    """A ``<webLink>``'s title and address."""
    root = parse_xml(data, name)
    if _local(root.tag) != "webLink":
        raise CartridgeInvalid(_("%(name)s is not a web link.", name=name))
    url = _child(root, "url")
    return _text(_child(root, "title")), ((url.get("href") or "").strip() if url is not None
                                          else "")


def parse_page(data: bytes) -> HtmlPage:
    """A webcontent page's ``<meta name>`` values and the HTML inside its ``<body>``."""
    try:
        document = lxml.html.document_fromstring(data)
    except (ValueError, lxml.etree.ParserError):
        return HtmlPage({}, "", "")
    meta = {(m.get("name") or "").strip().lower(): (m.get("content") or "").strip()
            for m in document.iter("meta") if m.get("name")}
    title = " ".join(document.findtext(".//title", "").split())
    body = document.find("body")
    if body is None:
        return HtmlPage(meta, title, "")
    heading = body.find(".//h1")
    if heading is not None and " ".join(heading.text_content().split()) == title:
        heading.drop_tree()  # the page's title, which the part has as its title already
    inner = (body.text or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in body)
    cleaned = nh3.clean(inner, clean_content_tags=set(_DROPPED_TAGS))
    return HtmlPage(meta, title, cleaned)


def html_as_markdown(html: str) -> str:
    """HTML as a page's Markdown: raw HTML is Markdown too, but an indented line would
    become a code block and a blank line would end the HTML block, so every line is
    trimmed and empty ones dropped (the renderer sanitises it when the page is shown).

    Only tags a lesson renders are kept (:func:`_lesson_tags_only`): in a lesson any other
    tag is the author's text and shown as written, but a page's tags are its markup."""
    html = _lesson_tags_only(html)
    return "\n".join(line.strip() for line in html.splitlines() if line.strip())


def _lesson_tags_only(html: str) -> str:
    """``html`` with the tags outside :data:`~oer_portal.core.markdown.ALLOWED_TAGS` gone and
    their text kept: a block (``<h1>``, ``<section>``, ``<center>``) becomes a ``<div>``."""
    if "<" not in html:
        return html
    container = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in list(container.iterdescendants()):
        if not isinstance(element.tag, str):
            continue  # a comment: the renderer hides it
        tag = element.tag.lower()
        if tag in ALLOWED_TAGS:
            continue
        if tag in _EMPTY_TAGS:
            element.drop_tree()  # keeps its tail
        elif tag in _BLOCKS_AS_DIV:
            element.tag = "div"
            element.attrib.clear()
        else:
            element.drop_tag()
    return (container.text or "") + "".join(
        lxml.html.tostring(child, encoding="unicode") for child in container)


def resolve_href(href: str, names: set[str] | frozenset[str]) -> str | None:
    """The archive member ``href`` names (as written, or percent-decoded), if it holds it."""
    for candidate in (href, unquote(href)):
        candidate = candidate.split("#", 1)[0].split("?", 1)[0]
        if candidate.startswith("./"):
            candidate = candidate[2:]
        if candidate in names:
            return candidate
    return None
