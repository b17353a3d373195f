"""The one search service behind the search page and ``/api/v1/search``.

User text goes through our own parser (``query.py``) and never reaches Whoosh's query
language; the strategies in ``strategies.py`` answer it.  Only published materials are in
the index at all, and the position document is masked out of every search, so visibility
does not depend on the query.  Filters arrive as codes (``filters.resolve`` turns names into
them).  Harvested records of other collections are found beside the materials (a ``Hit``
with ``record_id`` and ``collection`` set, opening at its ``url`` elsewhere) unless a request
asks for materials only (the arrangement builder, the home page's counts).

What a search works out from the index and its words alone (the queries built, the
documents they match, compound forms and corrections, scoring statistics, each hit's
stored fields and snippet) is kept in the searcher's memo (``searchers.Memo``) for the next
search of the same words; a new commit of the index means a new searcher and an empty
memo, so nothing kept outlives the index it was read from.  Only what the visitor's
filters, sort and page change is worked out for every search.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from markupsafe import Markup
from whoosh.searching import Searcher

from oer_portal.search import docsets, highlight, language, searchers, strategies
from oer_portal.search.filters import FACETS
from oer_portal.search.query import ParsedQuery, parse
from oer_portal.search.record_documents import record_id_of
from oer_portal.search.run import Scoring, SearchRun
from oer_portal.search.schema import LANGUAGES

SORTS = ("relevance", "newest", "rating", "title")
MAX_PER_PAGE = 50
MAX_PAGE = 500


@dataclass(frozen=True)
class SearchRequest:
    query: str = ""
    #: Facet → codes (see ``filters.resolve``); anything else is ignored.
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    #: Harvested records of other collections too (``False``: the portal's materials only).
    include_records: bool = True


@dataclass(frozen=True)
class Hit:
    #: The material's id; ``None`` for a harvested record (see ``record_id``).
    material_id: int | None
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
    #: A harvested record's id, its collection's name and its home page elsewhere.
    record_id: int | None = None
    collection: str = ""
    url: str = ""

    @property
    def is_record(self) -> bool:
        return self.record_id is not None


@dataclass(frozen=True)
class SearchResults:
    request: SearchRequest
    query_text: str
    total: int
    hits: list[Hit]
    #: Facet → (value, count), most first; kept for later searches of the same words and
    #: filters on the same index commit, so never to be changed.
    facets: dict[str, list[tuple[str, int]]]
    #: The query as corrected, when its results are for the corrected words.
    suggestion: str | None = None
    #: The results are for other words than those typed (corrected or one edit away).
    fuzzy: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.request.per_page))


def _clean_request(request: SearchRequest) -> SearchRequest:
    filters = {name: tuple(v for v in values if v)[:20]
               for name, values in request.filters.items() if name in FACETS}
    return SearchRequest(
        query=request.query, filters={k: v for k, v in filters.items() if v},
        sort=request.sort if request.sort in SORTS else "relevance",
        page=min(max(request.page, 1), MAX_PAGE),
        per_page=min(max(request.per_page, 1), MAX_PER_PAGE),
        include_records=request.include_records)


def search(request: SearchRequest) -> SearchResults:
    """The page of results ``request`` asks for, with facet counts and, where the typed
    words found nothing, the words that did."""
    return search_in(searchers.current(), request)


def search_in(searcher: Searcher, request: SearchRequest) -> SearchResults:
    """:func:`search` on ``searcher`` (the live index's, or another of the same schema).
    Each term's postings are read from the index at most once in it (``docsets.one_search``)."""
    with docsets.one_search():
        return _search(searcher, request)


def _search(searcher: Searcher, request: SearchRequest) -> SearchResults:
    request = _clean_request(request)
    run = SearchRun(searcher, request.filters, include_records=request.include_records)
    parsed = parse(request.query)
    if not request.query.strip():  # no query browses everything
        everything = run.everything()
        answer: strategies.Answer | None = strategies.Answer(
            None, everything, run.filtered(everything), parsed, Scoring())
    else:  # a query with nothing left to look for finds nothing
        answer = None if parsed.is_empty else strategies.answer(run, parsed)
    if answer is None:
        return SearchResults(request, parsed.text, 0, [], {name: [] for name in FACETS})
    # A facet nobody filters on is counted over the documents shown; see ``run.filtered``.
    # The counts depend on the words and the filters alone (not on the page or the sort).
    facets = run.remember(("facets", parsed, tuple(sorted(request.filters.items()))), lambda: {
        name: _sorted_counts(docsets.counts(
            run.filtered(answer.matched, leave_out=name) if name in run.filters
            else answer.shown, name)) for name in FACETS})
    preference = run.memo.get(("language", tuple(parsed.words())),
                              lambda: language.query_language(searcher, parsed))
    scoring = replace(answer.scoring, preference=preference)
    start = (request.page - 1) * request.per_page
    ranked = run.ranked(answer.query, answer.shown, request.sort, start,
                        start + request.per_page, scoring, answer.matched)
    expression = run.memo.get(("highlight", answer.marked), lambda: highlight.pattern(
        _highlight_words(answer.marked, searcher)))
    hits = [_scored(run.memo.get(("hit", docnum, expression and expression.pattern),
                                 lambda docnum=docnum: _hit(searcher, docnum, 0.0, expression)),
                    score)
            for docnum, score in ranked]
    return SearchResults(request, parsed.text, len(answer.shown), hits, facets,
                         answer.suggestion, answer.fuzzy)


def _scored(hit: Hit, score: float) -> Hit:
    """A remembered hit (its stored fields and snippet depend on the index and the words
    alone) with this search's score."""
    return hit if hit.score == score else replace(hit, score=score)


def _hit(searcher: Searcher, docnum: int, score: float,
         expression: re.Pattern[str] | None) -> Hit:
    stored = searcher.stored_fields(docnum)
    snippet = highlight.snippet(stored.get("snippet", ""), expression) or \
        highlight.snippet(stored.get("description", ""), expression)
    record_id = record_id_of(stored["id"])
    return Hit(
        material_id=int(stored["id"]) if record_id is None else None,
        record_id=record_id, collection=stored.get("collection") or "",
        url=stored.get("url") or "", external_id=stored.get("external_id", ""),
        title=stored["title"], slug=stored.get("slug") or "",
        description=stored.get("description", ""),
        licence=stored.get("licence", ""), language=stored.get("language", ""),
        kind=stored.get("kind", ""), score=score, highlights=snippet,
        published=stored.get("published"), rating=stored.get("rating_average"),
        ratings=stored.get("rating_count") or 0)


def indexed(facet: str, value: str) -> bool:
    """Whether the index holds ``value`` in ``facet`` as written (``filters.resolve``)."""
    try:
        return (facet, value) in searchers.current().reader()
    except (KeyError, ValueError):
        return False


def _sorted_counts(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(((value, count) for value, count in counts.items() if value),
                  key=lambda item: (-item[1], item[0]))


def _highlight_words(parsed: ParsedQuery, searcher: Searcher) -> set[str]:
    """The query's words as typed and as each language's analyzer stems them."""
    words: set[str] = set()
    for word in parsed.words():
        words.add(word)
        for name in (*(f"body_{code}" for code in LANGUAGES), "body_any"):
            words.update(searcher.schema[name].process_text(word, mode="query"))
    return words
