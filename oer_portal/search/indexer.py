"""The index as a projection of the database, fed from the outbox by one writer at a time.

``drain`` takes Whoosh's writer lock (with a short timeout in web requests: a process that
cannot get it leaves the rows to the holder or the next drain), applies every outbox entry
after the position the index recorded, and commits the documents together with the new
position.  A crash before the commit loses nothing: the next drain starts from the old
position.  ``reindex`` builds a fresh index beside the live one and swaps it in atomically.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select
from whoosh import index as whoosh_index
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import FileIndex, LockError
from whoosh.writing import SegmentWriter

from oer_portal.collections.models import OUTBOX_ENTITY, HarvestedRecord
from oer_portal.core.db import read_only
from oer_portal.core.outbox import OutboxEntry
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.materials.models import Material, MaterialStatus
from oer_portal.search import whoosh_compat
from oer_portal.search.documents import document_for, documents_for
from oer_portal.search.record_documents import record_doc_id, record_document, record_id_of
from oer_portal.search.schema import POSITION_ID, SCHEMA_VERSION, build_schema

#: ``index_dir`` is a symbolic link to the live generation, swapped atomically by reindex.
GENERATION_PREFIX = "generation-"
BATCH = 500
#: Materials a reindex reads from the database together (a few statements for them all).
READ_BATCH = 100
#: A drain commits without merging segments until the index has this many; the commit
#: after that merges the small ones (Whoosh's MERGE_SMALL leaves the big ones alone).  A
#: merging commit took most of the publish-to-visible time at 30,000 materials, and a few
#: small segments cost a search little (per-segment caches, ``docsets.py``).
MERGE_AT_SEGMENTS = 8


def index_root() -> Path:
    return Path(current_app.config["INDEX_DIR"])


def open_index(root: Path | None = None, create: bool = True) -> FileIndex:
    """The live index; created empty on first use.

    Several processes (gunicorn's workers) may get here first at once: each builds an empty
    generation, and only the one whose ``live`` link is made first counts; the others drop
    theirs (replacing ``live`` would delete a generation another worker is opening)."""
    root = root or index_root()
    live = root / "live"
    if not live.exists():
        if not create:
            raise FileNotFoundError(live)
        generation = _new_generation(root)
        try:
            os.symlink(generation.name, live)
        except FileExistsError:
            if live.exists():  # another process was first: use its index
                shutil.rmtree(generation, ignore_errors=True)
            else:  # a link to nothing (its generation was removed by hand): replace it
                _swap_in(root, generation)
    return _storage(live).open_index()


def _storage(folder: Path) -> FileStorage:
    """The index files, read with ``read()`` rather than memory-mapped: mapped pages count as
    the serving process's resident memory, and searches touch most of a large index.
    Measured at 10,000 materials (a process running the benchmark's query mix 30 times):
    peak RSS 487 MB mapped, 111 MB read; p50 19 → 23 ms, p95 55 → 61 ms."""
    return FileStorage(str(folder), supports_mmap=False)


def _new_generation(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    folder = root / f"{GENERATION_PREFIX}{time.time_ns()}"
    folder.mkdir()
    whoosh_index.create_in(str(folder), build_schema())
    return folder


def _swap_in(root: Path, generation: Path) -> None:
    """Point ``live`` at ``generation`` with one rename (readers see old or new, never half)."""
    temporary = root / f".live-{time.time_ns()}"
    os.symlink(generation.name, temporary)
    os.replace(temporary, root / "live")
    for old in root.glob(f"{GENERATION_PREFIX}*"):
        if old != generation and old.name < generation.name:
            shutil.rmtree(old, ignore_errors=True)


def schema_outdated(ix: FileIndex) -> bool:
    """Whether the index was built with other fields or analyzers than the code's schema (a
    release changed them): ``check`` reports it, the background drain and ``search worker``
    rebuild it, and until then drains write only the fields the index knows."""
    if set(ix.schema.names()) != set(build_schema().names()):
        return True
    stored = _position_document(ix)
    return stored is not None and stored.get("schema_version") != SCHEMA_VERSION


def _position_document(ix: FileIndex) -> dict[str, object] | None:
    with ix.searcher() as searcher:
        return searcher.document(id=POSITION_ID)


def applied_position(ix: FileIndex) -> int:
    stored = _position_document(ix)
    return int(stored["position"]) if stored else 0


def _position_fields(position: int, schema: Schema) -> dict[str, object]:
    """The position document; it also says which schema version wrote the index."""
    fields = {"id": POSITION_ID, "position": str(position), "schema_version": SCHEMA_VERSION}
    return {name: value for name, value in fields.items() if name in schema}


@contextmanager
def _writer(ix: FileIndex, timeout: float) -> Iterator[SegmentWriter | None]:
    try:
        writer = ix.writer(timeout=timeout)
    except LockError:
        yield None
        return
    try:
        yield writer
    except BaseException:
        writer.cancel()
        raise


@dataclass(frozen=True)
class DrainResult:
    applied: int  # outbox entries applied
    locked: bool = False  # another process held the writer lock
    left: int = 0  # entries left for the lock's holder (counted only when locked)


def drain(lock_timeout: float = 0.0, ix: FileIndex | None = None) -> DrainResult:
    """Apply pending outbox entries to the index (all of them, in batches)."""
    ix = ix or open_index()
    total = 0
    with read_only():
        while True:
            with _writer(ix, lock_timeout) as writer:
                if writer is None:
                    return DrainResult(total, locked=True, left=pending(ix))
                position = applied_position(ix)
                rows = db.session.execute(
                    select(OutboxEntry.id, OutboxEntry.entity_type, OutboxEntry.entity_id,
                           OutboxEntry.created_at)
                    .where(OutboxEntry.id > position).order_by(OutboxEntry.id).limit(BATCH)
                ).all()
                if not rows:
                    writer.cancel()
                    db.session.rollback()
                    return DrainResult(total)
                material_ids = sorted({row.entity_id for row in rows
                                       if row.entity_type == "material"})
                for material_id in material_ids:
                    _apply(writer, material_id)
                for record_id in sorted({row.entity_id for row in rows
                                         if row.entity_type == OUTBOX_ENTITY}):
                    _apply_record(writer, record_id)
                safe = safe_position(position, [(row.id, row.created_at) for row in rows],
                                     utcnow(), current_app.config["SEARCH_OUTBOX_GAP_SECONDS"])
                writer.update_document(**_position_fields(safe, writer.schema))
                writer.commit(merge=len(writer.segments) >= MERGE_AT_SEGMENTS)
                total += len(rows)
            db.session.rollback()  # end the reading transaction between batches
            if safe < rows[-1].id:  # waiting for a transaction that holds an earlier id
                return DrainResult(total)


def safe_position(position: int, rows: list[tuple[int, datetime]], now: datetime,
                  gap_seconds: float) -> int:
    """The position a drain may record after applying ``rows`` (ids above ``position``).

    On PostgreSQL ids are handed out when rows are written but become visible when their
    transactions commit, which need not be in id order: a drain may see row 12 while row 11
    belongs to a transaction still running.  Recording 12 would skip 11 for good.  So the
    position stops before the first missing id, until the row after the gap is older than
    ``gap_seconds``: by then the missing id's transaction (which began before that row was
    written) has ended, and the id belonged to a rollback.  The rows after a young gap are
    applied anyway (applying twice is harmless) and again by the drains until it closes.
    """
    expected = position + 1
    for row_id, created_at in rows:
        if row_id != expected and (now - created_at).total_seconds() < gap_seconds:
            return expected - 1
        expected = row_id + 1
    return expected - 1


def pending(ix: FileIndex) -> int:
    """Outbox entries the index has not applied yet."""
    newest = db.session.scalar(select(func.max(OutboxEntry.id))) or 0
    return max(newest - applied_position(ix), 0)


def _apply(writer: SegmentWriter, material_id: int) -> None:
    material = db.session.get(Material, material_id)
    document = document_for(material) if material is not None else None
    if document is None:
        writer.delete_by_term("id", str(material_id))
    else:
        writer.update_document(**{k: v for k, v in document.items() if k in writer.schema})


def _apply_record(writer: SegmentWriter, record_id: int) -> None:
    """A harvested record's document, or none when it was deleted or its collection removed."""
    document = record_document(record_id)
    if document is None:
        writer.delete_by_term("id", record_doc_id(record_id))
    else:
        writer.update_document(**{k: v for k, v in document.items() if k in writer.schema})


