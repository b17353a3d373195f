"""BM25F scores for the documents a query matched, computed a posting block at a time.

Whoosh scores through a tree of pure-Python matchers: for three words in twelve fields it
made over a million ``skip_to``/``id`` calls per search (profiled at 10,000 materials).  The
set of matching documents is already known (``docsets``), so here each (field, term) of the
query adds its BM25 score to the documents it occurs in, reading posting ids and weights a
block at a time.  The formula and its statistics are Whoosh's own (``whoosh.scoring.BM25F``
with its defaults, ``byte_to_length`` field lengths), so the ranking is the same as
``searcher.search`` would give.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.reading import IndexReader, TermNotFound
from whoosh.searching import Searcher

from oer_portal.search import whoosh_compat
from oer_portal.search.docsets import DocSets, SegmentCache, column, matching, per_segment

B = 0.75
K1 = 1.2
#: How strongly the share of the query's words a document has weighs (see ``top``); 1 and
#: 2 were measured with bench/relevance.py, 1 ranked better in Dutch and as well overall.
COORDINATION_POWER = 1.0
#: Cached postings hold at most this many (document, weight) pairs in all (about 150 MB).
WEIGHT_CACHE_POSTINGS = 1_500_000

_weights: SegmentCache[dict[int, float]] = SegmentCache(WEIGHT_CACHE_POSTINGS)

class Unsupported(Exception):
    """The query holds a node the search service never builds (``query.py`` makes only
    terms, phrases and their combinations)."""


def field_lengths(reader: IndexReader, fieldname: str) -> array[int]:
    """Each document's length of one field in one segment (an array: 4 bytes a document)."""
    return per_segment(reader, f"lengths:{fieldname}",
                       lambda: array("I", whoosh_compat.field_lengths(reader, fieldname)))


def _postings(reader: IndexReader, fieldname: str, text: str) -> dict[int, float]:
    """Document → term weight (frequency) for one term in one segment, deleted ones included
    (the candidates never hold deleted documents); kept in a bounded cache, because reading
    them (each block is a pickle that also holds the positions) was most of a search's time
    (profiled at 10,000 materials)."""
    return _weights.get(reader, (fieldname, text),
                        lambda: _read_postings(reader, fieldname, text))


def _read_postings(reader: IndexReader, fieldname: str, text: str) -> dict[int, float]:
    try:
        return whoosh_compat.posting_weights(reader.postings(fieldname, text))
    except TermNotFound:
        return {}


@dataclass
class _Segment:
    """What scoring one segment needs: its reader, the candidates in it, the collection
    statistics of each term, and the documents each phrase matched here."""

    reader: IndexReader
    candidates: frozenset[int] | set[int]
    statistics: dict[tuple[str, str], tuple[float, float]]
    phrases: dict[int, frozenset[int] | set[int]]


def _scores(node: wq.Query, segment: _Segment) -> dict[int, float]:
    """Document → score of ``node`` for the candidates it matches, combined as Whoosh's
    matchers combine them: ``Or`` adds the scores of the parts that match, ``And`` keeps the
    documents every part matches, ``AndMaybe`` adds the optional part where it matches."""
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
        return _sum(_scores(sub, segment) for sub in node.subqueries)
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


def _sum(parts: Iterator[dict[int, float]]) -> dict[int, float]:
    result: dict[int, float] = {}
    for part in parts:
        for docnum, score in part.items():
            result[docnum] = result.get(docnum, 0.0) + score
    return result


def _term_scores(fieldname: str, text: str, boost: float, segment: _Segment
                 ) -> dict[int, float]:
    weights = _postings(segment.reader, fieldname, text)
    found = segment.candidates & weights.keys()
    if not found:
        return {}
    idf, average = segment.statistics[(fieldname, text)]
    lengths = field_lengths(segment.reader, fieldname)
    factor = boost * idf * (K1 + 1)
    constant = K1 * (1 - B)
    per_length = K1 * B / average
    return {docnum: factor * weights[docnum] / (
        weights[docnum] + constant + per_length * lengths[docnum]) for docnum in found}


def _nodes(node: wq.Query) -> Iterator[wq.Query]:
    yield node
    for sub in node.children():
        yield from _nodes(sub)


@dataclass(frozen=True)
class Preference:
    """Documents with ``value`` in facet field ``fieldname`` score ``factor`` times more."""

    fieldname: str
    value: str
    factor: float


def top(searcher: Searcher, query: wq.Query, candidates: DocSets, limit: int,
        prefer: Preference | None = None, coordination: Sequence[DocSets] = ()
        ) -> list[tuple[int, float]]:
    """The ``limit`` best (global document number, score) among ``candidates``, best first;
    ties go to the older document, as in Whoosh.

    With ``coordination`` (the documents each of the query's groups matched), a score is
    multiplied by the share of groups the document matched (``COORDINATION_POWER``).
    """
    nodes = list(_nodes(query))
    statistics: dict[tuple[str, str], tuple[float, float]] = {}
    phrases: dict[int, DocSets] = {}
    for node in nodes:
        words = [node.text] if isinstance(node, wq.Term) else \
            node.words if isinstance(node, wq.Phrase) else []
        for word in words:
            statistics[(node.fieldname, word)] = (
                searcher.idf(node.fieldname, word),
                searcher.avg_field_length(node.fieldname) or 1.0)
        if isinstance(node, wq.Phrase):
            phrases[id(node)] = matching(searcher, node, candidates.leaves)
    best: list[tuple[float, int]] = []
    for index, ((reader, offset), local) in enumerate(
            zip(candidates.leaves, candidates.sets, strict=True)):
        if not local:
            continue
        segment = _Segment(reader, local, statistics,
                           {key: docs.sets[index] for key, docs in phrases.items()})
        scores = dict.fromkeys(local, 0.0)
        scores.update((d, s) for d, s in _scores(query, segment).items() if d in local)
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
        best.extend(heapq.nlargest(limit, ((score, -(offset + docnum))
                                           for docnum, score in scores.items())))
    return [(-negated, score) for score, negated in heapq.nlargest(limit, best)]
