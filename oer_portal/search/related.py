""""More like this": published materials in the same language whose words are most like a
material's own, those for the same school level first."""

from __future__ import annotations

import heapq
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass

from whoosh.reading import IndexReader
from whoosh.searching import Searcher

from oer_portal.search import docsets, ranking, searchers
from oer_portal.search.schema import LANGUAGES, MATERIAL, POSITION_ID


@dataclass(frozen=True)
class Related:
    material_id: int
    title: str
    slug: str
    licence: str


#: Related materials of the most recently shown pages, per index generation: the list only
#: changes when the index does, and working it out reads the frequency of every word of the
#: material (about 60 ms for a lesson of 1,500 words, most of a material page's time).
RELATED_CACHE_SIZE = 2048
#: The words of a material that "more like this" weighs: its start says what it is about.
RELATED_TEXT_CHARS = 4000
#: Alike materials looked at per one shown, so those of the same level can come first.
CANDIDATES = 4
#: The material's words that are searched for: those of most weight (Bo1, Whoosh's
#: ``key_terms_from_text``).
NUMTERMS = 15
#: Whoosh's BM25F parameters, with which "more like this" has always ranked.
WHOOSH_B, WHOOSH_K1 = 0.75, 1.2
_related: OrderedDict[tuple[str, int, int, int], list[Related]] = OrderedDict()
_related_lock = threading.Lock()


def more_like_this(material_id: int, limit: int = 5) -> list[Related]:
    """Published materials whose words are most like this one's (from the index, so only
    published materials can appear).  Cached per index generation: a commit (a withdrawal
    too) or a rebuilt index gives a new key, so a cached list never outlives the index it
    was read from."""
    searcher = searchers.current()
    key = (*searchers.generation(), material_id, limit)
    with _related_lock:
        if key in _related:
            _related.move_to_end(key)
            return _related[key]
    related = _more_like_this(searcher, material_id, limit)
    with _related_lock:
        _related[key] = related
        while len(_related) > RELATED_CACHE_SIZE:
            _related.popitem(last=False)
    return related


def _more_like_this(searcher: Searcher, material_id: int, limit: int) -> list[Related]:
    docnum = searcher.document_number(id=str(material_id))
    if docnum is None:
        return []
    stored = searcher.stored_fields(docnum)
    # The words are weighed with the material's own language analyzer (stop words out), and
    # only materials in the same language are suggested.
    language = stored.get("language", "")
    fieldname = f"body_{language}" if language in LANGUAGES else "body_any"
    text = " ".join(filter(None, (stored.get("title"), stored.get("description"),
                                  stored.get("snippet", "")[:RELATED_TEXT_CHARS])))
    key_terms = searcher.key_terms_from_text(fieldname, text, numterms=NUMTERMS,
                                             normalize=True)
    # Materials only: a harvested record of another collection is no "more like this".
    leaves = docsets.leaves(searcher)
    allowed = searchers.memo(searcher).get(("related to", language), lambda: docsets.term(
        leaves, "language", language) & docsets.term(leaves, "source", MATERIAL))
    hits = [searcher.stored_fields(found) for found in most_alike(
        searcher, fieldname, key_terms, allowed, docnum, limit * CANDIDATES)]
    # The same school level first: a havo lesson's relatives are havo lessons (sharing havo
    # and its parent, secondary), then vwo and vmbo ones (sharing secondary), then the rest;
    # the most alike first within each (the sort is stable).
    levels = _levels(stored)
    alike = [hit for hit in hits if hit.get("id") not in (None, POSITION_ID, str(material_id))
             and str(hit.get("id")).isdigit()]
    ranked = sorted(alike, key=lambda hit: -len(levels & _levels(hit)))
    return [Related(int(hit["id"]), hit["title"], hit["slug"], hit.get("licence", ""))
            for hit in ranked[:limit]]


def most_alike(searcher: Searcher, fieldname: str, key_terms: Sequence[tuple[str, float]],
               allowed: docsets.DocSets, leave_out: int, top: int) -> list[int]:
    """The ``top`` documents of ``allowed`` but ``leave_out`` (global numbers) that score
    best for the key terms, best first, ties to the older: what Whoosh's ``more_like``
    finds (BM25F with Whoosh's B and K1, a key term's weight as its boost), scored from the
    posting reads and document sets the search uses.  Whoosh's matchers, and its filter
    worked out a document at a time, made this most of a material page at 100,000
    materials (220 ms)."""
    best: list[tuple[float, int]] = []
    average = searcher.avg_field_length(fieldname) or 1.0
    for (reader, offset), local in zip(allowed.leaves, allowed.sets, strict=True):
        if not local:
            continue
        scores = ranking.summed(_term_scores(searcher, reader, local, fieldname, word, boost,
                                             average) for word, boost in key_terms)
        best.extend(heapq.nlargest(top + 1, ((score, -(offset + found))
                                             for found, score in scores.items())))
    return [-negated for _score, negated in heapq.nlargest(top + 1, best)
            if -negated != leave_out][:top]


def _term_scores(searcher: Searcher, reader: IndexReader, local: Set[int], fieldname: str,
                 word: str, boost: float, average: float) -> dict[int, float]:
    """One key term's BM25 scores in one segment, with Whoosh's parameters."""
    weights = docsets.postings(reader, fieldname, word)
    return ranking.bm25(weights, local & weights.keys(), ranking.field_lengths(reader, fieldname),
                        boost, searcher.idf(fieldname, word), average, WHOOSH_K1, WHOOSH_B)


def _levels(stored: Mapping[str, object]) -> set[str]:
    return {level for level in str(stored.get("level") or "").split(",") if level}
