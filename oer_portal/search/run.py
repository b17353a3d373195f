"""One search's view of the index: its segments, the visitor's filters as document sets, and
the page of results in the order asked for."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from whoosh.query import Query
from whoosh.searching import Searcher

from oer_portal.search import docsets, ranking, searchers
from oer_portal.search.query import ParsedQuery, to_whoosh
from oer_portal.search.schema import LANGUAGES, POSITION_ID, RECORD, query_fields

#: Sort order (other than relevance) → the sortable columns compared in turn, and whether
#: the smallest comes first.  Equal ratings show the newest first.
ORDERS: dict[str, tuple[tuple[str, ...], bool]] = {
    "newest": (("published",), False), "rating": (("rating", "published"), False),
    "title": (("title_sort",), True)}
T = TypeVar("T")


@dataclass(frozen=True)
class Scoring:
    """What ranks the documents of a relevance page besides the query's own BM25F score."""

    #: The documents each group of the query matched: a score is multiplied by the share
    #: of groups a document has (see ``ranking.top``); empty when every group must match.
    groups: Sequence[docsets.DocSets] = ()
    #: For each pair of words next to each other in the query, which documents have them
    #: together.
    close: Sequence[docsets.Together] = ()
    preference: ranking.Preference | None = None


class SearchRun:
    def __init__(self, searcher: Searcher, filters: Mapping[str, tuple[str, ...]],
                 include_records: bool = True) -> None:
        self.searcher = searcher
        self.include_records = include_records
        #: What this searcher's earlier searches worked out (``searchers.Memo``).
        self.memo = searchers.memo(searcher)
        self.leaves = docsets.leaves(searcher)
        #: The position document, which is no material: taken out of every result; and the
        #: harvested records when only the portal's own materials are asked for.
        self.hidden = self.remember(("hidden",), self._hidden)
        self.filters = {
            name: self.remember(("filter", name, values), lambda values=values, name=name:
                                docsets.union(self.leaves, (docsets.term(self.leaves, name, v)
                                                            for v in values)))
            for name, values in filters.items()}

    def remember(self, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
        """``compute()``, worked out once per index commit for ``key`` and whether records
        are searched (the hidden documents differ)."""
        return self.memo.get((self.include_records, *key), compute)

    def _hidden(self) -> docsets.DocSets:
        hidden = docsets.term(self.leaves, "id", POSITION_ID)
        if not self.include_records:
            hidden = hidden | docsets.term(self.leaves, "source", RECORD)
        return hidden

    def matching(self, query: Query) -> docsets.DocSets:
        return self.remember(("matching", query), lambda: docsets.matching(
            self.searcher, query, self.leaves) - self.hidden)

    def everything(self) -> docsets.DocSets:
        return self.remember(("everything",),
                             lambda: docsets.every(self.leaves) - self.hidden)

    def filtered(self, docs: docsets.DocSets, leave_out: str | None = None) -> docsets.DocSets:
        """``docs`` within every filter but ``leave_out``'s: a facet the visitor filters on
        is counted with only the *other* facets' filters, so its other values stay visible
        and can be added (values of one facet are OR-ed)."""
        for name, allowed in self.filters.items():
            if name != leave_out:
                docs = docs & allowed
        return docs

    def group_matches(self, parsed: ParsedQuery) -> list[docsets.DocSets]:
        """The documents each group of ``parsed`` matches, for ranking by the share of the
        words a document has.  A group of stop words only (*voor*, *the*) says little about
        a document and is left out.  Worked out once per index commit and query."""
        return list(self.remember(("groups", parsed),
                                  lambda: tuple(self._group_matches(parsed))))

    def _group_matches(self, parsed: ParsedQuery) -> list[docsets.DocSets]:
        schema = self.searcher.schema
        result = []
        for group in parsed.groups:
            text = " ".join(word for clause in group for word in clause.words)
            if any(not list(schema[f"body_{language}"].process_text(text, mode="query"))
                   for language in LANGUAGES):
                continue
            query = to_whoosh(ParsedQuery((group,), (), ""), query_fields(), schema)
            if query is not None:
                result.append(self.matching(query))
        return result

    def ranked(self, query: Query | None, shown: docsets.DocSets, sort: str, start: int,
               wanted: int, scoring: Scoring, matched: docsets.DocSets | None = None
               ) -> list[tuple[int, float]]:
        """Documents ``start`` to ``wanted`` of ``shown`` as (document number, score): by
        relevance when there is a query, else in the order ``sort`` names (browsing shows
        the newest first).  ``matched``: the query's documents before the filters (a query
        searched again is ranked over them once, see ``ranking.top``)."""
        if not len(shown) or start >= len(shown):
            return []
        if sort == "relevance" and query is not None:
            return ranking.top(self.searcher, query, shown, wanted, scoring.preference,
                               scoring.groups, scoring.close, self.remember,
                               scope=matched)[start:]
        return [(docnum, 0.0) for docnum in self._sorted(shown, sort, wanted)[start:]]

    def _sorted(self, shown: docsets.DocSets, sort: str, wanted: int) -> list[int]:
        """The first ``wanted`` documents in the order ``sort`` names.  An index built before
        a sort column existed is sorted by the columns it has until it is rebuilt."""
        fieldnames, ascending = ORDERS.get(sort, ORDERS["newest"])
        fieldnames = tuple(f for f in fieldnames if f in self.searcher.schema)
        pick = heapq.nsmallest if ascending else heapq.nlargest
        best: list[tuple[Any, int]] = []
        for (reader, offset), local in zip(shown.leaves, shown.sets, strict=True):
            columns = [docsets.sort_keys(reader, name) for name in fieldnames]

            def key(i: int, columns: list[list[Any]] = columns) -> tuple[Any, ...]:
                return tuple(column[i] for column in columns)

            best.extend((key(i), offset + i) for i in pick(wanted, local, key=key))
        return [docnum for _key, docnum in pick(wanted, best)]
