"""Deriving a stored file's text (for search) and thumbnail, until it is done.

Derivation runs after the commit of the upload (it can take seconds, and SQLite's write
lock is held until the commit), so a process killed in between leaves a file with no text
and no thumbnail.  ``stored_files.derived_at`` records that a derivation ran to its end,
whatever it yielded: a scanned PDF has no text and a damaged file no thumbnail, and neither
is tried again, while a file whose derivation never finished is found by ``derive_missing``
(``flask files derive-missing`` and the embedded server's maintenance job) and by the next
upload of the same bytes.

Why a column and not a marker file beside ``thumb.png``: the search reads the text from the
row, and the row is what the derivation updates in one transaction with the marker, so the
two never disagree; a marker file could survive its row's rollback (or the reverse).  A
thumbnail is a file, so a row that says it has one whose file is gone is derived again too.

A derivation that changed the text tells the search (``outbox.record_change``) about every
material whose public version uses the file: those documents are indexed again with it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update

from oer_portal.core import jobs, outbox
from oer_portal.core.db import read_only
from oer_portal.core.storage import FileStore, file_store
from oer_portal.core.types import utcnow
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials.extract import extract_text, make_thumbnail
from oer_portal.materials.models import Material, StoredFile, VersionAttachment
from oer_portal.materials.uploads import InspectedFile

log = logging.getLogger(__name__)

THUMBNAIL_NAME = "thumb.png"
#: Rows read at a time while looking for missing derivations.
BATCH_SIZE = 500


@dataclass(frozen=True)
class Derived:
    """What a derivation makes of one file (plain data: it may come from a worker process)."""

    media_type: str
    category: str
    text: str | None
    thumbnail: bytes | None


def compute(path: Path, media_type: str, category: str) -> Derived:
    """The text and the thumbnail of the file at ``path`` (a pure function: no database, no
    app context, so a bulk import runs it in a pool of processes)."""
    inspected = InspectedFile(media_type=media_type, extension="", category=category,
                              display_name=path.name)
    return Derived(media_type, category, extract_text(path, inspected),
                   make_thumbnail(path, inspected))


_OFFERED: ContextVar[Mapping[str, Derived] | None] = ContextVar("offered_derivations",
                                                                default=None)


@contextmanager
def using_derivations(derived: Mapping[str, Derived]) -> Iterator[None]:
    """Within the block, ``derive(sha256)`` takes ``derived[sha256]`` (made ahead of time from
    the same bytes) instead of reading the file again, when it was made for the type the
    stored row has; anything else is derived as always."""
    token = _OFFERED.set(derived or None)
    try:
        yield
    finally:
        _OFFERED.reset(token)


@jobs.job("materials.derive")
def derive(sha256: str) -> bool:
    """Make the text and the thumbnail of the stored file ``sha256`` and commit them, in a
    transaction of its own; ``False`` when there is no such row or blob (collected).

    A projection: running it again gives the same result.  Never raises for a bad file
    (``extract`` gives ``None``), so a file is marked derived even when nothing came of it.
    """
    row = db.session.get(StoredFile, sha256)
    store = file_store()
    if row is None or not store.exists(sha256):
        current_uow().rollback()
        return False
    offered = (_OFFERED.get() or {}).get(sha256)
    if offered is not None and (offered.media_type, offered.category) == (row.media_type,
                                                                         row.category):
        made = offered
    else:
        made = compute(store.path(sha256), row.media_type, row.category)
    thumbnail, text = made.thumbnail, made.text
    if thumbnail is not None:
        store.write_derived(sha256, THUMBNAIL_NAME, thumbnail)
    text_changed = text != row.text
    db.session.execute(update(StoredFile).where(StoredFile.sha256 == sha256).values(
        text=text, has_thumbnail=thumbnail is not None, derived_at=utcnow()))
    if text_changed:
        for material_id in _published_materials_using(sha256):
            outbox.record_change("material", material_id)
    current_uow().commit()
    return True


def _published_materials_using(sha256: str) -> list[int]:
    return list(db.session.scalars(
        select(Material.id).join(VersionAttachment,
                                 VersionAttachment.version_id == Material.published_version_id)
        .where(VersionAttachment.sha256 == sha256).distinct()))


def derive_after_commit(sha256: str) -> None:
    """Derive ``sha256`` once the current unit of work commits (in process, or by a worker:
    the job ``materials.derive``); the same bytes twice in one request derive once."""
    jobs.after_commit("materials.derive", sha256)


def needs_derivation(store: FileStore, sha256: str, derived: bool, has_thumbnail: bool
                     ) -> bool:
    """Whether a row's derivation is missing: never finished, or its thumbnail file lost."""
    return not derived or (has_thumbnail
                           and not store.derived_path(sha256, THUMBNAIL_NAME).is_file())


def missing_derivations() -> Iterator[str]:
    """Hashes of stored files (with their blob present) whose derivation is missing."""
    store = file_store()
    last = ""
    while True:
        rows = db.session.execute(
            select(StoredFile.sha256, StoredFile.derived_at, StoredFile.has_thumbnail)
            .where(StoredFile.sha256 > last).order_by(StoredFile.sha256).limit(BATCH_SIZE)
        ).all()
        if not rows:
            return
        for sha256, derived_at, has_thumbnail in rows:
            if needs_derivation(store, sha256, derived_at is not None, has_thumbnail) \
                    and store.exists(sha256):
                yield sha256
        last = rows[-1][0]


def find_missing() -> list[str]:
    """``missing_derivations`` in a reader's transaction, closed before the slow work."""
    with read_only():
        try:
            return list(missing_derivations())
        finally:
            current_uow().rollback()


@dataclass
class DeriveSummary:
    """What ``derive_missing`` did: files derived, and of those how many gave text."""

    derived: int = 0
    with_text: int = 0
    failed: int = 0


def derive_missing(progress: Callable[[str], None] = lambda _sha: None,
                   wanted: list[str] | None = None) -> DeriveSummary:
    """Derive every stored file whose derivation is missing (or those ``wanted``), each
    committed on its own (an interrupted run keeps what it did), and let the search index
    pick up the new texts."""
    if wanted is None:
        wanted = find_missing()
    summary = DeriveSummary()
    for sha256 in wanted:
        try:
            if derive(sha256):
                summary.derived += 1
                if db.session.scalar(select(StoredFile.text).where(
                        StoredFile.sha256 == sha256)):
                    summary.with_text += 1
            current_uow().rollback()
        except Exception:
            log.exception("deriving %s failed", sha256)
            current_uow().rollback()
            summary.failed += 1
        progress(sha256)
    return summary
