"""The allow-list: every type an upload may be, as data, and the caps on inspecting one.

Kept apart from the checks so that the list of what the portal accepts can be read (and
tested) in one place; a type that is not here cannot be returned by any check, whatever its
parser would say.
"""

from __future__ import annotations

from dataclasses import dataclass


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

#: Checks that read a whole file read it in pieces of this size, so memory stays flat.
READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class InspectedFile:
    """What an upload really is, and the name to show and offer it under."""

    media_type: str  # detected from the content, e.g. "application/pdf"
    extension: str  # canonical, e.g. ".pdf"
    category: str  # one of CATEGORIES
    display_name: str  # sanitised original name with the canonical extension
