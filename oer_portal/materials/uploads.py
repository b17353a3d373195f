"""What may be uploaded: the type is read from the content, then proven by parsing it.

The browser's Content-Type and the file name never decide what a file is.  A small signature
table, limited to the allow-list below, proposes a type; a parser then has to agree: Pillow
(``verify()``) for images, pypdf for PDFs, ``zipfile`` plus the package's own
``[Content_Types].xml`` or ``mimetype`` member (read with defusedxml) for Office and
OpenDocument files, a walk over the container structure for audio and video (MP3 frames, Ogg
pages, RIFF chunks, MP4 boxes, the WebM EBML header), and strict UTF-8 decoding for text.
No magic-number library is used: the allow-list is short, and a library that names 1,000
formats would add nothing that the parsers do not check better.

The name is consulted in two cases only, and neither can make a file acceptable: it chooses
between the two text types (CSV only when it ends in ``.csv``), and a text file named like a
web page, a script or a program (``.html``, ``.js``, ``.bat``, ...) is refused.

Deliberately refused, each with a message that says what to upload instead: HTML, SVG and
XML (they can carry scripts), programs and scripts, the old binary Office formats (DOC, XLS,
PPT: their OLE2 container could be recognised, but proving which of the three it is needs a
compound-file parser we do not have, and they are where macro viruses live), Office files
with macros, password-protected PDFs, archives other than ZIP, images whose pixels would not
fit in memory (decompression bombs), ZIP bombs and archives with paths that escape their
folder (zip-slip), text that is not UTF-8, and empty files.

Polyglot images (a valid GIF or PNG that also carries ``<script>`` or an HTML page) are
refused, not just neutralised: images are the one kind of upload the portal shows inline,
so they must be nothing but images.  Serving (``nosniff``, ``Content-Disposition``, a
sandboxing CSP) is the second line of defence, not the only one.

Messages are translated when raised, with ``gettext``: inside a request that is the user's
language; outside any app context Flask-Babel falls back to the English message ids, so
these functions also work in scripts and tests without an app.
"""

from __future__ import annotations

import codecs
import csv
import re
import struct
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NoReturn
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from PIL import Image
from pypdf import PdfReader
from pypdf.errors import DependencyError

from oer_portal.core.errors import InvalidUpload

# -- the allow-list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileType:
    """One accepted type: its media type, canonical extension, category and other spellings."""

    media_type: str
    extension: str
    category: str
    aliases: tuple[str, ...] = ()


PDF = FileType("application/pdf", ".pdf", "pdf")
PNG = FileType("image/png", ".png", "image")
JPEG = FileType("image/jpeg", ".jpg", "image", (".jpeg", ".jpe", ".jfif"))
GIF = FileType("image/gif", ".gif", "image")
WEBP = FileType("image/webp", ".webp", "image")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                ".docx", "office")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ".xlsx", "office")
PPTX = FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation",
                ".pptx", "office")
ODT = FileType("application/vnd.oasis.opendocument.text", ".odt", "opendocument")
ODS = FileType("application/vnd.oasis.opendocument.spreadsheet", ".ods", "opendocument")
ODP = FileType("application/vnd.oasis.opendocument.presentation", ".odp", "opendocument")
MP3 = FileType("audio/mpeg", ".mp3", "audio")
OGG = FileType("audio/ogg", ".ogg", "audio", (".oga", ".opus"))
WAV = FileType("audio/wav", ".wav", "audio", (".wave",))
M4A = FileType("audio/mp4", ".m4a", "audio")
MP4 = FileType("video/mp4", ".mp4", "video", (".m4v",))
WEBM = FileType("video/webm", ".webm", "video")
OGV = FileType("video/ogg", ".ogv", "video")
ZIP = FileType("application/zip", ".zip", "archive")
TEXT = FileType("text/plain", ".txt", "text", (".text",))
CSV = FileType("text/csv", ".csv", "csv")

#: Every accepted type, by media type.
ALLOWED: dict[str, FileType] = {t.media_type: t for t in (
    PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, ODT, ODS, ODP,
    MP3, OGG, WAV, M4A, MP4, WEBM, OGV, ZIP, TEXT, CSV,
)}

CATEGORIES = ("pdf", "image", "office", "opendocument", "audio", "video", "archive", "text",
              "csv")


@dataclass(frozen=True)
class UploadLimits:
    """Caps that keep inspecting (and later thumbnailing) a file cheap."""

    #: Width times height above which an image is refused as a decompression bomb.
    max_image_pixels: int = 50_000_000
    max_zip_entries: int = 2_000
    max_zip_expanded_bytes: int = 500 * 1024 * 1024
    #: Uncompressed ÷ compressed size of the whole archive above which it is a ZIP bomb ...
    max_zip_ratio: float = 100.0
    #: ... once it expands to more than this (a 50 kB text of spaces is not a bomb).
    zip_ratio_applies_above: int = 1024 * 1024


