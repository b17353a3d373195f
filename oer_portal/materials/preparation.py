"""An import's slow, pure work done ahead in a pool of processes: rendering each lesson's
Markdown and deriving the text and thumbnail of its new files.

Only that work moves: the importing process still reads every material, checks it through
the services and writes it in a transaction of its own, in the order of the source, so
idempotence and crash safety are those of the serial import.  A worker gets plain data
(the body, the host names, file paths or bytes) and gives back plain data (a
``markdown.Rendering``, ``derivation.Derived`` by hash), made by the very functions the
serial path calls; the importing process offers them while it writes the material
(``markdown.using_renderings``, ``derivation.using_derivations``), and whatever was not
made ahead (a body changed by validation, a type the worker read otherwise) is made there
as always.  So a parallel import writes what a serial one writes.

The pool starts its workers with ``spawn`` (no copy of the importer's open database
connections or threads), and a few materials are kept ahead of the one being written.
A worker that raises gives nothing ahead: the importing process does that work itself.  A
worker *process* that dies (out of memory, a crash in a C library) breaks the whole pool:
the materials that were waiting are prepared again in a new one, the one being written
first and alone, so the material that kills a worker is found, reported as failed and not
imported, and the others are not lost.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from oer_portal.core.markdown import Rendering, prerender
from oer_portal.materials.derivation import Derived, compute
from oer_portal.materials.uploads import inspect_upload

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Materials prepared ahead of the one being written, per worker.
AHEAD_PER_WORKER = 4
#: How often a worker looks whether the importing process is still there.
PARENT_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class FileJob:
    """One attached file: a path on disk, or its bytes (read from a zip)."""

    filename: str
    path: str | None = None
    data: bytes | None = None


@dataclass(frozen=True)
class Job:
    """What a worker needs for one material (plain, picklable data)."""

    name: str
    #: The body as validation keeps it; ``None``: nothing to render ahead.
    body: str | None
    own_hosts: frozenset[str]
    files: tuple[FileJob, ...] = ()


@dataclass(frozen=True)
class Prepared:
    """What a worker made for one material."""

    rendering: Rendering | None = None
    derived: dict[str, Derived] = field(default_factory=dict)


@dataclass(frozen=True)
class WorkerDied:
    """The worker process preparing the material died (the material is not imported)."""

    name: str


def prepare(job: Job) -> Prepared:
    """Render the body and derive the files of ``job`` (runs in a worker process)."""
    rendering = prerender(job.body, job.own_hosts) if job.body is not None else None
    derived: dict[str, Derived] = {}
    for file in job.files:
        made = _derive_file(file)
        if made is not None:
            derived[made[0]] = made[1]
    return Prepared(rendering, derived)


def _derive_file(file: FileJob) -> tuple[str, Derived] | None:
    """The file's hash and derivation; ``None`` for a file the upload check refuses (the
    importing process refuses it too, and says why)."""
    if file.path is not None:
        path = Path(file.path)
        return _derive_at(path, hashlib.sha256(path.read_bytes()).hexdigest(), file.filename)
    if file.data is None:
        return None
    with tempfile.TemporaryDirectory(prefix="oer-import-") as folder:
        path = Path(folder) / "upload"
        path.write_bytes(file.data)
        return _derive_at(path, hashlib.sha256(file.data).hexdigest(), file.filename)


def _derive_at(path: Path, sha256: str, filename: str) -> tuple[str, Derived] | None:
    try:
        inspected = inspect_upload(path, filename)
    except Exception:  # refused: the importing process reports it
        return None
    return sha256, compute(path, inspected.media_type, inspected.category)


def _end_with_parent(parent: int) -> None:
    """Make a worker end when the importing process is gone (killed half-way, it cannot
    shut its pool down, and a worker waiting for work would wait for ever)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def worker_count(configured: int | None) -> int:
    """``IMPORT_WORKERS`` as a number of processes: ``None`` is one per CPU."""
    if configured is None:
        return os.cpu_count() or 1
    return max(1, int(configured))


