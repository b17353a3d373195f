"""What the home page shows: ways in by level and by subject, and the newest materials.

Service layer: no request, no URLs.  The view links the entry points to the search page
with their facet and code, and the cards to the materials.

- **Counts** are the search service's facet counts over everything it holds (published
  materials only), so the number beside "havo" is the number of results the link opens,
  parent levels included (a havo lesson also counts under "secondary").
- **Levels** follow the vocabulary's tree.  Every main level (po, vo, mbo, higher, adult
  education) is shown, linked when it has materials and marked "none yet" when not: the
  list is short and fixed, the first choice a teacher makes, and "none yet" answers "is
  there anything for po?" without a click into an empty result.  A narrower level (vmbo,
  havo, vwo under vo; hbo and wo under higher education) is shown only when it has
  materials: its parent's count already covers it, and a havo teacher who finds no "havo"
  line still has the vo materials one click away (the corpus, for one, tags its lessons
  "secondary" and none "havo").
- **Subjects** are only those with materials: there are two dozen, most of them empty on a
  young portal, and a wall of unlinked names would hide the ones that lead somewhere.
- **Newest** is ``queries.newest_mixed_ids`` (rounds over languages, and over subjects within
  a language), cached per process until the published set changes.
- **Cached**: the whole page but its cards, per language, until the published set or the
  search index changes (:func:`home_page`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from oer_portal.extensions import db
from oer_portal.materials import queries
from oer_portal.materials.metadata import Term, vocabularies
from oer_portal.search import searchers
from oer_portal.search.service import SearchRequest, search

#: Cards in the "newest" list: four rows of three on a wide screen.
NEWEST = 12
#: A subject without a code of its own comes last, whatever its name.
LAST_SUBJECTS = ("other",)


@dataclass(frozen=True)
class EntryPoint:
    """A way into the search page: ``/search?<facet>=<code>``, with how many it finds."""

    facet: str
    code: str
    label: str
    count: int
    #: Narrower levels (vmbo, havo and vwo under secondary education).
    children: tuple[EntryPoint, ...] = ()


@dataclass(frozen=True)
class HomePage:
    #: How many materials are published (and searchable) in all.
    total: int
    levels: tuple[EntryPoint, ...]
    subjects: tuple[EntryPoint, ...]
    newest: tuple[queries.MaterialCard, ...]


def home_page(locale: str) -> HomePage:
    """Everything the home page shows, labelled in ``locale``.

    The counts (one search over everything, the page's dearest part), the labels and the
    newest ids are kept per language and per process, keyed by :func:`_cache_key`: the
    published set in the database (one indexed read, so every worker process sees a
    publication, a withdrawal or an unpublishing at its next request, whichever process made
    it) and the commit of the search index the counts were read from.  A draft saved changes
    neither, so it keeps the cached page.  The cards are read fresh for the cached ids (one
    statement by primary key), so a withdrawn material never shows.
    """
    key = _cache_key()
    cached = _pages.get(locale)
    if cached is None or cached.key != key:
        results = search(SearchRequest(per_page=1, include_records=False))
        terms = vocabularies()
        cached = _CachedHome(
            key, results.total,
            level_entries(terms["level"], dict(results.facets["level"]), locale),
            subject_entries(terms["subject"], dict(results.facets["subject"]), locale),
            tuple(newest_ids(NEWEST, key[1])))
        # One assignment of a new dict: threads need no lock (two that miss at once both
        # work it out, and either answer is right).
        _pages.update({locale: cached})
    return HomePage(total=cached.total, levels=cached.levels, subjects=cached.subjects,
                    newest=tuple(queries.published_cards(cached.newest)))


@dataclass(frozen=True)
class _CachedHome:
    key: tuple[object, ...]
    total: int
    levels: tuple[EntryPoint, ...]
    subjects: tuple[EntryPoint, ...]
    newest: tuple[int, ...]


#: Locale → the last home page worked out in it.
_pages: dict[str, _CachedHome] = {}


def _cache_key() -> tuple[object, ...]:
    """What the cached home page depends on: the database (two apps in one process, as in
    the tests, never share an answer), its published set, and the search index's commit."""
    return (db.engine.url.render_as_string(), queries.publication_state(),
            searchers.generation())


def level_entries(terms: Mapping[str, Term], counts: Mapping[str, int], locale: str
                  ) -> tuple[EntryPoint, ...]:
    """Every main level in the vocabulary's order, with the narrower ones that have
    materials under it."""
    def entry(term: Term) -> EntryPoint:
        return EntryPoint("level", term.code, term.label(locale), counts.get(term.code, 0),
                          tuple(entry(child) for child in terms.values()
                                if child.parent_code == term.code and counts.get(child.code)))

    return tuple(entry(term) for term in terms.values() if term.parent_code is None)


def subject_entries(terms: Mapping[str, Term], counts: Mapping[str, int], locale: str
                    ) -> tuple[EntryPoint, ...]:
    """The subjects that have materials, by name in ``locale`` ("Other" last): a teacher
    looks for their own subject by name, not by how much there is of it."""
    entries = [EntryPoint("subject", code, term.label(locale), counts[code])
               for code, term in terms.items() if counts.get(code)]
    return tuple(sorted(entries, key=lambda e: (e.code in LAST_SUBJECTS, e.label.casefold())))


@dataclass(frozen=True)
class _Newest:
    key: tuple[object, ...]
    ids: tuple[int, ...]


#: The last answer; replacing it is one assignment, so threads need no lock (two that miss
#: at once both work it out, and either answer is right).
_newest: _Newest | None = None


def newest_ids(limit: int,
               state: tuple[int, datetime | None, datetime | None] | None = None
               ) -> list[int]:
    """``queries.newest_mixed_ids``, worked out again only when the published set changed.

    Working it out reads the language and subject of every published version (12 ms for
    the 1,160 lessons of the corpus on SQLite, growing with every lesson); checking whether
    it changed is one indexed count (0.1 ms).  The key names the database too, so two apps
    in one process (the tests) never share an answer.  The cards are read fresh every time
    and only for published materials, so a cached list never shows what was withdrawn.
    """
    global _newest
    key = (db.engine.url.render_as_string(), limit,
           state if state is not None else queries.publication_state())
    cached = _newest
    if cached is not None and cached.key == key:
        return list(cached.ids)
    ids = tuple(queries.newest_mixed_ids(limit))
    _newest = _Newest(key, ids)
    return list(ids)