DEFAULT_LIMITS = UploadLimits()


@dataclass(frozen=True)
class InspectedFile:
    """What an upload really is, and the name to show and offer it under."""

    media_type: str  # detected from the content, e.g. "application/pdf"
    extension: str  # canonical, e.g. ".pdf"
    category: str  # one of CATEGORIES
    display_name: str  # sanitised original name with the canonical extension


# -- messages shared by several checks -------------------------------------------------------------

ACCEPTED_TYPES = _l(
    "The portal accepts PDF files, images (PNG, JPEG, GIF, WebP), Word, Excel and PowerPoint "
    "files (.docx, .xlsx, .pptx), OpenDocument files (.odt, .ods, .odp), audio (MP3, OGG, WAV, "
    "M4A), video (MP4, WebM, OGV), ZIP archives, plain text and CSV.")
MSG_UNKNOWN = _l("We do not recognise the type of this file.")
MSG_EMPTY = _l("This file is empty. Check that you chose the right file and try again.")
MSG_PROGRAM = _l("Programs cannot be uploaded, because they could harm the computers of people "
                 "who download them. Share a link to where the program can be found instead.")
MSG_SCRIPT = _l("Scripts cannot be uploaded, because they could run on the computers of people "
                "who download them. To share code, copy it into a plain text (.txt) file or "
                "put it in a ZIP archive.")
MSG_HTML = _l("Web pages (HTML) cannot be uploaded, because they can contain scripts. Upload a "
              "PDF instead, or put the files of the page in a ZIP archive.")
MSG_SVG = _l("SVG images can contain scripts, so they are not accepted. Upload a PNG or a PDF "
             "instead.")
MSG_XML = _l("XML files are not accepted, because browsers can run scripts in them. Upload a "
             "PDF, a plain text file or a ZIP archive instead.")
MSG_OLD_OFFICE = _l("Old Office files (.doc, .xls, .ppt) are not accepted. Open the file in "
                    "Word, Excel or PowerPoint and save it as .docx, .xlsx or .pptx, or as a "
                    "PDF.")
MSG_OTHER_ARCHIVE = _l("Only ZIP archives are accepted. Pack the files into a ZIP archive "
                       "instead.")
MSG_OTHER_IMAGE = _l("This kind of image is not accepted. Save it as PNG or JPEG and upload "
                     "that instead.")
MSG_OTHER_AUDIO_VIDEO = _l("This kind of audio or video file is not accepted. Save or export it "
                           "as MP3, OGG, WAV or M4A (audio) or as MP4, WebM or OGV (video).")
MSG_MACROS = _l("Office files with macros are not accepted, because macros can harm the "
                "computers of people who open them. Save the file without macros (.docx, .xlsx "
                "or .pptx) and upload that instead.")
MSG_OTHER_OFFICE = _l("This kind of Office file is not accepted. Save it as a normal document "
                      "(.docx), workbook (.xlsx) or presentation (.pptx), or as a PDF.")
MSG_OTHER_OPENDOCUMENT = _l("This kind of OpenDocument file is not accepted. Save it as a text "
                            "document (.odt), spreadsheet (.ods) or presentation (.odp), or as "
                            "a PDF.")
MSG_NOT_UTF8 = _l("This text file is not saved as UTF-8. Save it again with the encoding UTF-8 "
                  "(in Excel: choose \u201cCSV UTF-8\u201d) and upload the new copy.")
MSG_POLYGLOT = _l("This image also contains web page code, which is not allowed in images. "
                  "Open it in an image editor, save it again as PNG or JPEG and upload the new "
                  "copy.")


def _refuse(message: object) -> NoReturn:
    """Raise ``InvalidUpload`` with ``message`` translated now (a lazy string or a string)."""
    raise InvalidUpload(str(message))


def _refuse_unknown() -> NoReturn:
    raise InvalidUpload(f"{MSG_UNKNOWN} {ACCEPTED_TYPES}")


def _refuse_broken(kind: str) -> NoReturn:
    raise InvalidUpload(_(
        "This file seems to be damaged: it could not be read as %(kind)s. Open it on "
        "your computer, save it again and upload the new copy.", kind=kind))


# -- file names ------------------------------------------------------------------------------------

FALLBACK_STEM = "bestand"
MAX_NAME_LENGTH = 150

_PATH_SEPARATORS = re.compile(r"[/\\]")
_WHITESPACE = re.compile(r"\s+")
#: Characters that never belong in a shown name: controls (C0, DEL, C1), format characters
#: (bidi embeddings, overrides and isolates, LRM/RLM/ALM, zero-width joiners, BOM) and
#: surrogates.  Whitespace controls are turned into spaces before these are removed.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
#: What counts as an extension the user typed: a final dot and 1-5 letters or digits, at least
#: one of them a letter ("Versie 1.0" has none, "Breuken.Hoofdstuk" is too long).
_NAME_EXTENSION = re.compile(r"\.(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,5}$")
_CANONICAL_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")


