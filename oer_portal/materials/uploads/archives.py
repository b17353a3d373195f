"""ZIP archives: listed with caps on entries and expanded bytes, never extracted.

An archive is checked before anything reads a member: its declared entry count and
directory size (so ``zipfile`` never builds a million objects), every member name (no path
may escape its folder: zip-slip), and the expanded size and packing ratio of the whole
archive (ZIP bombs).  Office and OpenDocument files are ZIP packages too, so they pass these
checks first and ``documents`` then says which document they are.  Other archive formats
are refused: one container format is enough to check well.
"""

from __future__ import annotations

import re
import struct
import zipfile
from typing import BinaryIO, NoReturn

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from oer_portal.core.archives import declared_directory
from oer_portal.core.errors import InvalidUpload
from oer_portal.materials.uploads.allowlist import FileType, UploadLimits
from oer_portal.materials.uploads.documents import classify_package
from oer_portal.materials.uploads.messages import refuse, refuse_broken
from oer_portal.materials.uploads.names import PATH_SEPARATORS

_DRIVE = re.compile(r"[A-Za-z]:")
#: Central directory bytes allowed per permitted entry, checked before ``zipfile`` parses it.
_CENTRAL_DIRECTORY_BYTES_PER_ENTRY = 1024


def unsafe_member_name(name: str) -> bool:
    """Whether an archive member name could escape the folder it is extracted into."""
    if "\x00" in name or name.startswith(("/", "\\")) or _DRIVE.match(name):
        return True
    return ".." in PATH_SEPARATORS.split(name)


def inspect_zip(handle: BinaryIO, size: int, limits: UploadLimits) -> FileType:
    """A safe ZIP archive's type (``ZIP`` or the document it packages), or a refusal."""
    _check_zip_directory_size(handle, size, limits)
    handle.seek(0)
    try:
        with zipfile.ZipFile(handle) as archive:
            members = archive.infolist()
            _check_zip_members(members, limits)
            return classify_package(archive, members)
    except InvalidUpload:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            EOFError, OSError, ValueError, struct.error):
        refuse_broken("ZIP")


def _check_zip_directory_size(handle: BinaryIO, size: int, limits: UploadLimits) -> None:
    """Refuse too many entries before ``zipfile`` builds an object for each of them.

    Reads the end-of-central-directory record (and its ZIP64 variant) for the declared entry
    count and directory size; a directory far larger than the allowed number of entries
    needs is refused too, because ``zipfile`` walks the directory by size, not by count.
    """
    declared = declared_directory(handle, size)
    if declared is None:
        refuse_broken("ZIP")
    entries, directory_size = declared
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
        refuse(_l("This ZIP archive is empty. Add the files you want to share and try again."))
    if len(members) > limits.max_zip_entries:
        _refuse_too_many_entries(limits)
    for member in members:
        if unsafe_member_name(member.orig_filename):
            refuse(_l("This archive contains a file with an unsafe path (for example one "
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
        refuse(_l("This archive is packed so tightly that it could be a \u201cZIP bomb\u201d, "
                  "so it is not accepted. If the files are genuine, upload them separately "
                  "or pack them with normal compression."))
