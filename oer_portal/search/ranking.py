"""BM25F scores for the documents a query matched, computed a posting block at a time.

Whoosh scores through a tree of pure-Python matchers: for three words in twelve fields it
made over a million ``skip_to``/``id`` calls per search (profiled at 10,000 materials).  The
set of matching documents is already known (``docsets``), so here each (field, term) of the
query adds to the documents it occurs in, reading posting ids and weights a block at a time.

The model is BM25F (Robertson, Zaragoza and Taylor 2004): a word's frequencies in its fields
(``query.FieldsOr``), each weighted by the field's boost and normalised by the field's
length, are added and saturated once.  Whoosh's own "BM25F" saturates each field apart and
adds the scores, so a word in the title counted several times over a rarer word of the
body (``undo changes git`` ranked "Tracking Changes" above the lesson on undoing).  A phrase
is scored as Whoosh scores it.  ``tests/integration/test_search_ranking.py`` proves the
scores equal a plain computation from Whoosh's public API, and the matching documents equal
Whoosh's own.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any

from whoosh import query as wq
from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from oer_portal.search import docsets, whoosh_compat
from oer_portal.search.docsets import DocSets, column, matching, per_segment
from oer_portal.search.query import FieldsOr

B = 0.75
#: Higher than Whoosh's 1.2: with the field boosts inside the saturation, 1.2 let one title
#: match saturate a word; 2 to 5 ranked alike in bench/relevance.py, 3 best in Dutch.
K1 = 3.0
#: How strongly the share of the query's words a document has weighs (see ``top``); 1 and
#: 2 were measured with bench/relevance.py, 1 ranked better in Dutch and as well overall.
COORDINATION_POWER = 1.0
#: How much more a document scores where the query's words stand together (see ``top``).
PROXIMITY_FACTOR = 1.5

Remember = Callable[[tuple[Hashable, ...], Callable[[], Any]], Any]


class Unsupported(Exception):
    """The query holds a node the search service never builds (``query.py`` makes only
    terms, phrases and their combinations)."""


def field_lengths(reader: IndexReader, fieldname: str) -> array[int]:
    """Each document's length of one field in one segment (an array: 4 bytes a document)."""
    return per_segment(reader, f"lengths:{fieldname}",
                       lambda: array("I", whoosh_compat.field_lengths(reader, fieldname)))


def _postings(reader: IndexReader, fieldname: str, text: str) -> dict[int, float]:
    """Document → term weight (frequency) for one term in one segment, deleted ones included
    (the candidates never hold deleted documents).  The read that gave the term's documents
    (``docsets``) gave these too: within a search a term's postings are read once."""
    return docsets.postings(reader, fieldname, text)


@dataclass
class _Segment:
    """What scoring one segment needs: its reader, the candidates in it, the collection
    statistics of each term, and the documents each phrase matched here."""

    reader: IndexReader
    candidates: Set[int]
    statistics: dict[tuple[str, str], tuple[float, float]]
    phrases: dict[int, Set[int]]
    #: id() of each word node (one word over its fields) → the word's idf.
    words: dict[int, float]


def _scores(node: wq.Query, segment: _Segment) -> dict[int, float]:
    """Document → score of ``node`` for the candidates it matches: a word by BM25F over its
    fields, a phrase as Whoosh scores it, and the rest combined as Whoosh's matchers combine
    them: ``Or`` adds the scores of the parts that match, ``And`` keeps the documents every
    part matches, ``AndMaybe`` adds the optional part where it matches."""
    if id(node) in segment.words:
        return _word_scores(node, segment)
    if isinstance(node, wq.Term):
        return _term_scores(node.fieldname, node.text, node.boost, segment)
    if isinstance(node, wq.Phrase):
        matched = segment.phrases[id(node)]
        result: dict[int, float] = dict.fromkeys(matched, 0.0)
        for word in node.words:
            for docnum, score in _term_scores(node.fieldname, word, node.boost, segment).items():
                if docnum in matched:
                    result[docnum] += score
        return result
    if isinstance(node, wq.Or):
        return summed(_scores(sub, segment) for sub in node.subqueries)
    if isinstance(node, wq.And):
        parts = [_scores(sub, segment) for sub in node.subqueries]
        common = set.intersection(*(set(part) for part in parts)) if parts else set()
        return {docnum: sum(part[docnum] for part in parts) for docnum in common}
    if isinstance(node, wq.AndMaybe):
        required, optional = _scores(node.a, segment), _scores(node.b, segment)
        return {docnum: score + optional.get(docnum, 0.0) for docnum, score in required.items()}
    if isinstance(node, wq.AndNot):
        return _scores(node.a, segment)  # the candidates already lack the excluded documents
    if isinstance(node, wq.Every):
        return dict.fromkeys(segment.candidates, 0.0)
    if node is wq.NullQuery:
        return {}
    raise Unsupported(type(node).__name__)


