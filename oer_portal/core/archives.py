"""Reading a ZIP archive someone sent us, in memory, without trusting anything it says.

A package (a Common Cartridge ``.imscc``) is read member by member from the archive itself:
nothing is ever extracted to a path the archive chooses, so a member's name is only a key.
Still, a name that *would* escape a folder (absolute, ``..``, a backslash, a drive letter),
a symbolic link, an encrypted member or two members with one name say the archive was made
to trick an unpacker, so the whole archive is refused with a message that names the member
and the problem.  Before any member is read the archive must fit the caps: the number of
entries (checked in the end-of-central-directory record, before ``zipfile`` builds an object
per entry), the expanded bytes of the whole archive and of one member, and the packing ratio
(a ZIP bomb).  ``zipfile`` never returns more bytes than a member declares, so the declared
sizes the caps check are also what reading can cost.

``materials/uploads/archives.py`` inspects an uploaded ZIP *attachment* with the same kind
of caps; this module is the reader for packages the portal unpacks itself (core, so any
feature may use it).
"""

from __future__ import annotations

import re
import stat
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, BinaryIO, NoReturn

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from oer_portal.core.errors import InvalidUpload

MB = 1024 * 1024
#: Central-directory bytes allowed per permitted entry, checked before ``zipfile`` parses it.
_DIRECTORY_BYTES_PER_ENTRY = 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class ArchiveLimits:
    """What an archive may cost to read."""

    max_entries: int = 2_000
    max_expanded_bytes: int = 500 * MB
    max_file_bytes: int = 50 * MB
    #: Uncompressed ÷ compressed size above which an archive (or one member) is a ZIP bomb …
    max_ratio: float = 100.0
    #: … once it expands to more than this (a 50 kB text of spaces is not a bomb).
    ratio_applies_above: int = MB


class ArchiveRefused(InvalidUpload):
    """The archive cannot be read safely; ``message`` names the problem (and the member)."""

    default_message = _l("This archive cannot be read.")


def shown_name(name: str, limit: int = 120) -> str:
    """A member's name as a message may show it: no control characters, not endless."""
    cleaned = _CONTROL.sub("?", name)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _size(count: int) -> str:
    """A cap in words: whole megabytes, or kilobytes below one."""
    return f"{count // MB} MB" if count >= MB else f"{max(1, count // 1024)} kB"


def name_problem(name: str) -> str | None:
    """Why ``name`` could escape the folder an unpacker writes it into (``None``: it cannot).
    A message in the reader's language that names the member."""
    shown = shown_name(name)
    if not name or _CONTROL.search(name):
        return _("The archive holds a file whose name contains control characters "
                 "(“%(name)s”).", name=shown)
    if "\\" in name:
        return _("The archive holds a file whose path uses a backslash (“%(name)s”); paths "
                 "in a ZIP archive use /.", name=shown)
    if name.startswith("/"):
        return _("The archive holds a file with an absolute path (“%(name)s”).", name=shown)
    if _DRIVE.match(name):
        return _("The archive holds a file with a drive letter in its path (“%(name)s”).",
                 name=shown)
    segments = name.split("/")
    if ".." in segments:
        return _("The archive holds a file whose path climbs out of its folder with .. "
                 "(“%(name)s”).", name=shown)
    if "." in segments or "" in segments[:-1] or segments == [""]:
        return _("The archive holds a file with an empty or . step in its path "
                 "(“%(name)s”).", name=shown)
    return None


def _refuse(message: str) -> NoReturn:
    raise ArchiveRefused(message)


def _refuse_entries(limits: ArchiveLimits) -> NoReturn:
    _refuse(_("The archive holds more than %(count)d files.", count=limits.max_entries))


class SafeArchive:
    """A checked archive: its file members by name (directories left out), read in memory."""

    def __init__(self, archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo],
                 limits: ArchiveLimits) -> None:
        self._archive = archive
        self._members = members
        self.limits = limits

    def __enter__(self) -> SafeArchive:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._archive.close()

    @property
    def names(self) -> list[str]:
        return list(self._members)

    def __contains__(self, name: object) -> bool:
        return name in self._members

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def size(self, name: str) -> int:
        return self._members[name].file_size

    def open(self, name: str) -> IO[bytes]:
        """A stream of the member (for the file store, which caps what it receives)."""
        return self._archive.open(self._members[name])

    def read(self, name: str) -> bytes:
        """The member's bytes; ``KeyError`` for a name the archive does not hold."""
        info = self._members[name]
        try:
            with self._archive.open(info) as stream:
                data = stream.read(info.file_size + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError,
                ValueError, struct.error, zipfile.LargeZipFile):
            _refuse(_("The file “%(name)s” in the archive is damaged.",
                      name=shown_name(name)))
        if len(data) > info.file_size:  # pragma: no cover - zipfile stops at the size
            _refuse(_("The file “%(name)s” in the archive is damaged.",
                      name=shown_name(name)))
        return data


