"""Every use of Whoosh's private internals, in one place, for a Whoosh we have proven it on.

The search service computes matching sets and BM25F scores itself (``docsets.py``,
``ranking.py``) because Whoosh's pure-Python matchers visit every posting one call at a time
(profiled: most of a search at 10,000 materials).  That needs three things Whoosh does not
offer publicly: a posting list read a whole block at a time (``W3LeafMatcher._ids``,
``_weights``, ``_next_block``) and a segment's field lengths as one column
(``reader._perdoc`` with ``whoosh.codec.whoosh3._lenfield``).  They are read here and nowhere
else, each with a public fallback for other matcher types, and
``tests/integration/test_search_ranking.py`` proves the results equal Whoosh's own.  A
block's ids, weights and encoded positions are one unpickled tuple, so one read gives all
three (``read_postings``, also ``_values``; ``tests/integration/test_search_reads.py``).

A full reindex builds in several processes with Whoosh's ``MpWriter`` whose processes make
the documents themselves (``BuildingWriter``: ``SubWriterTask._process_file`` and
``MpWriter._new_task`` overridden; ``tests/integration/test_search_reindex.py``).

Private names can change in any release, so :func:`require_proven_whoosh` (called when the
app starts) refuses a Whoosh version these were not proven on and says what to do; prove a
new version with the test suite before adding it to ``PROVEN_VERSIONS``.
"""

from __future__ import annotations

import ctypes
import functools
import itertools
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import whoosh
from whoosh.analysis import StemFilter
from whoosh.codec import whoosh3
from whoosh.fields import Schema
from whoosh.matching import FilterMatcher, Matcher
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.reading import IndexReader
from whoosh.util.numeric import byte_to_length
from whoosh.writing import SegmentWriter

#: Whoosh releases (``whoosh-reloaded``) the private reads below were proven on.
PROVEN_VERSIONS = frozenset({(2, 7, 5)})
_LENGTH_OF_BYTE = [byte_to_length(b) for b in range(256)]


class UnprovenWhoosh(RuntimeError):
    """The installed Whoosh is not one the search service's private reads were proven on."""


def require_proven_whoosh(version: tuple[int, ...] | None = None) -> None:
    """Raise :class:`UnprovenWhoosh` unless ``version`` (the installed one by default) is
    proven: a changed internal would give wrong results silently, not an error."""
    found = tuple(version if version is not None else whoosh.__version__)[:3]
    if found not in PROVEN_VERSIONS:
        proven = ", ".join(".".join(map(str, v)) for v in sorted(PROVEN_VERSIONS))
        raise UnprovenWhoosh(
            f"Whoosh {'.'.join(map(str, found))} is installed, but the search service reads "
            f"Whoosh internals proven only on {proven} (oer_portal/search/whoosh_compat.py). "
            f"Install whoosh-reloaded=={proven}, or run the test suite on this version and "
            f"add it to PROVEN_VERSIONS.")


def _leaf(matcher: Matcher) -> Matcher:
    return matcher.child if isinstance(matcher, FilterMatcher) else matcher


def _blocks(matcher: whoosh3.W3LeafMatcher) -> Iterator[whoosh3.W3LeafMatcher]:
    """The matcher positioned on each of its posting blocks in turn."""
    while matcher.is_active():
        yield matcher
        matcher._next_block()


def posting_ids(matcher: Matcher) -> set[int]:
    """Every document number of one term's postings in one segment, deleted ones included.

    Reads a block at a time (a block's ids are one tuple), about twenty times faster than
    ``all_ids()``, which calls ``id()`` and ``next()`` per posting.
    """
    matcher = _leaf(matcher)
    if not isinstance(matcher, whoosh3.W3LeafMatcher):
        return set(matcher.all_ids())
    ids: set[int] = set()
    for block in _blocks(matcher):
        block.id()  # loads the block's ids
        ids.update(block._ids)
    return ids


def posting_weights(matcher: Matcher) -> dict[int, float]:
    """Document number → term weight (frequency) of one term's postings in one segment."""
    matcher = _leaf(matcher)
    if not isinstance(matcher, whoosh3.W3LeafMatcher):
        weights: dict[int, float] = {}
        while matcher.is_active():
            weights[matcher.id()] = matcher.weight()
            matcher.next()
        return weights
    weights = {}
    for block in _blocks(matcher):
        block.id()
        block.weight()  # loads the block's ids and weights into these tuples
        weights.update(zip(block._ids, block._weights, strict=True))
    return weights


#: A posting block's document numbers and its values (the encoded positions), in one order.
Block = tuple[tuple[int, ...], tuple[bytes, ...]]