def summed(parts: Iterable[dict[int, float]]) -> dict[int, float]:
    """Document → the sum of its scores in ``parts`` (added in the order of the parts)."""
    result: dict[int, float] = {}
    for part in parts:
        for docnum, score in part.items():
            result[docnum] = result.get(docnum, 0.0) + score
    return result


def bm25(weights: Mapping[int, float], found: Iterable[int], lengths: Sequence[int],
         boost: float, idf: float, average: float, k1: float = K1, b: float = B
         ) -> dict[int, float]:
    """Document → BM25 score of one term for the documents ``found`` (Whoosh's formula:
    the term's frequency ``weights`` saturated with ``k1`` and normalised by the field's
    ``lengths`` against their ``average``, times ``boost`` and ``idf``)."""
    factor = boost * idf * (k1 + 1)
    constant = k1 * (1 - b)
    per_length = k1 * b / average
    return {docnum: factor * weights[docnum] / (
        weights[docnum] + constant + per_length * lengths[docnum]) for docnum in found}


def _term_scores(fieldname: str, text: str, boost: float, segment: _Segment
                 ) -> dict[int, float]:
    weights = _postings(segment.reader, fieldname, text)
    found = segment.candidates & weights.keys()
    if not found:
        return {}
    idf, average = segment.statistics[(fieldname, text)]
    return bm25(weights, found, field_lengths(segment.reader, fieldname), boost, idf, average)


def _word_scores(node: wq.Query, segment: _Segment) -> dict[int, float]:
    """BM25F of one word over its fields: the frequencies, each weighted by its field's
    boost and normalised by the field's length, are added before they are saturated once.
    A word in the title and the description and their neutral copies no longer counts four
    times over (Robertson, Zaragoza and Taylor 2004)."""
    terms = node.subqueries if isinstance(node, FieldsOr) else [node]
    combined: dict[int, float] = {}
    for term in terms:
        weights = _postings(segment.reader, term.fieldname, term.text)
        found = segment.candidates & weights.keys()
        if not found:
            continue
        _idf, average = segment.statistics[(term.fieldname, term.text)]
        lengths = field_lengths(segment.reader, term.fieldname)
        for docnum in found:
            combined[docnum] = combined.get(docnum, 0.0) + term.boost * weights[docnum] / (
                1 - B + B * lengths[docnum] / average)
    idf = segment.words[id(node)]
    return {docnum: idf * (K1 + 1) * x / (K1 + x) for docnum, x in combined.items()}


def _nodes(node: wq.Query) -> Iterator[wq.Query]:
    yield node
    for sub in node.children():
        yield from _nodes(sub)


def _word_idfs(searcher: Searcher, query: wq.Query, leaves: tuple[docsets.Leaf, ...]
               ) -> dict[int, float]:
    """Each word node of ``query`` (a ``FieldsOr`` of terms, or a term standing alone) →
    its idf (Whoosh's formula) over the live documents having the word in any of its
    fields.  Phrases keep Whoosh's per-field scoring, so their terms are not words here."""
    result: dict[int, float] = {}
    total = searcher.doc_count()

    def visit(node: wq.Query) -> None:
        if isinstance(node, wq.Term) or (
                isinstance(node, FieldsOr) and all(isinstance(t, wq.Term) for t in node)):
            found = len(matching(searcher, node, leaves))
            result[id(node)] = math.log(total / (found + 1)) + 1
        elif not isinstance(node, wq.Phrase):
            for sub in node.children():
                visit(sub)

    visit(query)
    return result