def open_archive(handle: BinaryIO, limits: ArchiveLimits = ArchiveLimits()) -> SafeArchive:
    """Check the archive in ``handle`` (seekable) against ``limits`` and open it, or raise
    ``ArchiveRefused`` naming the first problem found."""
    handle.seek(0, 2)
    size = handle.tell()
    _check_directory(handle, size, limits)
    handle.seek(0)
    try:
        archive = zipfile.ZipFile(handle)
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError,
            EOFError, OSError, ValueError, struct.error):
        _refuse(_("This file is not a readable ZIP archive."))
    try:
        members = _checked_members(infos, limits)
    except ArchiveRefused:
        archive.close()
        raise
    return SafeArchive(archive, members, limits)


def declared_directory(handle: BinaryIO, size: int) -> tuple[int, int] | None:
    """The entry count and central-directory size a ZIP declares in its end record (or its
    ZIP64 variant), read before ``zipfile`` builds an object per entry; ``None`` when there
    is no readable end record.  Like ``zipfile``: a record without a comment ends the file,
    else it is searched for back from the end."""
    tail_size = min(size, 22 + 0xFFFF + 20)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    end = len(tail) - 22 if tail[-22:-18] == b"PK\x05\x06" else tail.rfind(b"PK\x05\x06")
    if end < 0 or len(tail) < end + 22:
        return None
    entries, directory_size = struct.unpack_from("<xxxxxxxxxxHI", tail, end)
    if (entries == 0xFFFF or directory_size == 0xFFFFFFFF) and end >= 20 \
            and tail[end - 20:end - 16] == b"PK\x06\x07":
        (zip64_end,) = struct.unpack_from("<8xQ", tail, end - 20)
        handle.seek(zip64_end)
        record = handle.read(56)
        if len(record) < 56 or not record.startswith(b"PK\x06\x06"):
            return None
        entries, directory_size = struct.unpack_from("<32xQQ", record)
    return entries, directory_size


def _check_directory(handle: BinaryIO, size: int, limits: ArchiveLimits) -> None:
    """Refuse too many entries before ``zipfile`` builds an object for each; a directory far
    larger than the allowed entries need is refused too (``zipfile`` walks it by size, not
    by count)."""
    declared = declared_directory(handle, size)
    if declared is None:
        _refuse(_("This file is not a readable ZIP archive."))
    entries, directory_size = declared
    if entries > limits.max_entries \
            or directory_size > max(1, limits.max_entries) * _DIRECTORY_BYTES_PER_ENTRY:
        _refuse_entries(limits)


def _checked_members(infos: list[zipfile.ZipInfo], limits: ArchiveLimits
                     ) -> dict[str, zipfile.ZipInfo]:
    if len(infos) > limits.max_entries:
        _refuse_entries(limits)
    members: dict[str, zipfile.ZipInfo] = {}
    seen: set[str] = set()
    for info in infos:
        name = info.orig_filename
        problem = name_problem(name)
        if problem:
            _refuse(problem)
        if name in seen:
            _refuse(_("The archive holds two files named “%(name)s”.", name=shown_name(name)))
        seen.add(name)
        if info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
            _refuse(_("The archive holds a symbolic link (“%(name)s”).", name=shown_name(name)))
        if info.flag_bits & 0x1:
            _refuse(_("The file “%(name)s” in the archive is encrypted.", name=shown_name(name)))
        if info.is_dir():
            continue
        if info.file_size > limits.max_file_bytes:
            _refuse(_("The file “%(name)s” in the archive would take more than %(size)s "
                      "unpacked.", name=shown_name(name), size=_size(limits.max_file_bytes)))
        if _bomb(info.file_size, info.compress_size, limits):
            _refuse(_("The file “%(name)s” in the archive is packed so tightly that it could "
                      "be a “ZIP bomb”.", name=shown_name(name)))
        members[name] = info
    expanded = sum(info.file_size for info in members.values())
    if expanded > limits.max_expanded_bytes:
        _refuse(_("Unpacked, the archive would take more than %(size)s.",
                  size=_size(limits.max_expanded_bytes)))
    if _bomb(expanded, sum(info.compress_size for info in members.values()), limits):
        _refuse(_("The archive is packed so tightly that it could be a “ZIP bomb”."))
    return members


def _bomb(expanded: int, compressed: int, limits: ArchiveLimits) -> bool:
    return expanded > limits.ratio_applies_above \
        and expanded > limits.max_ratio * max(compressed, 1)
