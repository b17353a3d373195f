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
from collections.abc import Callable, Iterable, Iterator, KeysView, Set, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import accumulate, chain
from typing import Any, Generic, TypeVar

from whoosh import formats
from whoosh import query as wq
from whoosh.compat import loads
from whoosh.reading import IndexReader, TermNotFound
from whoosh.searching import Searcher
from whoosh.system import _INT_SIZE

from oer_portal.search import whoosh_compat
from oer_portal.search.whoosh_compat import posting_ids

#: Cached postings hold at most this many (document, weight) pairs in all (about 150 MB);
#: the set of a term's documents is the keys of its weights, so one read serves both.
POSTINGS_CACHE = 1_500_000
#: Cached phrase matches hold at most this many document numbers in all.
PHRASE_CACHE_POSTINGS = 250_000

T = TypeVar("T")
Leaf = tuple[IndexReader, int]  # a segment's reader and its first global document number


@dataclass(frozen=True)
class DocSets:
    """Matching documents per segment (segment-local numbers, deletions removed)."""

    leaves: tuple[Leaf, ...]
    sets: tuple[Set[int], ...]

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
        cached = self.peek(reader, what)
        if cached is not None:
            return cached
        value = compute()
        self.put(reader, what, value)
        return value

    def peek(self, reader: IndexReader, what: tuple[Any, ...]) -> V | None:
        key = (segment_id(reader), *what)
        with self._lock:
            cached = self._values.get(key)
            if cached is not None:
                self._values.move_to_end(key)
            return cached

    def put(self, reader: IndexReader, what: tuple[Any, ...], value: V) -> None:
        if self.largest is not None and len(value) > self.largest:
            return
        key = (segment_id(reader), *what)
        with self._lock:
            if key not in self._values:
                self._values[key] = value
                self._size += len(value)
            while self._size > self.capacity:
                self._size -= len(self._values.popitem(last=False)[1])

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._size = 0

    def forget(self, alive: set[str]) -> None:
        with self._lock:
            for key in [k for k in self._values if k[0] not in alive]:
                self._size -= len(self._values.pop(key))


_caches: list[SegmentCache[Any]] = []
_lock = threading.Lock()
#: (segment id, field, term) → the segment's documents with the term's weight in each,
#: deleted ones included: the set of a term's documents is this dict's keys.
_postings: SegmentCache[dict[int, float]] = SegmentCache(POSTINGS_CACHE)
#: (segment id, field, phrase key) → the segment's documents, deleted ones included.
_phrases: SegmentCache[frozenset[int]] = SegmentCache(PHRASE_CACHE_POSTINGS)
#: This search's reads (see ``one_search``): (segment id, field, term) → what was read.
_search: ContextVar[dict[tuple[str, str, bytes], whoosh_compat.PostingRead] | None] = \
    ContextVar("search_postings", default=None)
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


def _read(reader: IndexReader, fieldname: str, btext: bytes, positions: bool = False
          ) -> whoosh_compat.PostingRead:
    """One term's postings in one segment: from this search's reads, else from the cache,
    else from the index (ids and weights in one pass, which both caches then hold).

    Within :func:`one_search` nothing is read twice: the set of matching documents, the
    scores and a phrase's word order all come from the one read.  A read there keeps the
    blocks' encoded positions (for a field that has them) until the search ends, in case a
    phrase needs them; the cache across searches holds the weights only.
    """
    memo = _search.get()
    key = (segment_id(reader), fieldname, btext)
    if memo is not None:
        found = memo.get(key)
        if found is not None and (found.blocks is not None or not positions):
            return found
    if not positions:
        cached = _postings.peek(reader, (fieldname, btext))
        if cached is not None:
            read = whoosh_compat.PostingRead(cached)
            if memo is not None:
                memo[key] = read
            return read
    keep = positions or (memo is not None and _has_positions(reader, fieldname))
    try:
        read = whoosh_compat.read_postings(reader.postings(fieldname, btext), values=keep)
    except TermNotFound:
        read = whoosh_compat.PostingRead({}, [] if keep else None)
    _postings.put(reader, (fieldname, btext), read.weights)
    if memo is not None:
        memo[key] = read
    return read


def _has_positions(reader: IndexReader, fieldname: str) -> bool:
    if fieldname not in reader.schema:
        return False
    field_format = reader.schema[fieldname].format
    return bool(field_format and field_format.supports("positions"))


def postings(reader: IndexReader, fieldname: str, text: str | bytes) -> dict[int, float]:
    """Document → term weight (frequency) for one term in one segment, deleted documents
    included (see :func:`_read`)."""
    btext = text if isinstance(text, bytes) else text.encode("utf-8")
    return _read(reader, fieldname, btext).weights


@contextmanager
def one_search() -> Iterator[None]:
    """The extent of one search: each term's postings are read from the index at most once
    in it (a cache that starts empty must not mean reading them twice), and what was read
    is let go at its end.  Nested uses share the outer one."""
    if _search.get() is not None:
        yield
        return
    token = _search.set({})
    try:
        yield
    finally:
        _search.reset(token)


def _leaf_term(reader: IndexReader, fieldname: str, btext: bytes) -> KeysView[int]:
    # A segment's documents only ever lose members (deletions), which ``_live`` takes off.
    return _read(reader, fieldname, btext).weights.keys()


