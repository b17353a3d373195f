"""The allow-list: every type an upload may be, as data, and the caps on inspecting one.

Kept apart from the checks so that the list of what the portal accepts can be read (and
tested) in one place; a type that is not here cannot be returned by any check, whatever its
parser would say.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class FileType:
    """One accepted type: its media type, canonical extension, category, other spellings,
    and what people call it ("PDF document", "Worksheet (Excel)"), not ``application/pdf``."""

    media_type: str
    extension: str
    category: str
    aliases: tuple[str, ...] = ()
    #: A lazy string in the reader's language: left out of equality and the hash, which must
    #: not change with the language (types are dictionary keys).
    label: str = field(default="", compare=False)


PDF = FileType("application/pdf", ".pdf", "pdf", label=_l("PDF document"))
PNG = FileType("image/png", ".png", "image", label=_l("Image (PNG)"))
JPEG = FileType("image/jpeg", ".jpg", "image", (".jpeg", ".jpe", ".jfif"),
                label=_l("Photo (JPEG)"))
GIF = FileType("image/gif", ".gif", "image", label=_l("Image (GIF)"))
WEBP = FileType("image/webp", ".webp", "image", label=_l("Image (WebP)"))
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                ".docx", "office", label=_l("Text document (Word)"))
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                ".xlsx", "office", label=_l("Worksheet (Excel)"))
PPTX = FileType("application/vnd.openxmlformats-officedocument.presentationml.presentation",
                ".pptx", "office", label=_l("Presentation (PowerPoint)"))
ODT = FileType("application/vnd.oasis.opendocument.text", ".odt", "opendocument",
               label=_l("Text document (OpenDocument)"))
ODS = FileType("application/vnd.oasis.opendocument.spreadsheet", ".ods", "opendocument",
               label=_l("Worksheet (OpenDocument)"))
ODP = FileType("application/vnd.oasis.opendocument.presentation", ".odp", "opendocument",
               label=_l("Presentation (OpenDocument)"))
MP3 = FileType("audio/mpeg", ".mp3", "audio", label=_l("Audio (MP3)"))
OGG = FileType("audio/ogg", ".ogg", "audio", (".oga", ".opus"), label=_l("Audio (Ogg)"))
WAV = FileType("audio/wav", ".wav", "audio", (".wave",), label=_l("Audio (WAV)"))
M4A = FileType("audio/mp4", ".m4a", "audio", label=_l("Audio (M4A)"))
MP4 = FileType("video/mp4", ".mp4", "video", (".m4v",), label=_l("Video (MP4)"))
WEBM = FileType("video/webm", ".webm", "video", label=_l("Video (WebM)"))
OGV = FileType("video/ogg", ".ogv", "video", label=_l("Video (Ogg)"))
ZIP = FileType("application/zip", ".zip", "archive", label=_l("ZIP archive"))
TEXT = FileType("text/plain", ".txt", "text", (".text",), label=_l("Text file"))
CSV = FileType("text/csv", ".csv", "csv", label=_l("Table (CSV)"))

#: Every accepted type, by media type.
ALLOWED: dict[str, FileType] = {t.media_type: t for t in (
    PDF, PNG, JPEG, GIF, WEBP, DOCX, XLSX, PPTX, ODT, ODS, ODP,
    MP3, OGG, WAV, M4A, MP4, WEBM, OGV, ZIP, TEXT, CSV,
)}

CATEGORIES = ("pdf", "image", "office", "opendocument", "audio", "video", "archive", "text",
              "csv")


def kind_of(media_type: str) -> str:
    """What people call a stored file's type; the media type itself for one no longer on
    the list (a file stored before a type was dropped)."""
    known = ALLOWED.get(media_type)
    return str(known.label) if known is not None else media_type


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

#: Checks that read a whole file read it in pieces of this size, so memory stays flat.
READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class InspectedFile:
    """What an upload really is, and the name to show and offer it under."""

    media_type: str  # detected from the content, e.g. "application/pdf"
    extension: str  # canonical, e.g. ".pdf"
    category: str  # one of CATEGORIES
    display_name: str  # sanitised original name with the canonical extension
