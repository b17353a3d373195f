"""The one search service behind the search page and ``/api/v1/search``.

User text goes through our own parser (``query.py``) and never reaches Whoosh's query
language.  Only published materials are in the index at all, and the position document is
masked out of every search, so visibility does not depend on the query.  Each process
keeps a searcher per thread and refreshes it when the index changed (opening an index
costs far more than a search).
"""

from __future__ import annotations

import heapq
import math
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup
from whoosh.fields import Schema
from whoosh.query import Every, Or, Query, Term
from whoosh.searching import Searcher

from oer_portal.search import docsets, highlight, indexer, ranking
from oer_portal.search.query import (
    Clause,
    ParsedQuery,
    parse,
    to_whoosh,
    with_typo_alternatives,
)
from oer_portal.search.schema import LANGUAGES, POSITION_ID, query_fields

FACETS = ("subject", "level", "licence_family", "language", "kind", "has_attachments")
MULTI_VALUED = {"subject", "level"}
SORTS = ("relevance", "newest", "rating", "title")
#: Sort order (other than relevance) → the sortable columns compared in turn, and whether
#: the smallest comes first.  Equal ratings show the newest first.
ORDERS: dict[str, tuple[tuple[str, ...], bool]] = {
    "newest": (("published",), False), "rating": (("rating", "published"), False),
    "title": (("title_sort",), True)}
MAX_PER_PAGE = 50
MAX_PAGE = 500
#: How much more a material in the query's own language scores, and the log-odds of the
#: query's words needed to tell the language (about 3:1).
LANGUAGE_BOOST = 2.5
LANGUAGE_EVIDENCE = 1.1
#: Alternatives tried for a word that found nothing.
MAX_TYPO_ALTERNATIVES = 8
#: With fewer results than this for all words, documents with some of the words are added.
TOP_UP_BELOW = 10


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20


@dataclass(frozen=True)
class Hit:
    material_id: int
    external_id: str
    title: str
    slug: str
    description: str
    licence: str
    language: str
    kind: str
    score: float
    highlights: Markup
    published: datetime | None
    #: The plain average of the ratings (``None``: not rated) and their number.
    rating: float | None = None
    ratings: int = 0


@dataclass(frozen=True)
class SearchResults:
    request: SearchRequest
    query_text: str
    total: int
    hits: list[Hit]
    facets: dict[str, list[tuple[str, int]]]
    suggestion: str | None = None
    #: The results come from the typo-tolerant fallback.
    fuzzy: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.per_page))


_local = threading.local()


class _ThreadSearcher:
    """This thread's searcher on one index folder, closed as soon as nothing holds it: the
    index is read without memory-mapping (``indexer._storage``), so every open segment
    keeps a file open until its reader is closed, a thread's end included."""

    def __init__(self, root: str, target: str, searcher: Searcher) -> None:
        self.root, self.target, self.searcher = root, target, searcher

    def __del__(self) -> None:
        if not self.searcher.is_closed:
            self.searcher.close()


def _searcher() -> Searcher:
    """This thread's searcher on the live index, reopened when the index changed.

    Not ``Searcher.refresh()``: it reuses the readers of unchanged segments together with
    their old deletion lists, so a replaced document was still found (seen here).
    """
    root = indexer.index_root()
    target = os.path.realpath(root / "live")
    held: _ThreadSearcher | None = getattr(_local, "held", None)
    if held is not None and held.root == str(root) and held.target == target \
            and held.searcher.up_to_date():
        return held.searcher
    _local.held = None  # closes the old one first
    searcher = indexer.open_index(root).searcher()
    _local.held = _ThreadSearcher(str(root), target, searcher)
    docsets.forget(docsets.segment_ids(searcher))
    return searcher


def _clean_request(request: SearchRequest) -> SearchRequest:
    filters = {name: tuple(v for v in values if v)[:20]
               for name, values in request.filters.items() if name in FACETS}
    return SearchRequest(
        query=request.query, filters={k: v for k, v in filters.items() if v},
        sort=request.sort if request.sort in SORTS else "relevance",
        page=min(max(request.page, 1), MAX_PAGE),
        per_page=min(max(request.per_page, 1), MAX_PER_PAGE))