def _live_records() -> Select[tuple[int]]:
    return select(HarvestedRecord.id).where(HarvestedRecord.deleted.is_(False))


def published_count() -> int:
    """Documents a full index holds: published materials and live harvested records."""
    with read_only():
        materials = db.session.scalar(select(func.count()).select_from(Material).where(
            Material.status == MaterialStatus.PUBLISHED)) or 0
        records = db.session.scalar(select(func.count()).select_from(
            _live_records().subquery())) or 0
        return materials + records


#: Processes that build and write the documents of a full reindex (Whoosh's multi-process
#: writer, ``whoosh_compat.BuildingWriter``), and the materials or records a job holds.
REINDEX_PROCESSES = 2
REINDEX_JOB = 100
#: Postings (Whoosh's estimate of their size) a building writer keeps in memory before it
#: sorts them into a run on disk, to be merged back at its commit.  At 128 each of two
#: processes building 3,000 materials spilled once and read the run back, pickled a
#: posting at a time (measured: 84 s, 45-48 s CPU and 290 MB peak per process; at 256: 59
#: s, 31-34 s CPU, 420 MB).  A larger build spills either way, into half as many runs.
REINDEX_LIMIT_MB = 256


def reindex(progress: Callable[[int], None] = lambda _n: None,
            processes: int = REINDEX_PROCESSES) -> int:
    """Build a complete index beside the live one, then swap it in; returns the documents.

    The position is read *before* the rows, so anything that changes during the build is
    applied again by the next drain (applying twice is harmless: documents are replaced).

    With ``processes`` above 1 (and forking available) the documents are read from the
    database, built and written by that many processes at once, each into a segment of
    its own (``progress`` then counts the materials and records handed out); the index is
    swapped in only when every process wrote its segment and the new index holds every
    document built, else it is thrown away and the live one stays.
    """
    root = index_root()
    generation = _new_generation(root)
    ix = _storage(generation).open_index()
    try:
        with read_only():
            position = db.session.scalar(select(func.max(OutboxEntry.id))) or 0
            ids = db.session.scalars(select(Material.id).where(
                Material.status == MaterialStatus.PUBLISHED).order_by(Material.id)).all()
            records = db.session.scalars(_live_records().order_by(HarvestedRecord.id)).all()
            db.session.rollback()
            if processes > 1 and whoosh_compat.can_build_in_processes():
                count = _build_in_processes(ix, position, ids, records, progress, processes)
            else:
                count = _build_here(ix, position, ids, records, progress)
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    _swap_in(root, generation)
    return count