@dataclass(frozen=True)
class _Prepared:
    """What scoring ``query`` needs that depends on the index alone: each term's idf and its
    field's average length, the documents of each phrase node and each word node's idf
    (nodes by ``id()``: ``query`` is kept here, so those ids stay its nodes')."""

    query: wq.Query
    statistics: dict[tuple[str, str], tuple[float, float]]
    phrases: dict[int, DocSets]
    words: dict[int, float]


def _prepared(searcher: Searcher, query: wq.Query, leaves: tuple[docsets.Leaf, ...]
              ) -> _Prepared:
    statistics: dict[tuple[str, str], tuple[float, float]] = {}
    phrases: dict[int, DocSets] = {}
    for node in _nodes(query):
        words = [node.text] if isinstance(node, wq.Term) else \
            node.words if isinstance(node, wq.Phrase) else []
        for word in words:
            statistics[(node.fieldname, word)] = (
                searcher.idf(node.fieldname, word),
                searcher.avg_field_length(node.fieldname) or 1.0)
        if isinstance(node, wq.Phrase):
            phrases[id(node)] = matching(searcher, node, leaves)
    return _Prepared(query, statistics, phrases, _word_idfs(searcher, query, leaves))


@dataclass(frozen=True)
class Preference:
    """Documents with ``value`` in facet field ``fieldname`` score ``factor`` times more."""

    fieldname: str
    value: str
    factor: float


def top(searcher: Searcher, query: wq.Query, candidates: DocSets, limit: int,
        prefer: Preference | None = None, coordination: Sequence[DocSets] = (),
        close: Sequence[docsets.Together] = (), remember: Remember | None = None,
        scope: DocSets | None = None) -> list[tuple[int, float]]:
    """The ``limit`` best (global document number, score) among ``candidates``, best first;
    ties go to the older document, as in Whoosh.

    With ``coordination`` (the documents each of the query's groups matched), a score is
    multiplied by the share of groups the document matched (``COORDINATION_POWER``).
    With ``prefer``, documents with its facet value score its factor times more.
    With ``close`` (for each pair of neighbouring query words, whether a document has them
    together), a score is multiplied by ``PROXIMITY_FACTOR`` to the power of the share
    of pairs the document has together: a title with one of the words must not outrank the
    lesson about the words together (a multiplier, so the title boost cannot drown it).

    ``remember`` (``SearchRun.remember``) keeps what depends on the query and the index
    alone (idfs, phrase matches) for the next search of the same query.  With ``scope``
    too (all the documents the query matched, ``candidates`` being those within the
    visitor's filters), the second search of the query scores the whole scope once and
    keeps it in order (:class:`Order`): every later page, with any filters, then takes its
    best from the front instead of scoring its candidates again.  A query searched once
    only is never scored beyond its candidates.
    """
    seen = remember is not None

    def prepare() -> _Prepared:
        nonlocal seen
        seen = False
        return _prepared(searcher, query, candidates.leaves)

    prepared = prepare() if remember is None else remember(("ranking", id(query)), prepare)
    if prepared.query is not query:  # kept for another query that had this one's id
        prepared = prepare()
    if seen and scope is not None and remember is not None:
        key = ("order", id(query), id(scope), prefer, tuple(map(id, coordination)))
        order = remember(key, lambda: Order.of(prepared, scope, prefer, coordination))
        if order.serves(query, scope, prefer, coordination):
            return order.best(candidates, limit, close)
    best: list[tuple[float, int]] = []
    for index, ((reader, offset), local) in enumerate(
            zip(candidates.leaves, candidates.sets, strict=True)):
        if not local:
            continue
        scores = _segment_scores(prepared, index, reader, local, prefer, coordination)
        waiting = [(-score, docnum) for docnum, score in scores.items()]
        heapq.heapify(waiting)
        best_first = ((-negated, docnum) for negated, docnum in
                      (heapq.heappop(waiting) for _ in range(len(waiting))))
        best.extend((score, -(offset + docnum))
                    for score, docnum in _reach_page(best_first, limit, close, reader))
    return [(-negated, score) for score, negated in heapq.nlargest(limit, best)]


