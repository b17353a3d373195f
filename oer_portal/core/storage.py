"""Content-addressed file store: uploads are kept under their SHA-256, never under a user's name.

An upload goes through three steps, so that nothing half-checked is ever kept:

1. ``receive(stream, max_bytes)`` streams the request body into ``<root>/tmp/<random>``,
   hashing and counting as it goes, and stops as soon as the limit is passed;
2. the caller inspects the temporary file (``materials.uploads.inspect_upload``);
3. ``keep(received)`` moves it to ``<root>/<aa>/<bb>/<sha256>`` (or drops it when that content
   is already stored), or ``discard(received)`` removes it.

Every name under the root is generated (a random temp name, a hash, or a derived-file name
from a fixed allow-list), so no user input ever becomes part of a path.  A write that fails
for lack of space raises ``StorageFull`` and leaves nothing behind.  Blobs are immutable and
shared: two materials with the same file point at one blob, and the database, not the store,
knows who references what: ``materials/storage_gc.py`` collects blobs that no registered
reference (``blob_references.py``) holds, with ``bury`` / ``restore`` / ``delete_buried``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, NoReturn

from flask import current_app
from flask_babel import gettext as _

from oer_portal.core.errors import InvalidUpload, StorageFull

#: Bytes read from the request stream at a time.
CHUNK_SIZE = 1024 * 1024
#: Stored files are readable by the service's group (e.g. a web server sending them), not others.
FILE_MODE = 0o640
DIR_MODE = 0o750
#: The only names a derived file (made by the portal from a blob) may have.
DERIVED_NAMES = frozenset({"thumb.png", "text.txt"})
#: errno values that mean "the disk or the quota is full", not a bug.
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

_SHA256 = re.compile(r"[0-9a-f]{64}")
#: The name prefix of a blob being deleted (``bury``) in the temp directory.
_TOMB = "gc-"
_HEX2 = re.compile(r"[0-9a-f]{2}")


@dataclass(frozen=True)
class StoredBlob:
    """A kept file: its content hash (also its name) and its size in bytes."""

    sha256: str
    size: int


@dataclass(frozen=True)
class ReceivedFile:
    """A fully received upload in the store's temp directory, not yet kept."""

    path: Path
    sha256: str
    size: int


def _check_sha256(sha256: str) -> str:
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise ValueError(f"not a lowercase hex SHA-256: {sha256!r}")
    return sha256


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new entry in ``directory`` survive a crash (the file store, backups)."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_dirs(directory: Path) -> None:
    """Create ``directory`` and missing parents, syncing each parent that got a new entry."""
    missing: list[Path] = []
    current = directory
    while not current.is_dir():
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another worker was quicker
            path.mkdir(mode=DIR_MODE)
        fsync_dir(path.parent)


def _reraise(error: OSError) -> NoReturn:
    """Raise ``StorageFull`` for a full disk or quota; any other ``OSError`` stays what it is."""
    if error.errno in NO_SPACE_ERRNOS:
        raise StorageFull() from error
    raise error


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}".rstrip("0").rstrip(".")