def _documents(ids: Sequence[int], records: Sequence[int]) -> Iterator[dict[str, Any]]:
    """The documents of the materials ``ids`` and the harvested records ``records``, in that
    order; materials are read ``READ_BATCH`` at a time (``documents_for``)."""
    for start in range(0, len(ids), READ_BATCH):
        batch = ids[start:start + READ_BATCH]
        materials = db.session.scalars(select(Material).where(Material.id.in_(batch))).all()
        documents = documents_for(materials)
        db.session.expunge_all()
        for material_id in batch:
            document = documents.get(material_id)
            if document is not None:
                yield document
    for record_id in records:
        document = record_document(record_id)
        db.session.expunge_all()
        if document is not None:
            yield document


def _build_here(ix: FileIndex, position: int, ids: Sequence[int], records: Sequence[int],
                progress: Callable[[int], None]) -> int:
    count = 0
    writer = ix.writer(limitmb=REINDEX_LIMIT_MB)
    whoosh_compat.remember_every_stem(writer.schema)
    try:
        for document in _documents(ids, records):
            writer.add_document(**document)
            count += 1
            progress(count)
        db.session.rollback()
        writer.add_document(**_position_fields(position, writer.schema))
        writer.commit(optimize=True)
    except BaseException:
        writer.cancel()
        raise
    return count


