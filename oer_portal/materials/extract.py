"""Derived data: the text of an upload (for search) and a thumbnail (for lists and pages).

Both run on files that ``uploads.inspect_upload`` accepted, but they still trust nothing:
a file that parses well enough to be accepted can still break a text extractor or a renderer.
So neither function ever raises: a damaged, encrypted or unsupported file gives ``None``
(and a line in the log), and the material simply has no text or no thumbnail.

Memory is guarded the same way as in inspection: images go through ``uploads.open_image``
(the decompression-bomb check), JPEGs are decoded at reduced size, PDF pages larger than
``MAX_PAGE_POINTS`` on a side are not rendered, and Office and OpenDocument XML is parsed
incrementally with defusedxml, so a document is never held as a whole tree and parsing stops
once ``max_chars`` of text are found.

PDFium is not thread-safe, not even across documents: every call into pypdfium2 holds
``PDFIUM_LOCK``, and any other code in the portal that uses pypdfium2 must hold it too.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element  # types only: defusedxml parses  # nosec B405

import defusedxml.ElementTree as SafeElementTree
import pypdfium2 as pdfium
from PIL import Image, ImageOps
from pypdf import PdfReader

from oer_portal.materials.uploads import ALLOWED, DEFAULT_LIMITS, InspectedFile, open_image

logger = logging.getLogger(__name__)

#: Held around every pypdfium2 call in the process.
PDFIUM_LOCK = threading.Lock()
#: PDF pages larger than this (in points, 1/72 inch) on either side are not rendered.
MAX_PAGE_POINTS = 20_000
#: Pages read for text at most (a PDF of 100,000 empty pages would otherwise take minutes).
MAX_TEXT_PAGES = 2_000
#: An XML part bigger than this (uncompressed) is not read for text.
MAX_XML_PART_BYTES = 64 * 1024 * 1024

# -- text ------------------------------------------------------------------------------------------


def extract_text(path: Path, inspected: InspectedFile, max_chars: int = 200_000) -> str | None:
    """The text of the file, at most ``max_chars`` long; ``None`` when there is none to get.

    PDF (every page, via pypdf; a PDF that needs a password gives ``None``), DOCX, PPTX,
    XLSX (its shared strings: the text cells), ODT, ODS, ODP, plain text and CSV.  A file
    that has no text (a scanned PDF) gives ``""``; other types, and damaged files, ``None``.
    """
    extractor = _TEXT_EXTRACTORS.get(inspected.media_type)
    if extractor is None:
        return None
    try:
        text = extractor(path, max_chars)
    except Exception:
        logger.info("no text from %s (%s)", path.name, inspected.media_type, exc_info=True)
        return None
    return None if text is None else _tidy(text)[:max_chars]


_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _tidy(text: str) -> str:
    text = _CONTROLS.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def _pdf_text(path: Path, max_chars: int) -> str | None:
    with path.open("rb") as handle:
        reader = PdfReader(handle, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return None
        pages: list[str] = []
        length = 0
        for number, page in enumerate(reader.pages):
            if number >= MAX_TEXT_PAGES:
                break
            text = page.extract_text() or ""
            pages.append(text)
            length += len(text)
            if length >= max_chars:
                break
    return "\n\n".join(pages)


def _plain_text(path: Path, max_chars: int) -> str:
    with path.open("rb") as handle:
        data = handle.read(max_chars * 4 + 4)  # UTF-8 needs at most 4 bytes a character
    return data.decode("utf-8-sig", errors="ignore")[:max_chars]


@dataclass(frozen=True)
class _XmlText:
    """How one XML vocabulary holds its text."""

    paragraphs: frozenset[str]  # each ends with a line break
    text: frozenset[str] = frozenset()  # elements whose .text is text (ignored if mixed)
    mixed: bool = False  # all .text and .tail inside a paragraph is text (OpenDocument)
    tabs: frozenset[str] = frozenset()
    breaks: frozenset[str] = frozenset()
    spaces: str = ""  # an element that stands for ``c`` spaces (OpenDocument ``text:s``)
    skip: frozenset[str] = field(default_factory=frozenset)  # subtrees that are not content


def _names(namespace: str, *local: str) -> frozenset[str]:
    return frozenset(f"{{{namespace}}}{name}" for name in local)


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"

_WORD = _XmlText(paragraphs=_names(_W, "p"), text=_names(_W, "t"), tabs=_names(_W, "tab"),
                 breaks=_names(_W, "br", "cr"))
_DRAWING = _XmlText(paragraphs=_names(_A, "p"), text=_names(_A, "t"), breaks=_names(_A, "br"))
_SHARED_STRINGS = _XmlText(paragraphs=_names(_S, "si"), text=_names(_S, "t"),
                           skip=_names(_S, "rPh"))
_OPENDOCUMENT = _XmlText(
    paragraphs=_names(_TEXT, "p", "h"), mixed=True, tabs=_names(_TEXT, "tab"),
    breaks=_names(_TEXT, "line-break"), spaces=f"{{{_TEXT}}}s",
    skip=_names(_TEXT, "tracked-changes") | _names(_OFFICE, "annotation"))


def _paragraph_text(paragraph: Element, style: _XmlText) -> str:
    """The text of one paragraph, walked without recursion (nesting depth is the user's)."""
    parts: list[str] = []
    stack: list[Element | str] = [paragraph]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            parts.append(item)
            continue
        if style.mixed and item is not paragraph and item.tail:
            stack.append(item.tail)  # popped after the children below
        tag = item.tag
        if tag in style.skip:
            continue
        if tag in style.tabs:
            parts.append("\t")
        elif tag in style.breaks:
            parts.append("\n")
        elif tag == style.spaces:
            count = item.get(f"{{{_TEXT}}}c", "1")
            parts.append(" " * min(int(count) if count.isdigit() else 1, 100))
        if item.text and (style.mixed or tag in style.text):
            parts.append(item.text)
        stack.extend(reversed(list(item)))
    return "".join(parts)


def _stream_xml_text(source: IO[bytes], style: _XmlText, max_chars: int) -> str:
    """Paragraph texts in document order, parsing incrementally and dropping what was read.

    A paragraph's text is taken at its end tag.  Outside paragraphs, every finished element
    is removed from its parent, so memory holds only the path to the current element;
    inside a paragraph nothing is removed (the enclosing paragraph still has to read it),
    except that a nested paragraph, already taken, is emptied but keeps its tail.
    """
    parts: list[str] = []
    length = 0
    open_elements: list[Element] = []
    in_paragraphs = 0
    skipping = 0
    for event, element in SafeElementTree.iterparse(source, events=("start", "end"),
                                                    forbid_dtd=True):
        tag = element.tag
        if event == "start":
            open_elements.append(element)
            in_paragraphs += tag in style.paragraphs
            skipping += tag in style.skip
            continue
        open_elements.pop()
        skipping -= tag in style.skip
        if tag in style.paragraphs:
            in_paragraphs -= 1
            if not skipping:
                text = _paragraph_text(element, style)
                parts.append(text)
                length += len(text) + 1
                if length >= max_chars:
                    break
            tail = element.tail  # may already be parsed: events come in batches
            element.clear()
            element.tail = tail
        if not in_paragraphs and open_elements:
            element.clear()
            with contextlib.suppress(ValueError):
                open_elements[-1].remove(element)
    return "\n".join(parts)


def _zip_part_text(archive: zipfile.ZipFile, name: str, style: _XmlText, max_chars: int) -> str:
    info = archive.getinfo(name)
    if info.file_size > MAX_XML_PART_BYTES:
        raise ValueError(f"{name} is too large to read for text")
    with archive.open(info) as part:
        return _stream_xml_text(part, style, max_chars)


def _docx_text(path: Path, max_chars: int) -> str:
    with zipfile.ZipFile(path) as archive:
        return _zip_part_text(archive, "word/document.xml", _WORD, max_chars)


_SLIDE = re.compile(r"ppt/slides/slide(\d+)\.xml")


def _pptx_text(path: Path, max_chars: int) -> str:
    with zipfile.ZipFile(path) as archive:
        slides = sorted((int(m.group(1)), m.group()) for m in map(_SLIDE.fullmatch,
                                                                   archive.namelist()) if m)
        texts: list[str] = []
        remaining = max_chars
        for _number, name in slides:
            text = _zip_part_text(archive, name, _DRAWING, remaining)
            texts.append(text)
            remaining -= len(text) + 2
            if remaining <= 0:
                break
    return "\n\n".join(texts)


def _xlsx_text(path: Path, max_chars: int) -> str:
    with zipfile.ZipFile(path) as archive:
        if "xl/sharedStrings.xml" not in archive.namelist():
            return ""
        return _zip_part_text(archive, "xl/sharedStrings.xml", _SHARED_STRINGS, max_chars)


def _opendocument_text(path: Path, max_chars: int) -> str:
    with zipfile.ZipFile(path) as archive:
        return _zip_part_text(archive, "content.xml", _OPENDOCUMENT, max_chars)


_TEXT_EXTRACTORS: dict[str, Callable[[Path, int], str | None]] = {
    "application/pdf": _pdf_text,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": _docx_text,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": _pptx_text,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": _xlsx_text,
    "application/vnd.oasis.opendocument.text": _opendocument_text,
    "application/vnd.oasis.opendocument.spreadsheet": _opendocument_text,
    "application/vnd.oasis.opendocument.presentation": _opendocument_text,
    "text/plain": _plain_text,
    "text/csv": _plain_text,
}

# -- thumbnails ------------------------------------------------------------------------------------


def make_thumbnail(path: Path, inspected: InspectedFile, size: int = 320) -> bytes | None:
    """A PNG that fits in a square of ``size`` pixels, for images and PDFs; else ``None``.

    Images: the first frame, turned as its EXIF orientation says, transparency on white.
    PDFs: the first page, rendered by PDFium at the scale that makes it fit.
    """
    try:
        if inspected.category == "image":
            return _image_thumbnail(path, inspected, size)
        if inspected.category == "pdf":
            return _pdf_thumbnail(path, size)
    except Exception:
        logger.info("no thumbnail for %s (%s)", path.name, inspected.media_type, exc_info=True)
    return None


def _image_thumbnail(path: Path, inspected: InspectedFile, size: int) -> bytes:
    file_type = ALLOWED[inspected.media_type]
    with path.open("rb") as handle, open_image(handle, file_type, DEFAULT_LIMITS) as image:
        image.draft("RGB", (size, size))  # JPEG: decode at 1/2 to 1/8 scale; others: no-op
        # Loads the first frame only.  Palette images are resized with "nearest" anyway, so
        # they are only brought near the size here and get the good filter after conversion.
        image.thumbnail((size * 4, size * 4) if image.mode in ("P", "1") else (size, size))
        oriented = ImageOps.exif_transpose(image)
        return _png(_on_white(oriented), size)


def _on_white(image: Image.Image) -> Image.Image:
    """RGB, with any transparency composed onto white (not the black it would otherwise get)."""
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
            image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _png(image: Image.Image, size: int) -> bytes:
    image.thumbnail((size, size))  # rounding in the renderer must not make it a pixel larger
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _pdf_thumbnail(path: Path, size: int) -> bytes | None:
    with PDFIUM_LOCK:
        document = pdfium.PdfDocument(path)
        try:
            if len(document) < 1:
                return None
            page = document[0]
            try:
                width, height = page.get_size()
                if not (0 < width <= MAX_PAGE_POINTS and 0 < height <= MAX_PAGE_POINTS):
                    return None
                bitmap = page.render(scale=size / max(width, height))
                try:
                    image = bitmap.to_pil().convert("RGB")  # a copy: the bitmap is freed below
                finally:
                    bitmap.close()
            finally:
                page.close()
        finally:
            document.close()
    return _png(image, size)