class FileStore:
    """Blobs under ``root``; see the module docstring for the life of an upload."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._tmp = self.root / "tmp"
        self._derived = self.root / "derived"

    # -- receiving -----------------------------------------------------------------------------

    def receive(self, stream: BinaryIO, max_bytes: int) -> ReceivedFile:
        """Copy ``stream`` into a new temp file, hashing it; refuse it past ``max_bytes``.

        Never reads more than ``max_bytes + 1`` bytes, so an endless body costs nothing.
        Raises ``InvalidUpload`` (too large), ``StorageFull`` (disk or quota full); on those
        and on any other failure (the client went away, for instance) the temp file is gone.
        """
        try:
            _make_dirs(self._tmp)
        except OSError as error:
            _reraise(error)
        path = self._tmp / secrets.token_hex(16)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(path, flags, FILE_MODE)
        except OSError as error:
            _reraise(error)
        digest = hashlib.sha256()
        size = 0
        try:
            try:
                os.fchmod(fd, FILE_MODE)  # whatever the umask says
                while True:
                    chunk = stream.read(min(CHUNK_SIZE, max_bytes + 1 - size))
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > max_bytes:
                        raise InvalidUpload(_(
                            "This file is larger than %(mb)s MB, the most the portal accepts. "
                            "Make it smaller (for example by compressing the pictures in it) "
                            "or split it into parts.", mb=_megabytes(max_bytes)))
                    digest.update(chunk)
                    view = memoryview(chunk)
                    while view:
                        view = view[os.write(fd, view):]
                os.fsync(fd)
            finally:
                os.close(fd)
        except BaseException as failure:
            path.unlink(missing_ok=True)
            if isinstance(failure, OSError):
                _reraise(failure)
            raise
        return ReceivedFile(path=path, sha256=digest.hexdigest(), size=size)

    def keep(self, received: ReceivedFile) -> StoredBlob:
        """Store a received file under its hash (atomically), or drop it if already stored.

        Content already stored has its modification time set to now: the time is the
        blob's clock for the garbage collection's grace period, so a file that a new upload
        re-uses counts as fresh and is not collected between this call and the commit of
        the upload's row.  If the collection takes the blob away in that very moment (the
        touch finds nothing), this upload's copy takes its place.
        """
        self._check_received(received)
        target = self.path(received.sha256)
        blob = StoredBlob(received.sha256, received.size)
        if target.is_file():
            try:
                now = time.time()  # the clock the collection's cutoff is read from
                os.utime(target, (now, now))
            except FileNotFoundError:
                pass  # collected just now: store this copy below
            else:
                self.discard(received)  # identical content is stored once
                return blob
        try:
            _make_dirs(target.parent)
            os.replace(received.path, target)
            fsync_dir(target.parent)
        except OSError as error:
            self.discard(received)
            _reraise(error)
        return blob

    def discard(self, received: ReceivedFile) -> None:
        """Remove a received file that will not be kept (refused, or its request failed)."""
        self._check_received(received)
        received.path.unlink(missing_ok=True)

    def put_bytes(self, data: bytes) -> StoredBlob:
        """Store ``data`` made by the portal itself (imports, conversions)."""
        return self.keep(self.receive(io.BytesIO(data), max_bytes=len(data)))

    def _check_received(self, received: ReceivedFile) -> None:
        if received.path.parent != self._tmp:
            raise ValueError("not a file received by this store")
        _check_sha256(received.sha256)

    # -- reading -------------------------------------------------------------------------------

    def probe_writable(self) -> None:
        """Create, sync and remove a small file where uploads land; raises ``OSError`` (or
        ``StorageFull``) when the store cannot take a file: the health check's question."""
        received = self.receive(io.BytesIO(b"probe"), max_bytes=16)
        self.discard(received)

    def path(self, sha256: str) -> Path:
        """Where the blob ``sha256`` lives; ``ValueError`` unless it is a lowercase hex hash."""
        sha256 = _check_sha256(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    # -- derived files -------------------------------------------------------------------------

    def derived_path(self, sha256: str, name: str) -> Path:
        """Where a file derived from blob ``sha256`` lives (``name`` from ``DERIVED_NAMES``)."""
        sha256 = _check_sha256(sha256)
        if name not in DERIVED_NAMES:
            raise ValueError(f"unknown derived file name: {name!r}")
        return self._derived / sha256[:2] / sha256 / name

    def write_derived(self, sha256: str, name: str, data: bytes) -> Path:
        """Write a derived file atomically (readers never see half a thumbnail)."""
        target = self.derived_path(sha256, name)
        try:
            _make_dirs(target.parent)
            temp = target.with_name(f".{secrets.token_hex(8)}.tmp")
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
            try:
                try:
                    os.fchmod(fd, FILE_MODE)
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view):]
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(temp, target)
            except BaseException:
                temp.unlink(missing_ok=True)
                raise
            fsync_dir(target.parent)
        except OSError as error:
            _reraise(error)
        return target

    # -- garbage collection --------------------------------------------------------------------

    def unreferenced(self, referenced: set[str]) -> Iterator[str]:
        """Hashes of stored blobs not in ``referenced``, in sorted order."""
        if not self.root.is_dir():
            return
        for first in sorted(self.root.iterdir()):
            if not (_HEX2.fullmatch(first.name) and first.is_dir()):
                continue  # tmp/, derived/, anything else
            for second in sorted(first.iterdir()):
                if not (_HEX2.fullmatch(second.name) and second.is_dir()):
                    continue
                for blob in sorted(second.iterdir()):
                    name = blob.name
                    if (_SHA256.fullmatch(name) and name[:2] == first.name
                            and name[2:4] == second.name and name not in referenced):
                        yield name

    def stale_temp_files(self, older_than_seconds: float = 24 * 3600) -> list[Path]:
        """Temp files left by workers that died mid-upload (or by a collection that died
        between ``bury`` and ``delete_buried``): untouched for ``older_than_seconds``.

        A buried blob (``gc-…``) keeps the blob's old modification time, so for those the
        inode change time counts, which the rename into the temp directory set.
        """
        if not self._tmp.is_dir():
            return []
        cutoff = time.time() - older_than_seconds
        stale: list[Path] = []
        for temp in sorted(self._tmp.iterdir()):
            with contextlib.suppress(FileNotFoundError):
                status = temp.stat()
                changed = status.st_ctime if temp.name.startswith(_TOMB) else status.st_mtime
                if temp.is_file() and changed < cutoff:
                    stale.append(temp)
        return stale

    def remove_stale_temp_files(self, older_than_seconds: float = 24 * 3600) -> int:
        """Remove the ``stale_temp_files``; returns how many."""
        removed = 0
        for temp in self.stale_temp_files(older_than_seconds):
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
                removed += 1
        return removed

    def blob_hashes(self) -> Iterator[str]:
        """Every stored blob's hash, in sorted order."""
        return self.unreferenced(set())

    def derived_hashes(self) -> Iterator[str]:
        """Hashes that have derived files, whether or not their blob is still stored."""
        if not self._derived.is_dir():
            return
        for first in sorted(self._derived.iterdir()):
            if not (_HEX2.fullmatch(first.name) and first.is_dir()):
                continue
            for directory in sorted(first.iterdir()):
                if _SHA256.fullmatch(directory.name) and directory.name[:2] == first.name:
                    yield directory.name

    def modified_at(self, sha256: str) -> float | None:
        """When the blob was stored, or last stored again (``keep``); ``None``: not stored."""
        try:
            return self.path(sha256).stat().st_mtime
        except FileNotFoundError:
            return None

    def bury(self, sha256: str) -> Path | None:
        """Move a blob out of reach (into the temp directory) as the first step of deleting
        it; ``None`` when it is not stored.  Between ``bury`` and ``delete_buried`` the
        collector checks once more that nothing re-uses it, and ``restore``s it if so; an
        upload of the same content meanwhile finds no blob and stores its own copy."""
        try:
            _make_dirs(self._tmp)
            tomb = self._tmp / f"{_TOMB}{_check_sha256(sha256)}-{secrets.token_hex(4)}"
            os.replace(self.path(sha256), tomb)
        except FileNotFoundError:
            return None
        return tomb

    def restore(self, tomb: Path, sha256: str) -> None:
        """Put a buried blob back (identical content: an upload's copy may already be there)."""
        target = self.path(sha256)
        _make_dirs(target.parent)
        os.replace(tomb, target)
        fsync_dir(target.parent)

    def delete_buried(self, tomb: Path, sha256: str) -> None:
        """Finish deleting a buried blob: the tomb and the blob's derived files."""
        tomb.unlink(missing_ok=True)
        self.delete_derived(sha256)

    def delete_derived(self, sha256: str) -> None:
        derived = self._derived / _check_sha256(sha256)[:2] / sha256
        for name in DERIVED_NAMES:
            (derived / name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            derived.rmdir()

    def delete(self, sha256: str) -> None:
        """Remove a blob and its derived files (for garbage collection only)."""
        self.path(sha256).unlink(missing_ok=True)
        derived = self._derived / sha256[:2] / sha256
        for name in DERIVED_NAMES:
            (derived / name).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            derived.rmdir()


def file_store() -> FileStore:
    """The app's store, at ``STORAGE_DIR``."""
    return FileStore(Path(current_app.config["STORAGE_DIR"]))