def _build_in_processes(ix: FileIndex, position: int, ids: Sequence[int],
                        records: Sequence[int], progress: Callable[[int], None],
                        processes: int) -> int:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    parent = os.getpid()

    def build(job: tuple[str, list[int]]) -> Iterator[dict[str, Any]]:
        """In a building process: its own database connections (the pool's, copied from
        the parent by the fork, belong to the parent) and its own session."""
        if os.getpid() != parent and not _forked.get("disposed"):
            with app.app_context():
                db.engine.dispose(close=False)
            _forked["disposed"] = True
        kind, numbers = job
        with app.app_context(), read_only():
            yield from _documents(numbers if kind == "materials" else (),
                                  numbers if kind == "records" else ())
            db.session.rollback()

    writer = whoosh_compat.BuildingWriter(ix, build, processes, limitmb=REINDEX_LIMIT_MB)
    try:
        handed = 0
        for kind, numbers in (("materials", ids), ("records", records)):
            for start in range(0, len(numbers), REINDEX_JOB):
                job = list(numbers[start:start + REINDEX_JOB])
                writer.add_job((kind, job))
                for _ in job:
                    handed += 1
                    progress(handed)
        writer.add_own(**_position_fields(position, writer.schema))
        writer.commit()  # raises ReindexFailed when a process failed (after it committed)
    except BaseException:
        writer.cancel()
        raise
    with ix.searcher() as searcher:
        return searcher.doc_count() - 1  # the position document


_forked: dict[str, bool] = {}
#: A process building the new index ended without writing its part (the live index stays).
ReindexFailed = whoosh_compat.BuildFailed


@dataclass(frozen=True)
class Drift:
    #: Published in the database (or a live harvested record, as ``r<id>``), absent from
    #: the index; and in the index, not (or no longer) published or live.
    missing: list[int | str]
    stale: list[int | str]
    pending: int  # outbox entries not yet applied
    outdated: bool = False  # built with an older schema: ``reindex`` rebuilds it

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.pending or self.outdated)


def check() -> Drift:
    """Compare the database with the index."""
    ix = open_index()
    with read_only():
        published: set[int | str] = set(db.session.scalars(select(Material.id).where(
            Material.status == MaterialStatus.PUBLISHED)))
        published.update(record_doc_id(i) for i in db.session.scalars(_live_records()))
        newest = db.session.scalar(select(func.max(OutboxEntry.id))) or 0
        db.session.rollback()
    with ix.searcher() as searcher:
        indexed: set[int | str] = {
            doc["id"] if record_id_of(doc["id"]) is not None else int(doc["id"])
            for doc in searcher.all_stored_fields() if doc.get("id") != POSITION_ID}
    return Drift(sorted(published - indexed, key=_drift_order),
                 sorted(indexed - published, key=_drift_order),
                 max(newest - applied_position(ix), 0), schema_outdated(ix))



def _drift_order(value: int | str) -> tuple[bool, int, str]:
    """Materials by number, then records."""
    return (isinstance(value, str), value if isinstance(value, int) else 0, str(value))