def search(request: SearchRequest) -> SearchResults:
    request = _clean_request(request)
    searcher = _searcher()
    parsed = parse(request.query)
    fields = query_fields()
    # No query browses everything; a query with nothing left to look for finds nothing.
    query = Every() if not request.query.strip() else (
        None if parsed.is_empty else to_whoosh(parsed, fields, searcher.schema))
    if query is None:
        return SearchResults(request, parsed.text, 0, [], {name: [] for name in FACETS})
    run = _Run(searcher, request)
    matched = run.matching(query)
    shown = run.filtered(matched)
    widened = _any_word(parsed, fields, searcher) if len(parsed.groups) > 1 else None
    if widened is not None and 0 < len(shown) < TOP_UP_BELOW:
        # Few documents have every word: add those with some of them, ranked below (a
        # document with all words also matches the any-word query, so it scores higher).
        query = Or([query, widened])
        matched = run.matching(widened)
        shown = run.filtered(matched)
        run.coordinate(parsed, fields)
    fuzzy = False
    suggestion = None
    marked = parsed  # whose words the snippets mark
    if not shown and not parsed.is_empty:
        # Typos: first the "did you mean" words exactly (a swapped pair of letters is two
        # edits, beyond the one-edit alternatives), then the words with those alternatives.
        suggestion = _suggest(searcher, parsed.text)
        fallbacks = [parse(suggestion)] if suggestion else []
        fallbacks.append(with_typo_alternatives(parsed, _typo_alternatives(searcher)))
        for variant in fallbacks:
            built = to_whoosh(variant, fields, searcher.schema) if variant else None
            if built is None:
                continue
            candidates = run.matching(built)
            found = run.filtered(candidates)
            if found:
                matched, shown, fuzzy, query, marked = candidates, found, True, built, variant
                break
        if not fuzzy and widened is not None:
            query = widened  # no document has every word
            matched = run.matching(query)
            shown = run.filtered(matched)
            run.coordinate(parsed, fields)
    # A facet nobody filters on is counted over the documents shown; see ``_Run.filtered``.
    facets = {name: _sorted_counts(docsets.counts(
        run.filtered(matched, leave_out=name) if name in run.filters else shown, name))
        for name in FACETS}
    words = _highlight_words(marked, searcher)
    preference = _query_language(searcher, parsed)
    hits = run.page(query, shown, highlight.pattern(words), preference)
    return SearchResults(request, parsed.text, len(shown), hits, facets, suggestion, fuzzy)