@dataclass
class PostingRead:
    """One term's postings in one segment, read a block at a time in one pass: document
    number → term weight (frequency) and, when asked for, each block's encoded values (the
    positions a phrase needs).  Ids, weights and values of a block are one unpickled tuple
    on disk, so the values cost no extra read; they are only referenced, not decoded."""

    weights: dict[int, float]
    blocks: list[Block] | None = None
    _last_ids: list[int] | None = field(default=None, repr=False)

    def value(self, docnum: int) -> bytes:
        """The encoded value (positions) of ``docnum``, which has the term, found by
        bisection in the blocks (each block's document numbers are in order)."""
        if self.blocks is None:
            raise ValueError("the postings were read without their values")
        if self._last_ids is None:
            self._last_ids = [ids[-1] for ids, _values in self.blocks]
        ids, values = self.blocks[bisect_left(self._last_ids, docnum)]
        return values[bisect_left(ids, docnum)]


def read_postings(matcher: Matcher, values: bool = False) -> PostingRead:
    """Every posting of one term in one segment, deleted documents included, reading each
    block's data once (``values``: keep the blocks' encoded values too)."""
    matcher = _leaf(matcher)
    weights: dict[int, float] = {}
    blocks: list[Block] | None = [] if values else None
    if not isinstance(matcher, whoosh3.W3LeafMatcher):
        ids: list[int] = []
        encoded: list[bytes] = []
        while matcher.is_active():
            weights[matcher.id()] = matcher.weight()
            if blocks is not None:
                ids.append(matcher.id())
                encoded.append(matcher.value())
            matcher.next()
        if blocks is not None and ids:
            blocks.append((tuple(ids), tuple(encoded)))
        return PostingRead(weights, blocks)
    for block in _blocks(matcher):
        block.id()
        block.weight()  # loads the block's ids and weights into these tuples
        weights.update(zip(block._ids, block._weights, strict=True))
        if blocks is not None:
            block.value()  # the values of the same unpickled data tuple
            blocks.append((tuple(block._ids), tuple(block._values)))
    return PostingRead(weights, blocks)


def field_lengths(reader: IndexReader, fieldname: str) -> Iterator[int]:
    """Each document's length of one field in one segment, deleted documents included, as
    ``doc_field_length`` gives it; read as one column, where ``doc_field_length`` costs a
    call per document."""
    perdoc = getattr(reader, "_perdoc", None)
    if not isinstance(perdoc, whoosh3.W3PerDocReader):
        return (reader.doc_field_length(docnum, fieldname, 0)
                for docnum in range(reader.doc_count_all()))
    lengths = whoosh3._lenfield(fieldname)
    if not perdoc.has_column(lengths):  # no document of the segment has the field
        return itertools.repeat(0, reader.doc_count_all())
    column = perdoc.column_reader(lengths, whoosh3.LENGTHS_COLUMN)
    return (_LENGTH_OF_BYTE[byte] for byte in column)


# -- building an index in several processes ----------------------------------------------------


def remember_every_stem(schema: Schema) -> None:
    """Let the stemmers of ``schema`` (a writer's own copy, unpickled from the index) remember
    every word they stem, one memory per language shared by its fields, for a full build.

    Whoosh's ``StemFilter`` cache (``lfu_cache``) counts every hit in Python and, full at
    50,000 words, sorts its counts to drop a tenth, after which the dropped words are
    stemmed again; a full build meets far more distinct words than that (every material's
    text), and the Snowball stemmers are pure Python.  A writer's schema lives as long as
    the writer, so the memory ends with the build; serving processes keep Whoosh's bounded
    cache.  Private part used: ``StemFilter._stem`` (the cached function the filter calls).
    """
    stemmers: dict[tuple[object, object, frozenset[str]], Callable[[str], str]] = {}
    for name in schema.names():
        for item in getattr(getattr(schema[name], "analyzer", None), "items", ()):
            if isinstance(item, StemFilter) and hasattr(item, "_stem"):
                key = (item.lang, None if item.lang else item.stemfn, item.ignore)
                if key not in stemmers:
                    raw = getattr(item._stem, "__wrapped__", item._stem)
                    stemmers[key] = functools.cache(raw)
                item._stem = stemmers[key]


#: A job for a building process (picklable: it goes through a queue) → the documents it makes.
Build = Callable[[Any], Iterable[dict[str, Any]]]