def _clean_characters(text: str) -> str:
    text = _WHITESPACE.sub(" ", text)
    text = "".join(c for c in text if unicodedata.category(c) not in _DROPPED_CATEGORIES)
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text))


def _same_extensions(extension: str) -> tuple[str, ...]:
    for file_type in ALLOWED.values():
        if file_type.extension == extension:
            return (extension, *file_type.aliases)
    return (extension,)


def sanitise_filename(name: str, extension: str | None = None) -> str:
    """A name that is safe to show and to offer as a download name, ending in ``extension``.

    Directory parts (``/`` and ``\\``) go, as do control, bidi and other format characters;
    whitespace is collapsed, the result is NFC and at most 150 characters long, and never
    empty (``bestand``).  With ``extension`` (canonical, lowercase, e.g. ``".pdf"``) the name's
    own last extension is replaced by it, and a copy of it just before is not repeated:
    ``evil.pdf.exe`` detected as PDF becomes ``evil.pdf``, ``photo.jpeg`` detected as JPEG
    becomes ``photo.jpg``, ``Versie 1.0`` becomes ``Versie 1.0.pdf``.  Without ``extension``
    the name keeps its own.
    """
    if extension is not None and not _CANONICAL_EXTENSION.fullmatch(extension):
        raise ValueError(f"not a canonical extension: {extension!r}")
    text = _clean_characters(name)
    text = _PATH_SEPARATORS.split(text)[-1].strip(" .")
    own = _NAME_EXTENSION.search(text)
    if extension is None:
        extension = own.group().lower() if own else ""
        stem = text[:own.start()] if own else text
    else:
        stem = text[:own.start()] if own else text
        stem = stem.rstrip(" .")
        for same in _same_extensions(extension):
            if stem.lower().endswith(same) and len(stem) > len(same):
                stem = stem[:-len(same)]
                break
    stem = stem.rstrip(" .")[:MAX_NAME_LENGTH - len(extension)].rstrip(" .")
    return (stem or FALLBACK_STEM) + extension


# -- inspection ------------------------------------------------------------------------------------

HEAD_SIZE = 64 * 1024
_CHUNK = 1024 * 1024


def inspect_upload(path: Path, original_name: str,
                   limits: UploadLimits = DEFAULT_LIMITS) -> InspectedFile:
    """Decide what the received file at ``path`` is, or raise ``InvalidUpload`` saying why not.

    ``original_name`` is the name the browser sent; it only becomes the (sanitised) display
    name, apart from the two text cases described in the module docstring.
    """
    size = path.stat().st_size
    if size == 0:
        _refuse(MSG_EMPTY)
    with path.open("rb") as handle:
        head = handle.read(HEAD_SIZE)
        file_type = _detect(handle, head, size, original_name, limits)
    return InspectedFile(
        media_type=file_type.media_type,
        extension=file_type.extension,
        category=file_type.category,
        display_name=sanitise_filename(original_name, file_type.extension),
    )


def _detect(handle: BinaryIO, head: bytes, size: int, name: str,
            limits: UploadLimits) -> FileType:
    if head.startswith(b"%PDF-"):
        _check_pdf(handle)
        return PDF
    image = _image_signature(head)
    if image is not None:
        _check_image(handle, image, limits)
        return image
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _inspect_zip(handle, size, limits)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        _check_wav(head)
        return WAV
    if head.startswith(b"OggS"):
        return _inspect_ogg(head)
    if head[4:8] == b"ftyp":
        return _inspect_iso_media(handle, size)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        _check_webm(head)
        return WEBM
    if head.startswith(b"ID3") or _mpeg_frame_length(head, 0):
        _check_mp3(handle, head, size)
        return MP3
    _refuse_known_binary(head)
    return _inspect_text(handle, head, name)


# -- PDF

def _check_pdf(handle: BinaryIO) -> None:
    """pypdf must read the cross-reference table and find at least one page."""
    handle.seek(0)
    try:
        reader = PdfReader(handle, strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except DependencyError:
                # AES needs the optional `cryptography` package; the structure did parse, and
                # whether a password is needed cannot be told without it.
                return
            if not opened:
                _refuse(_l("This PDF is protected with a password, so nobody else could open "
                           "it. Save a copy without a password and upload that instead."))
        if len(reader.pages) < 1:
            _refuse_broken("PDF")
    except InvalidUpload:
        raise
    except Exception:
        _refuse_broken("PDF")


# -- images

_IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
)
_PILLOW_FORMATS = {PNG: "PNG", JPEG: "JPEG", GIF: "GIF", WEBP: "WEBP"}
#: Markup that makes an image a polyglot; XMP metadata (``<x:xmpmeta``, ``<rdf:RDF``) is fine.
_MARKUP_IN_BINARY = re.compile(
    rb"<(?:script|html|svg|iframe|frame|body|head|!doctype|object|embed|meta|\?php)[\s>/]",
    re.IGNORECASE)


