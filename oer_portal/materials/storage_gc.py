"""Garbage collection of the file store: files, and ``stored_files`` rows, nothing uses.

A form that comes back with an error keeps its files (held for the next attempt, up to
``HELD_UPLOAD_MAX_AGE``) and their rows; a save that ends in a conflict (409) rolls back its
rows but its files are stored already.  Nothing else would ever remove them, so ``collect``
does (``flask storage gc``, and the embedded server's maintenance job): every blob and every
row that no registered reference holds (``core.blob_references``: each feature registers
its columns) and that is older than the grace period, and temp files of dead uploads.

The grace period (``STORAGE_GC_GRACE_SECONDS``, a day) must be longer than any upload takes
from ``keep`` to its commit, and than ``HELD_UPLOAD_MAX_AGE``, so that a held file is not
collected under a form that may still attach it.

Deleting a file still in use is data loss, so every blob is checked again, alone, right
before it goes, against an upload of the same bytes running at the same time:

1. in one transaction, its row is deleted by a ``DELETE … WHERE kept_at < cutoff AND NOT
   EXISTS (every reference)`` (an upload re-using a row sets ``kept_at`` first, and a row
   lock, SQLite's write lock or a foreign key keep the two from crossing); no row deleted
   while one exists means it is in use or fresh, and the blob stays;
2. the blob is moved out of reach (``FileStore.bury``) and its modification time read
   again: ``keep`` of the same bytes touches it, so a fresh time means an upload re-used it
   since the scan, and it is put back;
3. the transaction commits, and only then the buried file and its derived files go.  An
   upload of the same bytes after step 2 finds no blob and stores its own copy.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import delete, exists, select
from sqlalchemy.exc import DBAPIError

from oer_portal.core import blob_references
from oer_portal.core.db import read_only
from oer_portal.core.storage import FileStore, file_store
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials.models import StoredFile

log = logging.getLogger(__name__)

#: The default grace period: files and rows younger than this are never collected.
GRACE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class CollectedFile:
    """A blob (or a row without its blob) that was collected, or would be in a dry run."""

    sha256: str
    size: int  # bytes freed on disk
    blob: bool  # its file went (a row can be left without its file)
    row: bool  # its ``stored_files`` row went


@dataclass
class CollectionSummary:
    dry_run: bool
    files: list[CollectedFile] = field(default_factory=list)
    temp_files: int = 0
    kept_in_use: int = 0  # found unreferenced by the scan, in use by the time it was checked

    @property
    def blobs(self) -> int:
        return sum(1 for file in self.files if file.blob)

    @property
    def rows(self) -> int:
        return sum(1 for file in self.files if file.row)

    @property
    def freed_bytes(self) -> int:
        return sum(file.size for file in self.files)


def grace_seconds() -> float:
    return float(current_app.config.get("STORAGE_GC_GRACE_SECONDS", GRACE_SECONDS))


def collect(grace: float | None = None, dry_run: bool = False,
            progress: Callable[[CollectedFile], None] = lambda _file: None
            ) -> CollectionSummary:
    """Collect what nothing references and is older than ``grace`` seconds (default:
    ``STORAGE_GC_GRACE_SECONDS``); with ``dry_run``, only say what would go."""
    grace = grace_seconds() if grace is None else max(0.0, grace)
    cutoff = time.time() - grace
    store = file_store()
    summary = CollectionSummary(dry_run=dry_run)
    for sha256 in _candidates(store, cutoff):
        collected = (_would_collect(store, sha256, cutoff) if dry_run
                     else _collect_one(store, sha256, cutoff))
        if collected is None:
            summary.kept_in_use += 1
            continue
        summary.files.append(collected)
        progress(collected)
    stale = store.stale_temp_files(grace)
    summary.temp_files = len(stale) if dry_run else store.remove_stale_temp_files(grace)
    return summary


def _cutoff_time(cutoff: float) -> datetime:
    return datetime.fromtimestamp(cutoff, UTC)


def _candidates(store: FileStore, cutoff: float) -> list[str]:
    """Blobs no reference held and whose file is old, and old rows no reference holds (a
    snapshot; each is checked again by ``_collect_one``)."""
    with read_only():  # SQLite: a reader's transaction, no writer waits for it
        referenced = blob_references.referenced_hashes()
        rows = set(db.session.scalars(
            select(StoredFile.sha256).where(StoredFile.kept_at < _cutoff_time(cutoff),
                                            blob_references.unreferenced(StoredFile.sha256))))
        current_uow().rollback()  # no transaction open while walking the files
    blobs = {sha256 for sha256 in store.blob_hashes() if sha256 not in referenced}
    # Derived files whose blob is gone (deleted by hand, or by an older version).
    blobs |= {sha256 for sha256 in store.derived_hashes()
              if sha256 not in referenced and not store.exists(sha256)}
    old = {sha256 for sha256 in blobs | rows if _old(store, sha256, cutoff)}
    return sorted(old)


def _old(store: FileStore, sha256: str, cutoff: float) -> bool:
    modified = store.modified_at(sha256)
    return modified is None or modified < cutoff


def _row_exists(sha256: str) -> bool:
    return bool(db.session.scalar(select(exists().where(StoredFile.sha256 == sha256))))


def _size(store: FileStore, sha256: str) -> int:
    try:
        return store.path(sha256).stat().st_size
    except FileNotFoundError:
        return 0


def _would_collect(store: FileStore, sha256: str, cutoff: float) -> CollectedFile | None:
    """What ``_collect_one`` would do now, deleting nothing."""
    with read_only():
        try:
            kept_at = db.session.scalar(select(StoredFile.kept_at)
                                        .where(StoredFile.sha256 == sha256))
            if (kept_at is not None and kept_at >= _cutoff_time(cutoff)) \
                    or blob_references.is_referenced(sha256):
                return None
            return CollectedFile(sha256, _size(store, sha256), store.exists(sha256),
                                 kept_at is not None)
        finally:
            current_uow().rollback()


def _collect_one(store: FileStore, sha256: str, cutoff: float) -> CollectedFile | None:
    """Delete one blob and its row if, checked now, nothing uses them (see the module's
    docstring for the order); ``None`` when it stays."""
    uow = current_uow()
    tomb = None
    try:
        deleted = db.session.execute(
            delete(StoredFile).where(StoredFile.sha256 == sha256,
                                     StoredFile.kept_at < _cutoff_time(cutoff),
                                     blob_references.unreferenced(StoredFile.sha256))
        ).rowcount
        if not deleted and (_row_exists(sha256) or blob_references.is_referenced(sha256)):
            uow.rollback()
            return None
        size = _size(store, sha256)
        tomb = store.bury(sha256)
        if tomb is not None and tomb.stat().st_mtime >= cutoff:
            store.restore(tomb, sha256)  # an upload re-used it since the scan
            uow.rollback()
            return None
        uow.commit()
    except DBAPIError:
        # A reference committed under the delete (a foreign key refused it), or a lock.
        log.info("stored file %s is in use; not collected", sha256, exc_info=True)
        if tomb is not None:
            store.restore(tomb, sha256)
        uow.rollback()
        return None
    except BaseException:
        if tomb is not None:
            store.restore(tomb, sha256)
        uow.rollback()
        raise
    if tomb is not None:
        store.delete_buried(tomb, sha256)
    else:
        store.delete_derived(sha256)
    return CollectedFile(sha256, size if tomb is not None else 0, tomb is not None, bool(deleted))
