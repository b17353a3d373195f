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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from oer_portal.extensions import db
from oer_portal.materials import queries
from oer_portal.materials.metadata import Term, vocabularies
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
    """Everything the home page shows, labelled in ``locale``: one search (no SQL) for the
    counts, the vocabularies (read once per request), and the newest cards in one or two
    statements."""
    results = search(SearchRequest(per_page=1, include_records=False))
    terms = vocabularies()
    return HomePage(
        total=results.total,
        levels=level_entries(terms["level"], dict(results.facets["level"]), locale),
        subjects=subject_entries(terms["subject"], dict(results.facets["subject"]), locale),
        newest=tuple(queries.published_cards(newest_ids(NEWEST))))


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
    key: tuple[str, int, int, datetime | None]
    ids: tuple[int, ...]


#: The last answer; replacing it is one assignment, so threads need no lock (two that miss
#: at once both work it out, and either answer is right).
_newest: _Newest | None = None


def newest_ids(limit: int) -> list[int]:
    """``queries.newest_mixed_ids``, worked out again only when the published set changed.

    Working it out reads the language and subject of every published version (12 ms for
    the 1,160 lessons of the corpus on SQLite, growing with every lesson); checking whether
    it changed is one indexed count (0.1 ms).  The key names the database too, so two apps
    in one process (the tests) never share an answer.  The cards are read fresh every time
    and only for published materials, so a cached list never shows what was withdrawn.
    """
    global _newest
    count, latest = queries.publication_state()
    key = (db.engine.url.render_as_string(), limit, count, latest)
    cached = _newest
    if cached is not None and cached.key == key:
        return list(cached.ids)
    ids = tuple(queries.newest_mixed_ids(limit))
    _newest = _Newest(key, ids)
    return list(ids)
