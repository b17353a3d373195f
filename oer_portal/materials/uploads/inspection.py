"""Inspection: which check an upload goes to, decided by its first bytes, never by its name.

The browser's Content-Type and the file name never decide what a file is.  A small
signature table, limited to the allow-list, proposes a type and hands the file to the check
that proves it by parsing.  Formats we recognise only in order to refuse them (programs,
other archives and images, old Office files, RTF, UTF-16 text) are named here, so that their
refusal says what to upload instead rather than "unknown type".  Whatever matches nothing
is read as text, the one type without a signature.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from flask_babel import lazy_gettext as _l

from oer_portal.materials.uploads.allowlist import (
    DEFAULT_LIMITS,
    MP3,
    PDF,
    WAV,
    WEBM,
    FileType,
    InspectedFile,
    UploadLimits,
)
from oer_portal.materials.uploads.archives import inspect_zip
from oer_portal.materials.uploads.documents import check_pdf
from oer_portal.materials.uploads.images import check_image, image_signature
from oer_portal.materials.uploads.media import (
    check_mp3,
    check_wav,
    check_webm,
    inspect_iso_media,
    inspect_ogg,
    mpeg_frame_length,
)
from oer_portal.materials.uploads.messages import (
    MSG_EMPTY,
    MSG_NOT_UTF8,
    MSG_OLD_OFFICE,
    MSG_OTHER_ARCHIVE,
    MSG_OTHER_AUDIO_VIDEO,
    MSG_OTHER_IMAGE,
    MSG_PROGRAM,
    refuse,
)
from oer_portal.materials.uploads.names import sanitise_filename
from oer_portal.materials.uploads.text import inspect_text

HEAD_SIZE = 64 * 1024


def inspect_upload(path: Path, original_name: str,
                   limits: UploadLimits = DEFAULT_LIMITS) -> InspectedFile:
    """Decide what the received file at ``path`` is, or raise ``InvalidUpload`` saying why not.

    ``original_name`` is the name the browser sent; it only becomes the (sanitised) display
    name, apart from the two text cases described in ``text``.
    """
    size = path.stat().st_size
    if size == 0:
        refuse(MSG_EMPTY)
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
        check_pdf(handle)
        return PDF
    image = image_signature(head)
    if image is not None:
        check_image(handle, image, limits)
        return image
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return inspect_zip(handle, size, limits)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        check_wav(head)
        return WAV
    if head.startswith(b"OggS"):
        return inspect_ogg(head)
    if head[4:8] == b"ftyp":
        return inspect_iso_media(handle, size)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        check_webm(head)
        return WEBM
    if head.startswith(b"ID3") or mpeg_frame_length(head, 0):
        check_mp3(handle, head, size)
        return MP3
    _refuse_known_binary(head)
    return inspect_text(handle, head, name)


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
        refuse(MSG_OLD_OFFICE)
    if head.startswith(b"{\\rtf"):
        refuse(_l("RTF files are not accepted. Save the document as .docx, .odt or PDF and "
                  "upload that instead."))
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        refuse(MSG_NOT_UTF8)
    if b"\x00" in head[:1024]:  # text has no NUL bytes; these formats all do early on
        if head.startswith(_PROGRAM_SIGNATURES):
            refuse(MSG_PROGRAM)
        if head.startswith(_ARCHIVE_SIGNATURES):
            refuse(MSG_OTHER_ARCHIVE)
        if head.startswith(_IMAGE_OTHER_SIGNATURES):
            refuse(MSG_OTHER_IMAGE)
        if head[:4] == b"RIFF" or head[4:8] in (b"moov", b"mdat", b"wide", b"free"):
            refuse(MSG_OTHER_AUDIO_VIDEO)
    elif head.startswith(_ARCHIVE_SIGNATURES[:3]):
        refuse(MSG_OTHER_ARCHIVE)
