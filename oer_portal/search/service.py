"""The one search service behind the search page and ``/api/v1/search``.

User text goes through our own parser (``query.py``) and never reaches Whoosh's query
language.  Only published materials are in the index at all, and the position document is
masked out of every search, so visibility does not depend on the query.  Each process
keeps a searcher per thread and refreshes it when the index changed (opening an index
costs far more than a search).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup
from whoosh import sorting
from whoosh.highlight import ContextFragmenter, HtmlFormatter
from whoosh.query import And, Every, Or, Query, Term
from whoosh.searching import Searcher

from oer_portal.search import indexer
from oer_portal.search.query import ParsedQuery, fuzzy_variant, parse, to_whoosh
from oer_portal.search.schema import LANGUAGES, POSITION_ID, query_fields

FACETS = ("subject", "level", "licence_family", "language", "kind", "has_attachments")
MULTI_VALUED = {"subject", "level"}
SORTS = ("relevance", "newest", "title")
MAX_PER_PAGE = 50
MAX_PAGE = 500
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


class MarkFormatter(HtmlFormatter):
    """``<mark>word</mark>`` and nothing else; the surrounding text is escaped by Whoosh."""

    template = "<%(tag)s>%(t)s</%(tag)s>"


def _searcher() -> Searcher:
    """This thread's searcher on the live index, reopened when the index changed.

    Not ``Searcher.refresh()``: it reuses the readers of unchanged segments together with
    their old deletion lists, so a replaced document was still found (seen here).
    """
    root = indexer.index_root()
    cached = _local.__dict__.setdefault("searchers", {})
    target = os.path.realpath(root / "live")
    entry = cached.get(str(root))
    if entry is not None and entry[0] == target and entry[1].up_to_date():
        return entry[1]
    if entry is not None:
        entry[1].close()
    searcher = indexer.open_index(root).searcher()
    cached[str(root)] = (os.path.realpath(root / "live"), searcher)
    return searcher


def _clean_request(request: SearchRequest) -> SearchRequest:
    filters = {name: tuple(v for v in values if v)[:20]
               for name, values in request.filters.items() if name in FACETS}
    return SearchRequest(
        query=request.query, filters={k: v for k, v in filters.items() if v},
        sort=request.sort if request.sort in SORTS else "relevance",
        page=min(max(request.page, 1), MAX_PAGE),
        per_page=min(max(request.per_page, 1), MAX_PER_PAGE))


def _filter(filters: Mapping[str, tuple[str, ...]]) -> Query | None:
    parts = [Or([Term(name, value) for value in values]) for name, values in filters.items()]
    return And(parts) if parts else None


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
    results = _run(searcher, query, request)
    widened = _any_word(parsed, fields, searcher) if len(parsed.groups) > 1 else None
    if widened is not None and 0 < results.scored_length() < TOP_UP_BELOW:
        # Few documents have every word: add those with some of them, ranked below (a
        # document with all words also matches the any-word query, so it scores higher).
        query = Or([query, widened])
        results = _run(searcher, query, request)
    fuzzy = False
    suggestion = None
    if results.scored_length() == 0 and not parsed.is_empty:
        # Typos: first the "did you mean" words exactly (a swapped pair of letters is two
        # edits, beyond the fuzzy fallback), then edit-distance-1 variants of the words.
        suggestion = _suggest(searcher, parsed.text)
        fallbacks = []
        if suggestion:
            fallbacks.append(to_whoosh(parse(suggestion), fields, searcher.schema))
        fallbacks.append(fuzzy_variant(parsed, fields, searcher.schema))
        for variant in fallbacks:
            if variant is None:
                continue
            fallback = _run(searcher, variant, request)
            if fallback.scored_length():
                results, fuzzy, query = fallback, True, variant
                break
        if not fuzzy and widened is not None:
            query = widened  # no document has every word
            results = _run(searcher, query, request)
    facets = _facet_counts(searcher, query, request, results)
    return _collect(request, parsed.text, results, facets, suggestion, fuzzy)


def _any_word(parsed: ParsedQuery, fields: dict[str, float], searcher: Searcher
              ) -> Query | None:
    """The query with its AND groups turned into one OR (exclusions kept)."""
    any_word = ParsedQuery(groups=(tuple(c for group in parsed.groups for c in group),),
                           excluded=parsed.excluded, text=parsed.text)
    return to_whoosh(any_word, fields, searcher.schema)


def _run(searcher: Searcher, query: Query, request: SearchRequest):  # type: ignore[no-untyped-def]
    facets = {name: _facet(name) for name in FACETS}
    sortedby, reverse = None, False
    if request.sort == "newest":
        sortedby, reverse = "published", True
    elif request.sort == "title":
        sortedby = "title_sort"
    results = searcher.search(
        query, limit=request.page * request.per_page, filter=_filter(request.filters),
        mask=Term("id", POSITION_ID), groupedby=facets, sortedby=sortedby, reverse=reverse,
        terms=True)
    results.fragmenter = ContextFragmenter(maxchars=220, surround=60)
    results.formatter = MarkFormatter(tagname="mark")
    return results


def _facet(name: str) -> sorting.FieldFacet:
    return sorting.FieldFacet(name, allow_overlap=name in MULTI_VALUED, maptype=sorting.Count)


def _facet_counts(searcher: Searcher, query: Query, request: SearchRequest,
                  results) -> dict[str, list[tuple[str, int]]]:  # type: ignore[no-untyped-def]
    """Counts per facet value.  A facet the visitor filters on is counted with only the
    *other* facets' filters, so its other values stay visible and can be added (values of
    one facet are OR-ed)."""
    facets = {}
    for name in FACETS:
        if name in request.filters:
            others = {k: v for k, v in request.filters.items() if k != name}
            counts = searcher.search(query, limit=1, filter=_filter(others),
                                     mask=Term("id", POSITION_ID),
                                     groupedby={name: _facet(name)}).groups(name)
        else:
            counts = results.groups(name)
        facets[name] = sorted(((str(value), count) for value, count in counts.items() if value),
                              key=lambda item: (-item[1], item[0]))
    return facets


def _collect(request: SearchRequest, text: str, results,  # type: ignore[no-untyped-def]
             facets: dict[str, list[tuple[str, int]]], suggestion: str | None,
             fuzzy: bool) -> SearchResults:
    start = (request.page - 1) * request.per_page
    hits = []
    for hit in results[start:start + request.per_page]:
        snippet = hit.highlights("body_any", top=2) or hit.highlights("description_any")
        hits.append(Hit(
            material_id=int(hit["id"]), external_id=hit.get("external_id", ""),
            title=hit["title"], slug=hit["slug"], description=hit.get("description", ""),
            licence=hit.get("licence", ""), language=hit.get("language", ""),
            kind=hit.get("kind", ""), score=float(hit.score or 0.0),
            highlights=Markup(snippet),  # noqa: S704 (Whoosh's HtmlFormatter escapes the text)
            published=hit.get("published")))
    return SearchResults(request, text, len(results), hits, facets, suggestion, fuzzy)


def _suggest(searcher: Searcher, text: str) -> str | None:
    """"Did you mean": each word replaced by the closest word the index knows, if any."""
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
        options = title_corrector.suggest(clean, limit=1, maxdist=2, prefix=1) or \
            corrector.suggest(clean, limit=1, maxdist=2, prefix=1)
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


def more_like_this(material_id: int, limit: int = 5) -> list[Related]:
    """Published materials whose words are most like this one's (from the index, so only
    published materials can appear)."""
    searcher = _searcher()
    docnum = searcher.document_number(id=str(material_id))
    if docnum is None:
        return []
    stored = searcher.stored_fields(docnum)
    # The words are weighed with the material's own language analyzer (stop words out), and
    # only materials in the same language are suggested.
    language = stored.get("language", "")
    fieldname = f"body_{language}" if language in LANGUAGES else "body_any"
    text = " ".join(filter(None, (stored.get("title"), stored.get("description"),
                                  stored.get("body_any"))))
    hits = searcher.more_like(docnum, fieldname, text=text, top=limit, numterms=15,
                              filter=Term("language", language), normalize=True)
    return [Related(int(hit["id"]), hit["title"], hit["slug"], hit.get("licence", ""))
            for hit in hits if hit.get("id") not in (None, POSITION_ID, str(material_id))]
