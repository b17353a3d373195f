"""Documents: a PDF must open in pypdf; an Office or OpenDocument file must say what it is.

A PDF is proven by pypdf reading its cross-reference table and finding a page; one that
needs a password to open is refused, because nobody else could read it.  Office and
OpenDocument files are ZIP packages (``archives`` checks the container first); which
document a package is comes from its own ``[Content_Types].xml`` or ``mimetype`` member,
read with defusedxml because that XML comes from the uploader.  Macro-enabled Office files
are refused: that is where macro viruses live.
"""

from __future__ import annotations

import zipfile
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError  # types only: defusedxml parses  # nosec B405

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader
from pypdf.errors import DependencyError

from oer_portal.core.errors import InvalidUpload
from oer_portal.materials.uploads.allowlist import DOCX, ODP, ODS, ODT, PPTX, XLSX, ZIP, FileType
from oer_portal.materials.uploads.messages import (
    MSG_MACROS,
    MSG_OTHER_OFFICE,
    MSG_OTHER_OPENDOCUMENT,
    refuse,
    refuse_broken,
)

# -- PDF


def check_pdf(handle: BinaryIO) -> None:
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
                refuse(_l("This PDF is protected with a password, so nobody else could open "
                          "it. Save a copy without a password and upload that instead."))
        if len(reader.pages) < 1:
            refuse_broken("PDF")
    except InvalidUpload:
        raise
    except Exception:
        refuse_broken("PDF")


# -- Office and OpenDocument packages

_OOXML_MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": XLSX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": PPTX,
}
_ODF_TYPES = {t.media_type: t for t in (ODT, ODS, ODP)}
#: Package metadata members are small; anything bigger is not what it claims to be.
_MAX_METADATA_BYTES = 1024 * 1024


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


def classify_package(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> FileType:
    """The document type of a checked ZIP archive, or ``ZIP`` when it is just an archive.

    Raises ``ValueError`` (or ``zipfile`` errors) for a package whose metadata is malformed;
    the caller turns those into a "damaged" refusal.
    """
    names = {member.filename for member in members}
    if "mimetype" in names:
        declared = _read_member(archive, "mimetype").decode("ascii", "replace").strip()
        if declared in _ODF_TYPES:
            if "content.xml" not in names:
                refuse_broken("OpenDocument")
            if "META-INF/manifest.xml" in names:
                _parse_xml(_read_member(archive, "META-INF/manifest.xml"))
            return _ODF_TYPES[declared]
        if declared.startswith("application/vnd.oasis.opendocument."):
            refuse(MSG_OTHER_OPENDOCUMENT)
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
        refuse(MSG_MACROS)
    for content_type, file_type in _OOXML_MAIN_TYPES.items():
        if content_type in overrides:
            if overrides[content_type].lstrip("/") not in names:
                refuse_broken(_office_kind(file_type))
            return file_type
    if any(".openxmlformats-officedocument." in t or ".ms-" in t for t in overrides):
        refuse(MSG_OTHER_OFFICE)
    return ZIP  # a ZIP that happens to hold a [Content_Types].xml (a NuGet package, say)


def _office_kind(file_type: FileType) -> str:
    return {DOCX: "Word (.docx)", XLSX: "Excel (.xlsx)", PPTX: "PowerPoint (.pptx)"}[file_type]