def _phrase(reader: IndexReader, query: wq.Phrase) -> frozenset[int]:
    """A phrase's documents in one segment: those with every word (set algebra) whose
    positions have the words in order, each within ``slop`` positions after the one
    before, as Whoosh's ``Phrase`` (a ``SpanNear2``, ordered, ``mindist`` 1) requires; the
    positions come from the same read as the words' documents and weights."""
    def positions() -> frozenset[int]:
        words = [word.encode("utf-8") for word in query.words]
        if not words:
            return frozenset()
        with one_search():  # each word's positions read once for all the documents
            common = set(_read(reader, query.fieldname, words[0]).weights)
            for word in words[1:]:
                if not common:
                    break
                common.intersection_update(
                    _read(reader, query.fieldname, word).weights.keys())
            in_order = _order_check(reader, query, words)
            return frozenset(filter(in_order, common))

    return _phrases.get(reader, (query.fieldname, _phrase_key(query)), positions)


def _phrase_key(query: wq.Phrase) -> bytes:
    return "\x00".join((f"phrase/{query.slop}", *query.words)).encode("utf-8")


def _order_check(reader: IndexReader, query: wq.Phrase, words: list[bytes]
                 ) -> Callable[[int], bool]:
    """Whether a document of the segment that has every word of the phrase has them in
    order (the positions are read here, once)."""
    decode = _positions_decoder(reader.schema[query.fieldname].format)
    reads = [_read(reader, query.fieldname, word, positions=True) for word in words]
    return lambda docnum: _in_order([decode(read.value(docnum)) for read in reads],
                                    query.slop)


class Together:
    """Which documents have the words of a near pair (``query.near_pairs``: an ``Or`` of
    one phrase per field) together, asked a document at a time.

    Word order is a search's dearest check: the positions of every document with both
    words are decoded (100,000 of them for three common words at 100,000 materials, half
    of a search with cold caches).  Ranking needs it only for the documents that can still
    reach the page (``ranking.top``), so it asks for those alone; the answers are kept
    with the query's other per-commit results (``SearchRun.remember``).
    """

    def __init__(self, query: wq.Query) -> None:
        self.phrases = tuple(leaf for leaf in query.leaves() if isinstance(leaf, wq.Phrase))
        #: (segment id, document number) → whether the words stand together there.
        self.known: dict[tuple[str, int], bool] = {}

    def has(self, reader: IndexReader, docnum: int) -> bool:
        key = (segment_id(reader), docnum)
        found = self.known.get(key)
        if found is None:
            found = self.known[key] = any(_has_phrase(reader, phrase, docnum)
                                          for phrase in self.phrases)
        return found


def _has_phrase(reader: IndexReader, query: wq.Phrase, docnum: int) -> bool:
    """Whether one document of one segment has the phrase (its whole answer when cached)."""
    known = _phrases.peek(reader, (query.fieldname, _phrase_key(query)))
    if known is not None:
        return docnum in known
    words = [word.encode("utf-8") for word in query.words]
    return bool(words) and all(docnum in _read(reader, query.fieldname, word).weights
                               for word in words) and _order_check(reader, query, words)(docnum)


def _positions_decoder(field_format: formats.Format) -> Callable[[bytes], list[int]]:
    """The field's decoder of positions; for plain ``Positions`` (every phrase field of
    ours) the same decoding with the running sum in C: it runs for every candidate of
    every phrase and near pair."""
    if type(field_format) is formats.Positions:
        return _decode_positions
    return field_format.decoder("positions")


def _decode_positions(value: bytes) -> list[int]:
    """``Positions.decode_positions``: a count, then the pickled gaps between positions."""
    if not value.endswith(b"."):
        value += b"."
    return list(accumulate(loads(value[_INT_SIZE:])))  # Whoosh's own unpickling


def _in_order(positions: list[list[int]], slop: int) -> bool:
    """Whether some position of each word follows one of the word before by 1 to ``slop``."""
    ends = set(positions[0])
    window = range(1, slop + 1)
    for following in positions[1:]:
        # The positions the next word may take, then those it takes (set operations in C:
        # this runs for every candidate of every phrase and near pair of a query).
        ends = {end + step for end in ends for step in window}.intersection(following)
        if not ends:
            return False
    return True


def _live(reader: IndexReader, ids: Set[int]) -> Set[int]:
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
            mine.update(theirs)
    return DocSets(leaves_, tuple(sets))


def matching(searcher: Searcher, query: wq.Query, leaves_: tuple[Leaf, ...]) -> DocSets:
    """The documents ``query`` matches, unscored.

    Terms, ``Or``, ``And``, ``AndNot``, ``AndMaybe``, ``Every`` and phrases are evaluated
    here; any other query is asked of Whoosh, per segment.
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


def drop_postings() -> None:
    """Empty the caches of postings and phrase matches (the per-segment columns stay): a
    search then starts cold, as after a restart or a new segment (the benchmark's cold
    pass, and tests that count reads)."""
    _postings.clear()
    _phrases.clear()


def forget(keep: Iterable[str]) -> None:
    """Drop the cached data of segments not in ``keep`` (merged away or replaced)."""
    alive = set(keep)
    for cache in _caches:
        cache.forget(alive)
    with _lock:
        for key in [k for k in _segment_data if k[0] not in alive]:
            del _segment_data[key]
