"""Links between a page and files: from a cartridge's paths to the portal's file addresses
on import, and from those addresses to paths inside the ZIP on export.

A cartridge's page links its files by their place in the archive (``files/kaart.png``,
``../gedeeld/werkblad.pdf``, Canvas's ``$IMS-CC-FILEBASE$/kaart.png``).  On the portal
those places do not exist; the file is an attachment of the imported arrangement, and its
lasting address is ``/materials/<id>/attachments/<name>`` (the one by name, which does
not change from version to version).  ``FileLinks`` rewrites every ``src``/``href`` of a
page's HTML (parsed with lxml) or its Markdown (link and image targets, reference
definitions and the attributes of raw HTML tags, found with the regular expressions
below; code is left alone) that names an imported file, and remembers the ones that name
something that was not imported.  Absolute addresses, addresses from the root and
anchors are never touched.  Nothing is fetched or run: links are only read and written.

On export the same addresses go the other way (``relative_file_links``): a link to
``/materials/<id>/attachments/<name>`` of a file the archive holds becomes the file's
path relative to the page that links it.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

import lxml.html
from lxml import etree

from oer_portal.materials.uploads.names import sanitise_filename

#: Canvas (and others) write a page's links to the cartridge's files with this token in
#: front; it stands for the folder the files are in (``web_resources/`` in Canvas).
FILEBASE_TOKENS = ("$IMS-CC-FILEBASE$", "%24IMS-CC-FILEBASE%24")
#: Where a ``$IMS-CC-FILEBASE$`` link is looked for besides the page's own folder.
FILEBASE_FOLDERS = ("", "web_resources")
#: The attributes that point to a file.
LINK_ATTRIBUTES = ("src", "href")

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
#: A Markdown text's parts a link can hide in, tried at each position in this order:
#: fenced code and code spans (left alone), a raw HTML tag, an inline link or image's
#: target ``](target``, and a reference definition ``[id]: target``.
_MARKDOWN = re.compile(
    r"(?P<fence>^[ ]{0,3}(?P<ticks>`{3,}|~{3,})[^\n]*\n.*?(?:^[ ]{0,3}(?P=ticks)[ \t]*$|\Z))"
    r"|(?P<code>(?P<run>`+)(?!`)[^\n]*?(?<!`)(?P=run)(?!`))"
    r"|(?P<tag><[a-zA-Z][a-zA-Z0-9-]*\s[^<>]*>)"
    r"|(?P<inline>\]\([ \t]*)(?P<target><[^<>\n]*>|[^\s()<>]+)"
    r"|(?P<reference>^[ ]{0,3}\[[^\]\n]+\]:[ \t]*)(?P<definition><[^<>\n]*>|\S+)",
    re.MULTILINE | re.DOTALL)
#: A ``src`` or ``href`` attribute inside a raw HTML tag.
_ATTRIBUTE = re.compile(
    r"(?P<name>\s(?:src|href)\s*=\s*)(?P<value>\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+)",
    re.IGNORECASE)


def archive_places(target: str, folder: str) -> tuple[list[str], str] | None:
    """The archive members a page in ``folder`` may mean by the link ``target`` (most
    likely first), and the link's ``#fragment``; ``None`` when the link does not point
    into the archive (a web address, ``mailto:``, a path from the root, an anchor)."""
    target = target.strip()
    filebase = False
    for token in FILEBASE_TOKENS:
        if target[:len(token)].upper() == token:
            target, filebase = target[len(token):].lstrip("/"), True
            break
    if not target or target.startswith(("#", "/", "\\")) or _SCHEME.match(target):
        return None
    path, _hash, fragment = target.partition("#")
    path = unquote(path.split("?", 1)[0])
    if not path:
        return None
    bases = [folder, *FILEBASE_FOLDERS] if filebase else [folder]
    places: list[str] = []
    for base in bases:
        place = posixpath.normpath(posixpath.join(base, path)) if base \
            else posixpath.normpath(path)
        if place != ".." and not place.startswith(("../", "/")) and place not in places:
            places.append(place)
    return places, fragment


def attachment_address(material_id: int, filename: str) -> str:
    """A material's file by name (``materials.views.attachment_by_name``), as a path."""
    return f"/materials/{material_id}/attachments/{quote(filename)}"


@dataclass
class FileLinks:
    """Rewrites an imported page's links to the files imported with it."""

    material_id: int
    #: Archive member → the name its file is attached under.
    stored: Mapping[str, str]
    #: This portal's base addresses: a link to one of its materials' files by name, which
    #: a cartridge this portal exported keeps in its ``source.md``, is taken to mean the
    #: file of that name in the page's ``files/`` folder (where the export put it).
    portals: Sequence[str] = ()
    #: The links into the archive that name no imported file, as written, in order.
    left: dict[str, None] = field(default_factory=dict)

    def address(self, target: str, folder: str) -> str | None:
        """The portal address for ``target`` written in a page in ``folder``, or ``None``
        to leave it as it is."""
        found = archive_places(target, folder) or self._exported_file(target, folder)
        if found is None:
            return None
        places, fragment = found
        name = next((self.stored[place] for place in places if place in self.stored), None)
        if name is None:
            self.left.setdefault(target.strip())
            return None
        return attachment_address(self.material_id, name) + (f"#{fragment}" if fragment else "")

    def _exported_file(self, target: str, folder: str) -> tuple[list[str], str] | None:
        for portal in ("", *self.portals):
            named = material_file(target, portal)
            if named is not None:
                place = posixpath.join(folder, "files", sanitise_filename(named[1]))
                return ([place], named[2]) if place in self.stored else None
        return None

    def html(self, text: str, folder: str) -> str:
        return rewrite_html(text, lambda target: self.address(target, folder))

    def markdown(self, text: str, folder: str) -> str:
        return rewrite_markdown(text, lambda target: self.address(target, folder))