def can_build_in_processes() -> bool:
    """Whether building processes can be forked safely: they inherit the builder function
    (a closure over the app, which other start methods would have to pickle), and a fork
    copies only the calling thread, so a lock another thread held (logging, a pool) would
    stay locked in the child for ever: only a process of one thread forks (``flask search
    reindex``, ``search worker``, a restore); the embedded server's background thread
    builds in one process."""
    return (multiprocessing.get_start_method(allow_none=False) == "fork"
            and threading.active_count() == 1)


class BuildFailed(RuntimeError):
    """A process building the index ended without writing its part: the index written is
    incomplete (committed, but the caller must not use it)."""


class BuildingWriter(MpWriter):
    """Whoosh's multi-process writer whose processes *make* the documents too: each takes
    jobs (say, a batch of database ids) from a queue, runs ``build`` on them and adds what
    it returns to a segment of its own; the commit adds those segments to the index as they
    are (``multisegment``), with this writer's own (the documents added with
    :meth:`add_own`).  Whoosh's ``MpWriter`` makes the documents in the parent and sends
    them pickled, so the part of the work that is Python (reading the database, building
    the documents) stayed on one core.

    Whoosh's ``cancel`` only flags its *own copy* of each process, which then waits for
    jobs for ever; this one ends them.  A process that failed (an exception in ``build``)
    ends without its segment: the commit raises :class:`BuildFailed` then, so the caller
    can throw the index away instead of using one that lacks documents.  Private parts used:
    ``SubWriterTask._process_file``, ``MpWriter._new_task`` and the attributes they share.
    """

    def __init__(self, ix: Any, build: Build, procs: int, **kwargs: Any) -> None:
        super().__init__(ix, procs=procs, multisegment=True, **kwargs)
        self._build = build

    def add_job(self, job: Any) -> None:
        """Give ``job`` to the first free building process (started as needed); waits
        while every process is busy, and raises :class:`BuildFailed` when none is left."""
        if len(self.tasks) < self.procs:
            self._new_task()
        while True:
            try:
                self.jobqueue.put((job,), timeout=0.5)
                break
            except queue.Full:
                self._require_a_process()
        self._added_sub = True

    def commit(self, *args: Any, **kwargs: Any) -> None:
        """Wait for the jobs to be taken (raising :class:`BuildFailed` if the processes
        ended first: Whoosh would wait for them for ever), then commit."""
        while not self.jobqueue.empty():
            self._require_a_process()
            time.sleep(0.05)
        super().commit(*args, **kwargs)
        if self.failed():
            raise BuildFailed("a process building the index ended without its part")

    def _require_a_process(self) -> None:
        if self.tasks and not any(task.is_alive() for task in self.tasks):
            raise BuildFailed("every process building the index has ended")

    def add_own(self, **fields: Any) -> None:
        """A document written by this process itself, in its own small segment."""
        SegmentWriter.add_document(self, **fields)

    def _new_task(self) -> SubWriterTask:
        task = _BuildingTask(self.storage, self.indexname, self.jobqueue, self.resultqueue,
                             self.subargs, self.multisegment, self._build)
        task.daemon = True  # never outlives the process that started it
        self.tasks.append(task)
        task.start()
        return task

    def failed(self) -> bool:
        """Whether a building process ended without its segment (after the commit)."""
        return any(task.exitcode != 0 for task in self.tasks)

    def cancel(self) -> None:
        try:
            for task in self.tasks:
                if task.is_alive():
                    task.terminate()
            for task in self.tasks:
                task.join()
        finally:
            if not self.is_closed:  # a commit that raised BuildFailed has closed it
                SegmentWriter.cancel(self)


def _end_with_parent() -> None:
    """Ask the kernel to end this process when its parent ends (Linux' ``PR_SET_PDEATHSIG``;
    elsewhere nothing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return


class _BuildingTask(SubWriterTask):
    def __init__(self, storage: Any, indexname: str, jobqueue: Any, resultqueue: Any,
                 kwargs: dict[str, Any], multisegment: bool, build: Build) -> None:
        super().__init__(storage, indexname, jobqueue, resultqueue, kwargs, multisegment)
        self._build = build
        self._parent = os.getpid()
        self._stems_remembered = False

    def run(self) -> None:
        # A killed parent (``kill -9``) cannot end its processes, which would wait for jobs
        # for ever: on Linux the kernel ends them with it.
        _end_with_parent()
        if os.getppid() != self._parent:
            return  # the parent was gone before that took effect
        super().run()

    def _process_file(self, job: Any) -> None:  # Whoosh's name: here a job, not a file
        if not self._stems_remembered:
            remember_every_stem(self.writer.schema)
            self._stems_remembered = True
        for document in self._build(job):
            self.writer.add_document(**document)