def _image_signature(head: bytes) -> FileType | None:
    for signature, file_type in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            return file_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def open_image(handle: BinaryIO, file_type: FileType, limits: UploadLimits) -> Image.Image:
    """Open (not decode) an image of an accepted type, refusing decompression bombs.

    The explicit pixel check is the guard; it does not depend on Pillow's process-wide
    ``MAX_IMAGE_PIXELS``.  Pillow's own check only warns between one and two times that
    limit, so its ``DecompressionBombWarning`` is turned into an error here as well
    (``catch_warnings`` changes process-wide state; the explicit check is what holds under
    threads).
    """
    handle.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(handle, formats=[_PILLOW_FORMATS[file_type]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        _refuse_bomb(limits)
    width, height = image.size
    if width < 1 or height < 1:
        image.close()
        _refuse_broken(_image_kind(file_type))
    if width * height > limits.max_image_pixels:
        image.close()
        _refuse_bomb(limits)
    return image


def _refuse_bomb(limits: UploadLimits) -> NoReturn:
    megapixels = f"{limits.max_image_pixels / 1_000_000:g}"
    raise InvalidUpload(_("This image has too many pixels (more than %(megapixels)s megapixels). "
                          "Make it smaller and upload it again.", megapixels=megapixels))


def _image_kind(file_type: FileType) -> str:
    return {PNG: "PNG", JPEG: "JPEG", GIF: "GIF", WEBP: "WebP"}[file_type]


def _check_image(handle: BinaryIO, file_type: FileType, limits: UploadLimits) -> None:
    """Pillow's ``verify()``; JPEG has none, so it is decoded at 1/8 scale (cheap) instead."""
    try:
        with open_image(handle, file_type, limits) as image:
            image.verify()
        if file_type is JPEG:
            with open_image(handle, file_type, limits) as image:
                image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
    except InvalidUpload:
        raise
    except Exception:
        _refuse_broken(_image_kind(file_type))
    if _contains_markup(handle):
        _refuse(MSG_POLYGLOT)


def _contains_markup(handle: BinaryIO) -> bool:
    """Whether HTML or script markup occurs anywhere in the file (read in overlapping chunks)."""
    handle.seek(0)
    tail = b""
    while chunk := handle.read(_CHUNK):
        if _MARKUP_IN_BINARY.search(tail + chunk):
            return True
        tail = chunk[-16:]
    return False


# -- ZIP, Office, OpenDocument

_OOXML_MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
}
_ODF_TYPES = {t.media_type: t for t in (ODT, ODS, ODP)}
_DRIVE = re.compile(r"[A-Za-z]:")
#: Package metadata members are small; anything bigger is not what it claims to be.
_MAX_METADATA_BYTES = 1024 * 1024
#: Central directory bytes allowed per permitted entry, checked before ``zipfile`` parses it.
_CENTRAL_DIRECTORY_BYTES_PER_ENTRY = 1024


def unsafe_member_name(name: str) -> bool:
    """Whether an archive member name could escape the folder it is extracted into."""
    if "\x00" in name or name.startswith(("/", "\\")) or _DRIVE.match(name):
        return True
    return ".." in _PATH_SEPARATORS.split(name)


def _inspect_zip(handle: BinaryIO, size: int, limits: UploadLimits) -> FileType:
    _check_zip_directory_size(handle, size, limits)
    handle.seek(0)
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
            _check_zip_members(members, limits)
            return _classify_zip(archive, members)
    except InvalidUpload:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            EOFError, OSError, ValueError, struct.error):
        _refuse_broken("ZIP")


def _check_zip_directory_size(handle: BinaryIO, size: int, limits: UploadLimits) -> None:
    """Refuse too many entries before ``zipfile`` builds an object for each of them.

    Reads the end-of-central-directory record (and its ZIP64 variant) for the declared entry
    count and directory size; a directory far larger than the allowed number of entries
    needs is refused too, because ``zipfile`` walks the directory by size, not by count.
    """
    tail_size = min(size, 22 + 0xFFFF + 20)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    # Like zipfile: a record without a comment ends the file, else search back for one.
    end = len(tail) - 22 if tail[-22:-18] == b"PK\x05\x06" else tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) < end + 22:
        _refuse_broken("ZIP")
    entries, directory_size = struct.unpack_from("<xxxxxxxxxxHI", tail, end)
    if (entries == 0xFFFF or directory_size == 0xFFFFFFFF) and end >= 20 \
            and tail[end - 20:end - 16] == b"PK\x06\x07":
        (zip64_end,) = struct.unpack_from("<8xQ", tail, end - 20)
        handle.seek(zip64_end)
        record = handle.read(56)
        if len(record) < 56 or not record.startswith(b"PK\x06\x06"):
            _refuse_broken("ZIP")
        entries, directory_size = struct.unpack_from("<32xQQ", record)
    if entries > limits.max_zip_entries:
        _refuse_too_many_entries(limits)
    if directory_size > max(1, limits.max_zip_entries) * _CENTRAL_DIRECTORY_BYTES_PER_ENTRY:
        _refuse_too_many_entries(limits)