# -- Rewriting --------------------------------------------------------------------------


Rewrite = Callable[[str], "str | None"]


def rewrite_html(text: str, rewrite: Rewrite) -> str:
    """``text`` (an HTML fragment) with every ``src``/``href`` that ``rewrite`` gives a new
    value for changed; unchanged text is returned as it was (not re-serialised)."""
    if not text.strip() or not any(a in text.lower() for a in LINK_ATTRIBUTES):
        return text
    try:
        fragments = lxml.html.fragments_fromstring(text)
    except (etree.ParserError, ValueError):
        return text
    changed = False
    for fragment in fragments:
        if isinstance(fragment, str):
            continue
        for element in fragment.iter():
            if not isinstance(element.tag, str):
                continue
            for attribute in LINK_ATTRIBUTES:
                value = element.get(attribute)
                new = rewrite(value) if value is not None else None
                if new is not None:
                    element.set(attribute, new)
                    changed = True
    if not changed:
        return text
    return "".join(fragment if isinstance(fragment, str)
                   else lxml.html.tostring(fragment, encoding="unicode")
                   for fragment in fragments)


def rewrite_markdown(text: str, rewrite: Rewrite) -> str:
    """``text`` (Markdown) with the link and image targets, reference definitions and raw
    HTML ``src``/``href`` attributes that ``rewrite`` gives a new value for changed; code
    blocks and code spans stay as written."""

    def target(value: str) -> str:
        bracketed = value.startswith("<") and value.endswith(">")
        new = rewrite(value[1:-1] if bracketed else value)
        if new is None:
            return value
        return f"<{new}>" if bracketed else new

    def attribute(found: re.Match[str]) -> str:
        value = found.group("value")
        quote_mark = value[0] if value[:1] in ("'", '"') else ""
        raw = value[1:-1] if quote_mark else value
        new = rewrite(html.unescape(raw))
        if new is None:
            return found.group()
        return f'{found.group("name")}"{html.escape(new, quote=True)}"'

    def part(found: re.Match[str]) -> str:
        if found.group("tag"):
            return _ATTRIBUTE.sub(attribute, found.group("tag"))
        if found.group("inline"):
            return found.group("inline") + target(found.group("target"))
        if found.group("reference"):
            return found.group("reference") + target(found.group("definition"))
        return found.group()  # code

    return _MARKDOWN.sub(part, text)


# -- Export -----------------------------------------------------------------------------


def material_file(url: str, portal: str) -> tuple[int, str, str] | None:
    """``(material id, file name, #fragment)`` when ``url`` is a material's file by name
    (``/materials/<id>/attachments/<name>``, as a path or on ``portal``)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme or parts.netloc:
        if not portal:
            return None
        base = urlsplit(portal)
        if (parts.scheme.lower(), parts.netloc.lower()) != (base.scheme.lower(),
                                                             base.netloc.lower()):
            return None
        prefix = base.path.rstrip("/")
        if not parts.path.startswith(prefix + "/"):
            return None
        path = parts.path[len(prefix):]
    else:
        path = parts.path
    found = _MATERIAL_FILE.fullmatch(path)
    if found is None or len(found.group(1)) > 9:
        return None
    return int(found.group(1)), unquote(found.group(2)), parts.fragment


_MATERIAL_FILE = re.compile(r"/materials/([0-9]+)/attachments/([^/?#]+)")


def _may_link_files(text: str) -> bool:
    """Whether rendered HTML can hold a link to a material's file by name at all: most pages
    hold none, and parsing each page to find that out was a third of an export's time.
    Rendered HTML comes from the sanitiser, which writes the path's letters as they are."""
    return "/attachments/" in text


def linked_material_files(text: str, portal: str) -> list[tuple[int, str]]:
    """The materials' files by name that ``text`` (rendered HTML) links to."""
    found: list[tuple[int, str]] = []
    if not _may_link_files(text):
        return found

    def collect(url: str) -> str | None:
        named = material_file(url, portal)
        if named is not None and named[:2] not in found:
            found.append(named[:2])
        return None  # only reading

    rewrite_html(text, collect)
    return found


def relative_file_links(text: str, page: str, files: Mapping[tuple[int, str], str],
                        portal: str) -> str:
    """``text`` (rendered HTML of the page at archive path ``page``) with each link to a
    material's file by name that ``files`` maps to an archive path ((material id, name) →
    path) changed to that path relative to the page; one the archive lacks gets the
    portal's absolute address (a path from the root leads nowhere in an archive)."""
    if not _may_link_files(text):
        return text
    folder = posixpath.dirname(page)

    def rewrite(url: str) -> str | None:
        found = material_file(url, portal)
        if found is None:
            return None
        path = files.get((found[0], found[1]))
        if path is None:
            return portal.rstrip("/") + url.strip() if url.strip().startswith("/") else None
        relative = posixpath.relpath(path, folder or ".")
        return quote(relative) + (f"#{found[2]}" if found[2] else "")

    return rewrite_html(text, rewrite)