def _segment_scores(prepared: _Prepared, index: int, reader: IndexReader, local: Set[int],
                    prefer: Preference | None, coordination: Sequence[DocSets]
                    ) -> dict[int, float]:
    """Document → score of the query for the documents ``local`` of the ``index``-th
    segment, with the share of groups and the preference applied (all but proximity)."""
    segment = _Segment(reader, local, prepared.statistics,
                       {key: docs.sets[index] for key, docs in prepared.phrases.items()},
                       prepared.words)
    scores = dict.fromkeys(local, 0.0)
    scores.update((d, s) for d, s in _scores(prepared.query, segment).items() if d in local)
    if coordination:
        groups = [docs.sets[index] for docs in coordination]
        for docnum in scores:
            share = sum(docnum in group for group in groups) / len(groups)
            scores[docnum] *= share ** COORDINATION_POWER
    if prefer is not None:
        values = column(reader, prefer.fieldname)
        for docnum in scores:
            if prefer.value in values[docnum]:
                scores[docnum] *= prefer.factor
    return scores


def _reach_page(best_first: Iterable[tuple[float, int]], limit: int,
                close: Sequence[docsets.Together], reader: IndexReader
                ) -> list[tuple[float, int]]:
    """The (score, document) of one segment that can be among its best ``limit``, from
    its documents taken best first (ties: the older first), with the proximity factor
    applied.  Without near pairs these are the first ``limit``.  With them, once the next
    document could not pass the ``limit``-th score even with every pair together, none
    after it can, and their word order is never looked at (for three common words at
    100,000 materials: a few hundred documents checked instead of 50,000)."""
    reached: list[tuple[float, int]] = []
    kept: list[float] = []  # the best ``limit`` scores so far, lowest first
    with docsets.one_search():
        for score, docnum in best_first:
            if len(kept) == limit and (not close or score * PROXIMITY_FACTOR < kept[0]):
                break
            together = sum(pair.has(reader, docnum) for pair in close)
            if together:
                score *= PROXIMITY_FACTOR ** (together / len(close))
            reached.append((score, docnum))
            if len(kept) < limit:
                heapq.heappush(kept, score)
            elif score > kept[0]:
                heapq.heapreplace(kept, score)
    return reached


@dataclass(frozen=True)
class Order:
    """Every document of a query's scope, best first per segment (scores before the
    proximity factor, which depends on the page), for the query's later searches on the
    same index commit.  Kept in the search memo (``SearchRun.remember``), which drops it
    with the commit; it holds what it was worked out for, so that a key reused for other
    objects is noticed (:meth:`serves`)."""

    query: wq.Query
    scope: DocSets
    prefer: Preference | None
    coordination: tuple[DocSets, ...]
    #: Per segment: the scores, best first, and the segment's document numbers in step.
    segments: tuple[tuple[array[float], array[int]], ...]

    @classmethod
    def of(cls, prepared: _Prepared, scope: DocSets, prefer: Preference | None,
           coordination: Sequence[DocSets]) -> Order:
        segments = []
        for index, (reader, _offset) in enumerate(scope.leaves):
            scores = _segment_scores(prepared, index, reader, scope.sets[index], prefer,
                                     coordination) if scope.sets[index] else {}
            ordered = sorted(scores)  # the older first among equal scores (a stable sort)
            ordered.sort(key=scores.__getitem__, reverse=True)
            segments.append((array("d", map(scores.__getitem__, ordered)),
                             array("q", ordered)))
        return cls(prepared.query, scope, prefer, tuple(coordination), tuple(segments))

    def __len__(self) -> int:
        return len(self.scope)

    def serves(self, query: wq.Query, scope: DocSets, prefer: Preference | None,
               coordination: Sequence[DocSets]) -> bool:
        return (self.query is query and self.scope is scope and self.prefer == prefer
                and len(self.coordination) == len(coordination)
                and all(a is b for a, b in zip(self.coordination, coordination, strict=True)))

    def best(self, candidates: DocSets, limit: int, close: Sequence[docsets.Together]
             ) -> list[tuple[int, float]]:
        """What :func:`top` gives for ``candidates`` (within the scope), from the front."""
        best: list[tuple[float, int]] = []
        for (reader, offset), local, (scores, ordered) in zip(
                candidates.leaves, candidates.sets, self.segments, strict=True):
            if local:
                best_first = ((score, docnum) for score, docnum in zip(scores, ordered, strict=True)
                              if docnum in local)
                best.extend((score, -(offset + docnum))
                            for score, docnum in _reach_page(best_first, limit, close, reader))
        return [(-negated, score) for score, negated in heapq.nlargest(limit, best)]