class Preparer(Generic[T]):
    """Runs ``prepare`` for a stream of items in a pool of ``workers`` processes and gives
    the results back in the order of the items; with one worker there is no pool and
    nothing is prepared ahead.  Use it as a context manager (the pool ends with it)."""

    def __init__(self, workers: int, prepare: Callable[[Job], Prepared] = prepare) -> None:
        self.workers = workers
        self.prepare = prepare
        self._pool: ProcessPoolExecutor | None = None

    @property
    def parallel(self) -> bool:
        return self.workers > 1

    def __enter__(self) -> Preparer[T]:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _new_pool(self) -> ProcessPoolExecutor:
        """A fresh pool in place of a broken one (see :func:`_retire`)."""
        if self._pool is not None:
            _retire(self._pool)
        self._pool = ProcessPoolExecutor(max_workers=self.workers,
                                         mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_end_with_parent,
                                         initargs=(os.getpid(),))
        return self._pool

    def _submit(self, job: Job) -> Future[Prepared]:
        pool = self._pool or self._new_pool()
        try:
            return pool.submit(self.prepare, job)
        except BrokenProcessPool:
            return self._new_pool().submit(self.prepare, job)

    def run(self, items: Iterable[T], job_of: Callable[[T], Job | None]
            ) -> Iterator[tuple[T, Prepared | WorkerDied | None]]:
        """``(item, what was prepared)`` for each item, in order: ``None`` when nothing
        was (no pool, no job, the worker raised), ``WorkerDied`` when its worker died.
        ``job_of`` runs in this process, a few items ahead of the one given back."""
        if not self.parallel:
            for item in items:
                yield item, None
            return
        ahead = self.workers * AHEAD_PER_WORKER
        source = iter(items)
        pending: deque[tuple[T, Job | None, Future[Prepared] | None]] = deque()

        def fill() -> None:
            while len(pending) < ahead:
                item = next(source, _END)
                if item is _END:
                    return
                job = job_of(item)  # type: ignore[arg-type]
                pending.append((item, job, self._submit(job) if job else None))  # type: ignore[arg-type]

        fill()
        while pending:
            item, job, future = pending.popleft()
            result = self._result(job, future, pending) if job and future else None
            fill()
            yield item, result

    def _result(self, job: Job, future: Future[Prepared],
                pending: deque[tuple[T, Job | None, Future[Prepared] | None]]
                ) -> Prepared | WorkerDied | None:
        try:
            return future.result()
        except BrokenProcessPool:
            pass
        except Exception:
            log.warning("preparing %s failed; it is imported without preparation", job.name,
                        exc_info=True)
            return None
        # The pool is broken: this job alone in a new pool tells whether it broke it.
        log.warning("a worker process died while %s was prepared; trying it alone", job.name)
        self._new_pool()
        result: Prepared | WorkerDied | None
        try:
            result = self._submit(job).result()
        except BrokenProcessPool:
            log.error("preparing %s kills its worker process; it is not imported", job.name)
            self._new_pool()
            result = WorkerDied(job.name)
        except Exception:
            result = None
        # What was waiting in the broken pool is prepared again.
        for index, (item, waiting, pending_future) in enumerate(pending):
            if waiting is not None and pending_future is not None and _lost(pending_future):
                pending[index] = (item, waiting, self._submit(waiting))
        return result


def _retire(pool: ProcessPoolExecutor) -> None:
    """Shut a broken pool down, its workers killed first.  CPython's own clean-up of a
    broken pool terminates the workers it knows of and then waits for each to end; a
    worker started by a ``submit`` racing with the break is never told to, waits for work
    for ever, and so did the shutdown (seen in a CI rehearsal: the import hung until
    killed)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=True, cancel_futures=True)


def _lost(future: Future[Prepared]) -> bool:
    return future.cancelled() or isinstance(future.exception(), BrokenProcessPool)


_END = object()