class _Run:
    """One search's view of the index: its segments, the visitor's filters as document sets,
    and the page of hits."""

    def __init__(self, searcher: Searcher, request: SearchRequest) -> None:
        self.searcher = searcher
        self.request = request
        self.leaves = docsets.leaves(searcher)
        self.position = docsets.term(self.leaves, "id", POSITION_ID)
        self.groups: list[docsets.DocSets] = []
        self.filters = {
            name: docsets.union(self.leaves, (docsets.term(self.leaves, name, value)
                                              for value in values))
            for name, values in request.filters.items()}

    def coordinate(self, parsed: ParsedQuery, fields: dict[str, float]) -> None:
        """Rank documents with some of the words by how many they have (the any-word
        widening otherwise lets one common word in a title beat two rarer ones)."""
        schema = self.searcher.schema
        self.groups = [self.matching(group) for group in (
            to_whoosh(ParsedQuery((g,), (), ""), fields, schema)
            for g in parsed.groups if not _stop_words_only(g, schema)) if group is not None]

    def matching(self, query: Query) -> docsets.DocSets:
        return docsets.matching(self.searcher, query, self.leaves) - self.position

    def filtered(self, docs: docsets.DocSets, leave_out: str | None = None) -> docsets.DocSets:
        """``docs`` within every filter but ``leave_out``'s: a facet the visitor filters on
        is counted with only the *other* facets' filters, so its other values stay visible
        and can be added (values of one facet are OR-ed)."""
        for name, allowed in self.filters.items():
            if name != leave_out:
                docs = docs & allowed
        return docs

    def page(self, query: Query, shown: docsets.DocSets, expression: re.Pattern[str] | None,
             preference: ranking.Preference | None) -> list[Hit]:
        request = self.request
        start = (request.page - 1) * request.per_page
        wanted = start + request.per_page
        if not len(shown) or start >= len(shown):
            return []
        if request.sort == "relevance" and not isinstance(query, Every):
            found = ranking.top(self.searcher, query, shown, wanted, preference,
                                self.groups)[start:]
        else:
            found = [(docnum, 0.0) for docnum in self._sorted(shown, wanted)[start:]]
        hits = []
        for docnum, score in found:
            stored = self.searcher.stored_fields(docnum)
            snippet = highlight.snippet(stored.get("snippet", ""), expression) or \
                highlight.snippet(stored.get("description", ""), expression)
            hits.append(Hit(
                material_id=int(stored["id"]), external_id=stored.get("external_id", ""),
                title=stored["title"], slug=stored["slug"],
                description=stored.get("description", ""), licence=stored.get("licence", ""),
                language=stored.get("language", ""), kind=stored.get("kind", ""),
                score=score, highlights=snippet, published=stored.get("published"),
                rating=stored.get("rating_average"), ratings=stored.get("rating_count") or 0))
        return hits

    def _sorted(self, shown: docsets.DocSets, wanted: int) -> list[int]:
        """The first ``wanted`` documents in the requested order (``ORDERS``; browsing
        without a query sorted by relevance shows the newest first).  An index built before
        a sort column existed is sorted by the columns it has until it is rebuilt."""
        fieldnames, ascending = ORDERS.get(self.request.sort, ORDERS["newest"])
        fieldnames = tuple(f for f in fieldnames if f in self.searcher.schema)
        pick = heapq.nsmallest if ascending else heapq.nlargest
        best: list[tuple[Any, int]] = []
        for (reader, offset), local in zip(shown.leaves, shown.sets, strict=True):
            columns = [docsets.sort_keys(reader, name) for name in fieldnames]

            def key(i: int, columns: list[list[Any]] = columns) -> tuple[Any, ...]:
                return tuple(column[i] for column in columns)

            best.extend((key(i), offset + i) for i in pick(wanted, local, key=key))
        return [docnum for _key, docnum in pick(wanted, best)]


def _any_word(parsed: ParsedQuery, fields: dict[str, float], searcher: Searcher
              ) -> Query | None:
    """The query with its AND groups turned into one OR (exclusions kept)."""
    any_word = ParsedQuery(groups=(tuple(c for group in parsed.groups for c in group),),
                           excluded=parsed.excluded, text=parsed.text)
    return to_whoosh(any_word, fields, searcher.schema)


