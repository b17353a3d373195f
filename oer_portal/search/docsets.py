"""Sets of matching documents, facet columns and sort keys, read per index segment.

Whoosh's own facet counting (``groupedby``) and sorting visit every match through
pure-Python matchers and categorizers; at 100,000 materials that is most of a search.  Here
the *set* of matching documents is computed with set algebra over posting lists read a block
at a time, and facet counts come from per-segment columns (a tuple of values per document)
with ``Counter``, which run at C speed.  Scoring is ``ranking.py``'s, over these sets.

A document set is a tuple with one set of segment-local document numbers per segment
(``DocSets``): segments never change except by deletions, so their postings and columns are
cached by segment id and deletions are applied when a set is made.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sized
from dataclasses import dataclass
from itertools import chain
from typing import Any, Generic, TypeVar

from whoosh import query as wq
from whoosh.reading import IndexReader, TermNotFound
from whoosh.searching import Searcher

from oer_portal.search.whoosh_compat import posting_ids

#: Cached posting sets hold at most this many document numbers in all (about 60 MB).
TERM_CACHE_POSTINGS = 1_000_000
#: Terms with more postings than this are not cached (a few common words would fill it).
TERM_CACHE_MAX_POSTINGS = 50_000

T = TypeVar("T")
Leaf = tuple[IndexReader, int]  # a segment's reader and its first global document number


@dataclass(frozen=True)
class DocSets:
    """Matching documents per segment (segment-local numbers, deletions removed)."""

    leaves: tuple[Leaf, ...]
    sets: tuple[frozenset[int] | set[int], ...]

    def __len__(self) -> int:
        return sum(len(s) for s in self.sets)

    def _combine(self, other: DocSets, op: Callable[[Any, Any], Any]) -> DocSets:
        return DocSets(self.leaves, tuple(op(a, b) for a, b in zip(self.sets, other.sets,
                                                                    strict=True)))

    def __and__(self, other: DocSets) -> DocSets:
        return self._combine(other, lambda a, b: a & b)

    def __or__(self, other: DocSets) -> DocSets:
        return self._combine(other, lambda a, b: a | b)

    def __sub__(self, other: DocSets) -> DocSets:
        return self._combine(other, lambda a, b: a - b)

    def global_ids(self) -> set[int]:
        """The searcher's document numbers (Whoosh's ``filter=`` takes such a set)."""
        result: set[int] = set()
        for (_reader, offset), local in zip(self.leaves, self.sets, strict=True):
            result.update(local if offset == 0 else (offset + i for i in local))
        return result


V = TypeVar("V", bound=Sized)


class SegmentCache(Generic[V]):
    """Values computed from one segment's postings, least recently used dropped first once
    they hold more than ``capacity`` postings in all; a value above ``largest`` is not kept
    (a few common words would fill it).  Keys start with the segment id, so ``forget``
    drops what belonged to segments that were merged away."""

    def __init__(self, capacity: int, largest: int | None = None) -> None:
        self.capacity, self.largest = capacity, largest
        self._values: OrderedDict[tuple[Any, ...], V] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        _caches.append(self)

    def get(self, reader: IndexReader, what: tuple[Any, ...], compute: Callable[[], V]) -> V:
        key = (segment_id(reader), *what)
        with self._lock:
            cached = self._values.get(key)
            if cached is not None:
                self._values.move_to_end(key)
                return cached
        value = compute()
        if self.largest is None or len(value) <= self.largest:
            with self._lock:
                if key not in self._values:
                    self._values[key] = value
                    self._size += len(value)
                while self._size > self.capacity:
                    self._size -= len(self._values.popitem(last=False)[1])
        return value

    def forget(self, alive: set[str]) -> None:
        with self._lock:
            for key in [k for k in self._values if k[0] not in alive]:
                self._size -= len(self._values.pop(key))


_caches: list[SegmentCache[Any]] = []
_lock = threading.Lock()
#: (segment id, field, term or phrase key) → the segment's documents, deleted ones included
_terms: SegmentCache[frozenset[int]] = SegmentCache(TERM_CACHE_POSTINGS, TERM_CACHE_MAX_POSTINGS)
_segment_data: dict[tuple[str, str], Any] = {}


def leaves(searcher: Searcher) -> tuple[Leaf, ...]:
    """The segments of the index (none for an empty index, whose reader has no segment)."""
    return tuple((reader, offset) for reader, offset in searcher.reader().leaf_readers()
                 if reader.segment() is not None)


def segment_ids(searcher: Searcher) -> list[str]:
    return [segment_id(reader) for reader, _ in leaves(searcher)]


def segment_id(reader: IndexReader) -> str:
    return reader.segment().segment_id()


def per_segment(reader: IndexReader, kind: str, build: Callable[[], T]) -> T:
    """``build()``, once per segment and ``kind`` (until ``forget`` drops the segment)."""
    key = (segment_id(reader), kind)
    with _lock:
        if key in _segment_data:
            return _segment_data[key]
    value = build()
    with _lock:
        _segment_data[key] = value
    return value


def _leaf_term(reader: IndexReader, fieldname: str, btext: bytes) -> frozenset[int]:
    def postings() -> frozenset[int]:
        try:
            return frozenset(posting_ids(reader.postings(fieldname, btext)))
        except TermNotFound:
            return frozenset()

    # A segment's documents only ever lose members (deletions), which ``_live`` takes off.
    return _terms.get(reader, (fieldname, btext), postings)


def _phrase(reader: IndexReader, query: wq.Phrase) -> frozenset[int]:
    """A phrase's documents in one segment: those with every word (set algebra) checked
    for the word order by Whoosh, and only when there are any."""
    def positions() -> frozenset[int]:
        words = [_leaf_term(reader, query.fieldname, word.encode("utf-8"))
                 for word in query.words]
        if not words or not frozenset.intersection(*words):
            return frozenset()
        return frozenset(query.docs(Searcher(reader, closereader=False)))

    what = "\x00".join((f"phrase/{query.slop}", *query.words)).encode("utf-8")
    return _terms.get(reader, (query.fieldname, what), positions)


def _live(reader: IndexReader, ids: frozenset[int] | set[int]) -> frozenset[int] | set[int]:
    deleted = reader.deleted_docs_set if reader.has_deletions() else None
    return ids - deleted if deleted else ids


def term(leaves_: tuple[Leaf, ...], fieldname: str, text: str | bytes) -> DocSets:
    btext = text if isinstance(text, bytes) else text.encode("utf-8")
    return DocSets(leaves_, tuple(_live(r, _leaf_term(r, fieldname, btext)) for r, _ in leaves_))


def every(leaves_: tuple[Leaf, ...]) -> DocSets:
    return DocSets(leaves_, tuple(set(r.all_doc_ids()) for r, _ in leaves_))


def empty(leaves_: tuple[Leaf, ...]) -> DocSets:
    return DocSets(leaves_, tuple(frozenset() for _ in leaves_))


def union(leaves_: tuple[Leaf, ...], parts: Iterable[DocSets]) -> DocSets:
    sets: list[set[int]] = [set() for _ in leaves_]
    for part in parts:
        for mine, theirs in zip(sets, part.sets, strict=True):
            mine |= theirs
    return DocSets(leaves_, tuple(sets))


def matching(searcher: Searcher, query: wq.Query, leaves_: tuple[Leaf, ...]) -> DocSets:
    """The documents ``query`` matches, unscored.

    Terms, ``Or``, ``And``, ``AndNot``, ``AndMaybe`` and ``Every`` are evaluated here; any other
    query (phrases) is asked of Whoosh, per segment.
    """
    if isinstance(query, wq.Term):
        return term(leaves_, query.fieldname, query.text)
    if isinstance(query, wq.Every):
        return every(leaves_)
    if query is wq.NullQuery:
        return empty(leaves_)
    if isinstance(query, wq.Or):
        return union(leaves_, (matching(searcher, q, leaves_) for q in query.subqueries))
    if isinstance(query, wq.And):
        parts = iter(query.subqueries)
        result = matching(searcher, next(parts), leaves_)
        for q in parts:
            if not len(result):
                break
            result = result & matching(searcher, q, leaves_)
        return result
    if isinstance(query, wq.AndNot):
        return matching(searcher, query.a, leaves_) - matching(searcher, query.b, leaves_)
    if isinstance(query, wq.AndMaybe):
        return matching(searcher, query.a, leaves_)
    if isinstance(query, wq.Phrase):
        return DocSets(leaves_, tuple(_live(reader, _phrase(reader, query))
                                      for reader, _ in leaves_))
    return DocSets(leaves_, tuple(
        _live(reader, set(query.docs(Searcher(reader, closereader=False))))
        for reader, _ in leaves_))


def column(reader: IndexReader, fieldname: str) -> list[tuple[str, ...]]:
    """The values of a facet field per document of one segment."""

    def build() -> list[tuple[str, ...]]:
        values: list[tuple[str, ...]] = [()] * reader.doc_count_all()
        for btext in reader.lexicon(fieldname):
            value = btext.decode("utf-8")
            for docnum in posting_ids(reader.postings(fieldname, btext)):
                values[docnum] = (*values[docnum], value)
        # One tuple object per distinct combination, not one per document.
        shared: dict[tuple[str, ...], tuple[str, ...]] = {}
        return [shared.setdefault(v, v) for v in values]

    return per_segment(reader, f"column:{fieldname}", build)


def counts(docs: DocSets, fieldname: str) -> Counter[str]:
    """How many of ``docs`` have each value of a facet field."""
    result: Counter[str] = Counter()
    for (reader, _offset), local in zip(docs.leaves, docs.sets, strict=True):
        if local:
            values = column(reader, fieldname)
            result.update(chain.from_iterable(map(values.__getitem__, local)))
    return result


def sort_keys(reader: IndexReader, fieldname: str) -> list[Any]:
    """The sortable column of one segment as a list."""
    return per_segment(reader, f"sort:{fieldname}", lambda: list(
        reader.column_reader(fieldname, translate=False)))


def forget(keep: Iterable[str]) -> None:
    """Drop the cached data of segments not in ``keep`` (merged away or replaced)."""
    alive = set(keep)
    for cache in _caches:
        cache.forget(alive)
    with _lock:
        for key in [k for k in _segment_data if k[0] not in alive]:
            del _segment_data[key]