def _refuse_too_many_entries(limits: UploadLimits) -> NoReturn:
    raise InvalidUpload(_("This archive holds more than %(count)s files. Split it into smaller "
                          "archives and upload those instead.",
                          count=limits.max_zip_entries))


def _check_zip_members(members: list[zipfile.ZipInfo], limits: UploadLimits) -> None:
    if not members:
        _refuse(_l("This ZIP archive is empty. Add the files you want to share and try again."))
    if len(members) > limits.max_zip_entries:
        _refuse_too_many_entries(limits)
    for member in members:
        if unsafe_member_name(member.orig_filename):
            _refuse(_l("This archive contains a file with an unsafe path (for example one "
                       "that starts with / or contains ..). Pack the files again from one "
                       "folder and upload the new archive."))
    expanded = sum(member.file_size for member in members)
    compressed = sum(member.compress_size for member in members)
    if expanded > limits.max_zip_expanded_bytes:
        raise InvalidUpload(_("Unpacked, this archive would take more than %(mb)s MB. Split it "
                              "into smaller archives and upload those instead.",
                              mb=limits.max_zip_expanded_bytes // (1024 * 1024)))
    if expanded > limits.zip_ratio_applies_above \
            and expanded > limits.max_zip_ratio * max(compressed, 1):
        _refuse(_l("This archive is packed so tightly that it could be a \u201cZIP bomb\u201d, "
                   "so it is not accepted. If the files are genuine, upload them separately "
                   "or pack them with normal compression."))


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes:
    """A small metadata member, read no further than ``_MAX_METADATA_BYTES``."""
    with archive.open(name) as member:
        data = member.read(_MAX_METADATA_BYTES + 1)
    if len(data) > _MAX_METADATA_BYTES:
        raise ValueError(f"{name} is too large")
    return data


def _parse_xml(data: bytes) -> Element:
    try:
        return SafeElementTree.fromstring(data, forbid_dtd=True)
    except (DefusedXmlException, ParseError) as error:
        raise ValueError("malformed package XML") from error


def _classify_zip(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> FileType:
    names = {member.filename for member in members}
    if "mimetype" in names:
        declared = _read_member(archive, "mimetype").decode("ascii", "replace").strip()
        if declared in _ODF_TYPES:
            if "content.xml" not in names:
                _refuse_broken("OpenDocument")
            if "META-INF/manifest.xml" in names:
                _parse_xml(_read_member(archive, "META-INF/manifest.xml"))
            return _ODF_TYPES[declared]
        if declared.startswith("application/vnd.oasis.opendocument."):
            _refuse(MSG_OTHER_OPENDOCUMENT)
    if "[Content_Types].xml" in names:
        return _classify_ooxml(archive, names)
    return ZIP


def _classify_ooxml(archive: zipfile.ZipFile, names: set[str]) -> FileType:
    root = _parse_xml(_read_member(archive, "[Content_Types].xml"))
    overrides: dict[str, str] = {}
    for element in root.iter():
        if str(element.tag).endswith("Override"):
            overrides[element.get("ContentType", "")] = element.get("PartName", "")
    if any("macroenabled" in t.lower() for t in overrides) or any(
            n.lower().endswith("vbaproject.bin") for n in names):
        _refuse(MSG_MACROS)
    for content_type, file_type in _OOXML_MAIN_TYPES.items():
        if content_type in overrides:
            if overrides[content_type].lstrip("/") not in names:
                _refuse_broken(_office_kind(file_type))
            return file_type
    if any(".openxmlformats-officedocument." in t or ".ms-" in t for t in overrides):
        _refuse(MSG_OTHER_OFFICE)
    return ZIP  # a ZIP that happens to hold a [Content_Types].xml (a NuGet package, say)


def _office_kind(file_type: FileType) -> str:
    return {DOCX: "Word (.docx)", XLSX: "Excel (.xlsx)", PPTX: "PowerPoint (.pptx)"}[file_type]


# -- audio and video

def _check_wav(head: bytes) -> None:
    """A RIFF/WAVE file must have a format chunk before its data."""
    position = 12
    while position + 8 <= len(head):
        chunk_id, chunk_size = struct.unpack_from("<4sI", head, position)
        if chunk_id == b"fmt ":
            if chunk_size >= 16 and position + 24 <= len(head):
                return
            break
        if chunk_id == b"data":
            break
        position += 8 + chunk_size + (chunk_size & 1)
    _refuse_broken("WAV")


_OGG_AUDIO = (b"\x01vorbis", b"OpusHead", b"\x7fFLAC", b"Speex   ")
_OGG_VIDEO = (b"\x80theora", b"OVP80", b"BBCD\x00")


def _inspect_ogg(head: bytes) -> FileType:
    """Read the beginning-of-stream pages: any video stream makes it OGV, else audio OGG."""
    codecs_found: list[str] = []
    position = 0
    while position + 27 <= len(head) and head[position:position + 4] == b"OggS":
        version, flags = head[position + 4], head[position + 5]
        segments = head[position + 26]
        data_start = position + 27 + segments
        lacing = head[position + 27:data_start]
        if version != 0 or len(lacing) < segments or not flags & 0x02:
            break  # not a beginning-of-stream page: the headers are over
        packet = head[data_start:data_start + 8]
        if packet.startswith(_OGG_VIDEO):
            codecs_found.append("video")
        elif packet.startswith(_OGG_AUDIO):
            codecs_found.append("audio")
        else:
            codecs_found.append("other")
        position = data_start + sum(lacing)
    if "video" in codecs_found:
        return OGV
    if "audio" in codecs_found:
        return OGG
    if codecs_found:
        _refuse(MSG_OTHER_AUDIO_VIDEO)
    _refuse_broken("Ogg")


_MP4_BRANDS = frozenset({b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso7",
                         b"iso8", b"iso9", b"mp41", b"mp42", b"mp71", b"avc1", b"M4A ",
                         b"M4B ", b"M4V ", b"M4VH", b"M4VP", b"dash", b"MSNV", b"f4v ", b"NDAS"})
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1",
                          b"msf1", b"avif", b"avis"})
#: A real file has a few dozen boxes on the paths we walk; this stops a file made of millions.
_MAX_BOXES = 10_000


class _BoxWalker:
    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.seen = 0

    def boxes(self, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
        """(type, payload start, box end) for each ISO-BMFF box between ``start`` and ``end``."""
        position = start
        while position + 8 <= end:
            self.seen += 1
            if self.seen > _MAX_BOXES:
                raise ValueError("too many boxes")
            self.handle.seek(position)
            header = self.handle.read(16)
            box_size, box_type = struct.unpack_from(">I4s", header)
            header_size = 8
            if box_size == 1:
                (box_size,) = struct.unpack_from(">Q", header, 8)
                header_size = 16
            elif box_size == 0:
                box_size = end - position
            if box_size < header_size or position + box_size > end:
                raise ValueError("box overruns its parent")
            yield box_type, position + header_size, position + box_size
            position += box_size


def _inspect_iso_media(handle: BinaryIO, size: int) -> FileType:
    """MP4 or M4A: the brand must be an MP4 one, and a track handler says video or sound."""
    walker = _BoxWalker(handle)
    try:
        top = list(walker.boxes(0, size))
        if not top or top[0][0] != b"ftyp" or top[0][2] - top[0][1] < 8:
            raise ValueError("no ftyp box")
        handle.seek(top[0][1])
        payload = handle.read(min(top[0][2] - top[0][1], 1024))
        brands = {payload[:4]} | {payload[i:i + 4] for i in range(8, len(payload) - 3, 4)}
        if not brands & _MP4_BRANDS:
            _refuse(MSG_OTHER_IMAGE if brands & _HEIF_BRANDS else MSG_OTHER_AUDIO_VIDEO)
        handlers = set()
        for box_type, start, end in top:
            if box_type != b"moov":
                continue
            for trak_type, trak_start, trak_end in walker.boxes(start, end):
                if trak_type != b"trak":
                    continue
                for mdia_type, mdia_start, mdia_end in walker.boxes(trak_start, trak_end):
                    if mdia_type != b"mdia":
                        continue
                    for hdlr_type, hdlr_start, hdlr_end in walker.boxes(mdia_start, mdia_end):
                        if hdlr_type == b"hdlr" and hdlr_end - hdlr_start >= 12:
                            handle.seek(hdlr_start + 8)
                            handlers.add(handle.read(4))
    except InvalidUpload:
        raise
    except (ValueError, struct.error, OSError):
        _refuse_broken("MP4")
    if b"vide" in handlers:
        return MP4
    if b"soun" in handlers:
        return M4A
    _refuse_broken("MP4")


def _read_vint(data: bytes, position: int, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``position``: (value, position after it)."""
    first = data[position]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8 or position + length > len(data):
        raise ValueError("bad EBML number")
    value = first if keep_marker else first & (0xFF >> length)
    for byte in data[position + 1:position + length]:
        value = (value << 8) | byte
    return value, position + length


def _check_webm(head: bytes) -> None:
    """The EBML header must name the document type ``webm`` (not Matroska), then a Segment."""
    try:
        _, position = _read_vint(head, 0, keep_marker=True)
        header_size, position = _read_vint(head, position, keep_marker=False)
        header_end = position + header_size
        if header_end > len(head):
            raise ValueError("EBML header too long")
        doc_type = b""
        while position < header_end:
            element_id, position = _read_vint(head, position, keep_marker=True)
            element_size, position = _read_vint(head, position, keep_marker=False)
            if element_id == 0x4282:
                doc_type = head[position:position + element_size].rstrip(b"\x00")
            position += element_size
        segment_id = _read_vint(head, header_end, keep_marker=True)[0]
    except (ValueError, IndexError):
        _refuse_broken("WebM")
    if doc_type != b"webm":
        _refuse(MSG_OTHER_AUDIO_VIDEO)
    if segment_id != 0x18538067:
        _refuse_broken("WebM")


_MPEG1_L3_KBPS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MPEG2_L3_KBPS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_SAMPLE_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_MP3_SEARCH = 8 * 1024


def _mpeg_frame_length(data: bytes, position: int) -> int:
    """The length of the MPEG audio Layer III frame starting at ``position``, or 0 if none."""
    if position + 4 > len(data):
        return 0
    b0, b1, b2 = data[position], data[position + 1], data[position + 2]
    version, layer = (b1 >> 3) & 0x03, (b1 >> 1) & 0x03
    bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 0x03
    if b0 != 0xFF or b1 & 0xE0 != 0xE0 or version == 1 or layer != 1:
        return 0
    if bitrate_index in (0, 15) or rate_index == 3:
        return 0
    padding = (b2 >> 1) & 0x01
    sample_rate = _SAMPLE_RATES[version][rate_index]
    if version == 3:
        return 144_000 * _MPEG1_L3_KBPS[bitrate_index] // sample_rate + padding
    return 72_000 * _MPEG2_L3_KBPS[bitrate_index] // sample_rate + padding


def _check_mp3(handle: BinaryIO, head: bytes, size: int) -> None:
    """After any ID3v2 tag, two Layer III frames must follow one another (or one, then the end)."""
    start = 0
    if head.startswith(b"ID3") and len(head) >= 10:
        tag_size = 0
        for byte in head[6:10]:
            tag_size = (tag_size << 7) | (byte & 0x7F)
        start = 10 + tag_size + (10 if head[5] & 0x10 else 0)
    handle.seek(start)
    data = handle.read(_MP3_SEARCH + 2 * 1441 + 4)
    for offset in range(min(_MP3_SEARCH, len(data))):
        length = _mpeg_frame_length(data, offset)
        if not length:
            continue
        following = offset + length
        if _mpeg_frame_length(data, following) or start + following == size \
                or data[following:following + 3] == b"TAG":
            return
    _refuse(MSG_OTHER_AUDIO_VIDEO)


# -- things we recognise in order to refuse them kindly

_PROGRAM_SIGNATURES = (
    b"MZ",  # Windows programs and libraries
    b"\x7fELF",  # Linux programs
    b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",  # macOS
    b"\xca\xfe\xba\xbe",  # macOS universal programs, Java classes
    b"\x00asm",  # WebAssembly
    b"dex\n",  # Android
)
_ARCHIVE_SIGNATURES = (b"\x1f\x8b", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"BZh",
                       b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"MSCF", b"xar!")
_IMAGE_OTHER_SIGNATURES = (b"II*\x00", b"MM\x00*", b"8BPS", b"\x00\x00\x01\x00", b"BM",
                           b"\xff\x0a", b"\x00\x00\x00\x0cjXL ")


def _refuse_known_binary(head: bytes) -> None:
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        _refuse(MSG_OLD_OFFICE)
    if head.startswith(b"{\\rtf"):
        _refuse(_l("RTF files are not accepted. Save the document as .docx, .odt or PDF and "
                   "upload that instead."))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        _refuse(MSG_NOT_UTF8)
    if b"\x00" in head[:1024]:  # text has no NUL bytes; these formats all do early on
        if head.startswith(_PROGRAM_SIGNATURES):
            _refuse(MSG_PROGRAM)
        if head.startswith(_ARCHIVE_SIGNATURES):
            _refuse(MSG_OTHER_ARCHIVE)
        if head.startswith(_IMAGE_OTHER_SIGNATURES):
            _refuse(MSG_OTHER_IMAGE)
        if head[:4] == b"RIFF" or head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
            _refuse(MSG_OTHER_AUDIO_VIDEO)
    elif head.startswith(_ARCHIVE_SIGNATURES[:3]):
        _refuse(MSG_OTHER_ARCHIVE)


# -- text and CSV

#: Text whose name says it is one of these is refused: it would be a web page or a script
#: where someone opens it, even though we would offer it as .txt.
REFUSED_TEXT_EXTENSIONS = {
    **dict.fromkeys((".html", ".htm", ".xhtml", ".shtml", ".mht", ".mhtml", ".xht"), "html"),
    **dict.fromkeys((".svg", ".svgz"), "svg"),
    **dict.fromkeys((".xml", ".xsl", ".xslt", ".rss", ".atom"), "xml"),
    **dict.fromkeys((".js", ".mjs", ".cjs", ".jse", ".vbs", ".vbe", ".wsf", ".wsh", ".hta",
                     ".ps1", ".psm1", ".bat", ".cmd", ".sh", ".bash", ".zsh", ".command",
                     ".php", ".phtml", ".jsp", ".asp", ".aspx", ".scpt", ".applescript"),
                    "script"),
    **dict.fromkeys((".exe", ".dll", ".com", ".scr", ".msi", ".pif", ".cpl", ".jar", ".apk",
                     ".app", ".lnk", ".reg", ".inf"), "program"),
}
#: Markup that browsers treat as a page, or that starts an SVG or XML document.
_MARKUP_START = re.compile(r"\A\s*<(?:[!?/]|[A-Za-z])")
_SVG_MARKUP = re.compile(r"<svg[\s>/]|<!doctype\s+svg", re.IGNORECASE)
_HTML_MARKUP = re.compile(
    r"<(?:!doctype\s+html|html|head|body|script|iframe|frame|frameset|object|embed)[\s>/]",
    re.IGNORECASE)
#: Elements that make a document without a ``<?xml`` declaration an HTML fragment.
_HTML_FRAGMENT = re.compile(
    r"<(?:meta|style|link|base|form|img|a|div|span|p|table|h[1-6]|br|b|i|font|title)[\s>/]"
    r"|<!--", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[\s?]", re.IGNORECASE)
_DANGEROUS_MARKUP = re.compile(
    r"<(?:!doctype|html|head|body|script|iframe|frame|object|embed|svg|meta|\?xml)[\s>/]",
    re.IGNORECASE)
#: How much of a text file is searched for markup; browsers sniff the first 512 bytes.
_MARKUP_WINDOW = 1024
_SAMPLE_CHARS = 64 * 1024


def _inspect_text(handle: BinaryIO, head: bytes, name: str) -> FileType:
    # Markup first, read leniently: a page with some binary after it is still a page.
    window = head[:_MARKUP_WINDOW * 4].decode("utf-8-sig", "replace")[:_MARKUP_WINDOW]
    if _MARKUP_START.match(window) or _DANGEROUS_MARKUP.search(window):
        if _SVG_MARKUP.search(window):
            _refuse(MSG_SVG)
        if _HTML_MARKUP.search(window):
            _refuse(MSG_HTML)
        if not _XML_DECLARATION.match(window) and _HTML_FRAGMENT.search(window):
            _refuse(MSG_HTML)
        _refuse(MSG_XML)
    if window.startswith("#!"):
        _refuse(MSG_SCRIPT)
    own_extension = _last_extension(name)
    refused = REFUSED_TEXT_EXTENSIONS.get(own_extension)
    if refused:
        _refuse({"html": MSG_HTML, "svg": MSG_SVG, "xml": MSG_XML, "script": MSG_SCRIPT,
                 "program": MSG_PROGRAM}[refused])
    sample = _decode_utf8(handle)
    if not sample.strip():
        _refuse(MSG_EMPTY)
    if own_extension == ".csv" and _looks_like_csv(sample):
        return CSV
    return TEXT


def _last_extension(name: str) -> str:
    """The lowercased text after the last dot of the name's last path part, dot included."""
    last = _PATH_SEPARATORS.split(_clean_characters(name))[-1].strip(" .").lower()
    return last[last.rfind("."):] if "." in last else ""


def _decode_utf8(handle: BinaryIO) -> str:
    """Decode the whole file strictly as UTF-8 (BOM allowed); return its first 64 k chars."""
    handle.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    sample: list[str] = []
    sample_length = 0
    try:
        while chunk := handle.read(_CHUNK):
            if b"\x00" in chunk:
                _refuse_unknown()
            text = decoder.decode(chunk)
            if sample_length < _SAMPLE_CHARS:
                sample.append(text)
                sample_length += len(text)
        text = decoder.decode(b"", final=True)
        sample.append(text)
    except UnicodeDecodeError:
        _refuse(MSG_NOT_UTF8)
    return "".join(sample)[:_SAMPLE_CHARS]


#: csv.Sniffer's regular expressions take super-linear time: 16 s on 64 kB of ``,"`` pairs,
#: under 0.1 s on 4 kB.  It only ever sees this much, cut at a line end when there is one.
_CSV_SNIFF_CHARS = 4096


def _looks_like_csv(sample: str) -> bool:
    head = sample[:_CSV_SNIFF_CHARS]
    if len(sample) > _CSV_SNIFF_CHARS and "\n" in head:
        head = head[:head.rindex("\n")]  # not half a line
    try:
        csv.Sniffer().sniff(head, delimiters=",;\t|")
    except csv.Error:
        return False
    return True