def _sorted_counts(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(((value, count) for value, count in counts.items() if value),
                  key=lambda item: (-item[1], item[0]))


def _stop_words_only(group: tuple[Clause, ...], schema: Schema) -> bool:
    """A group a language's analyzer drops entirely (*voor*, *the*): it says little about
    a document, so it does not count towards how many words a document has."""
    text = " ".join(word for clause in group for word in clause.words)
    return any(not list(schema[f"body_{language}"].process_text(text, mode="query"))
               for language in LANGUAGES)


def _query_language(searcher: Searcher, parsed: ParsedQuery) -> ranking.Preference | None:
    """Materials in the query's own language rank a little higher, when the words tell it.

    ``bijdragen aan open source`` found the English guide between the Dutch ones, because
    *open source* is in both.  Each word votes by how much more often it occurs (as that
    language's analyzer indexes it) in one language's materials than in the other's; a Dutch
    stop word such as *aan* votes for Dutch.  Both languages must be in the index.
    """
    # Deleted documents still count here until their segment is merged: near enough.
    sizes = {language: searcher.doc_frequency("language", language) for language in LANGUAGES}
    if not all(sizes.values()):
        return None
    evidence = 0.0
    for clause in (c for group in parsed.groups for c in group):
        for word in clause.words:
            rates = []
            for language in LANGUAGES:
                tokens = list(searcher.schema[f"body_{language}"].process_text(
                    word, mode="query"))
                if not tokens:  # a stop word here: strong evidence for this language
                    frequency = sizes[language]
                else:
                    frequency = searcher.doc_frequency(f"body_{language}", tokens[0])
                rates.append((frequency + 1) / (sizes[language] + 2))
            evidence += math.log(rates[0] / rates[1])
    if abs(evidence) < LANGUAGE_EVIDENCE:
        return None
    return ranking.Preference("language", LANGUAGES[0] if evidence > 0 else LANGUAGES[1],
                              LANGUAGE_BOOST)


def _highlight_words(parsed: ParsedQuery, searcher: Searcher) -> set[str]:
    """The query's words as typed and as each language's analyzer stems them."""
    words: set[str] = set()
    for clause in (c for group in parsed.groups for c in group):
        for word in clause.words:
            words.add(word)
            for name in (*(f"body_{language}" for language in LANGUAGES), "body_any"):
                field = searcher.schema[name]
                words.update(field.process_text(word, mode="query"))
    return words


def _typo_alternatives(searcher: Searcher) -> Callable[[str], list[str]]:
    """The words the index knows (in the neutral title and body) within one edit of a
    word, the commonest first; the first two letters must match, which keeps the walk
    through the term dictionary short."""
    reader = searcher.reader()

    def alternatives(word: str) -> list[str]:
        text = word.casefold()
        found = {term for name in ("title_any", "body_any")
                 for term in reader.terms_within(name, text, 1, prefix=2)}
        return sorted(found, key=lambda term: (-reader.doc_frequency("body_any", term),
                                               term))[:MAX_TYPO_ALTERNATIVES]

    return alternatives


def _suggest(searcher: Searcher, text: str) -> str | None:
    """"Did you mean": each word replaced by the closest word the index knows, if any.

    One edit away is looked for first, two (a swapped pair of letters) only when that finds
    nothing, with two letters fixed: the two-edit walk through the term dictionary took
    most of a search that found nothing (profiled).
    """
    corrector = searcher.corrector("body_any")
    title_corrector = searcher.corrector("title_any")
    words = text.split()
    changed = False
    suggested = []
    for word in words:
        clean = word.strip('"-').lower()
        if len(clean) < 4 or not clean.isalpha():
            suggested.append(word)
            continue
        options: list[str] = []
        for maxdist, prefix in ((1, 1), (2, 2)):
            options = title_corrector.suggest(clean, limit=1, maxdist=maxdist, prefix=prefix) \
                or corrector.suggest(clean, limit=1, maxdist=maxdist, prefix=prefix)
            if options:
                break
        if options and options[0] != clean:
            suggested.append(options[0])
            changed = True
        else:
            suggested.append(word)
    return " ".join(suggested) if changed else None


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
_related: OrderedDict[tuple[str, int, int, int], list[Related]] = OrderedDict()
_related_lock = threading.Lock()


def more_like_this(material_id: int, limit: int = 5) -> list[Related]:
    """Published materials whose words are most like this one's (from the index, so only
    published materials can appear).  Cached per index generation: a commit (a withdrawal
    too) or a rebuilt index gives a new key, so a cached list never outlives the index it
    was read from."""
    searcher = _searcher()
    key = (_local.held.target, searcher.reader().generation(), material_id, limit)
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
    hits = searcher.more_like(docnum, fieldname, text=text, top=limit, numterms=15,
                              filter=Term("language", language), normalize=True)
    return [Related(int(hit["id"]), hit["title"], hit["slug"], hit.get("licence", ""))
            for hit in hits if hit.get("id") not in (None, POSITION_ID, str(material_id))]
