"""Benchmark: search relevance of our search service, against a plain BM25 baseline.

What is measured (all in one run, on the same imported corpus, so the two are comparable):

1. **Set-up.**  A fresh portal in a temporary folder (instance folder, file store, Whoosh
   index; a temporary SQLite database, or a throwaway PostgreSQL database with
   ``--database-uri``), migrated with the real Alembic migrations (``flask_migrate.upgrade``).
   An admin is created with ``accounts.service.create_user`` and ``<corpus>/materials`` is
   imported as ``flask materials import --as <admin>`` does it (``_common.import_corpus``:
   ``materials.interchange.import_path``, one commit per material, published at once), inside
   ``core.outbox.deferred()`` so that the search index is drained once, at the end of the
   block.  The benchmark then compares the index with the database (``search.indexer.check``);
   should anything still be pending (e.g. the end-of-import drain found the writer lock taken)
   it drains with ``indexer.drain(lock_timeout=30)`` and says so.
2. **Ours.**  Every query of ``<corpus>/queries-dev.tsv`` (columns ``query, language, filters,
   relevant_ids``; read with ``csv.QUOTE_NONE`` because phrase queries contain ``"``) goes
   through ``search.service.search(SearchRequest(query=..., filters=..., per_page=10))`` in a
   test request context, exactly as the search page calls it (our query parser, per-language
   analysers, field boosts, the typo-tolerant fallback).  The ``filters`` column
   (``key=value;key=value``, e.g. ``subject=mathematics``, ``level=secondary``,
   ``language=nl``) is mapped onto our facet names (``search.filters.FACETS``: subject, level,
   licence_family, language, kind, has_attachments); values are made codes the way the import
   does it (lower case, spaces to hyphens: ``computer science`` → ``computer-science``).
3. **Baseline.**  A plain BM25 index over the same published versions, read from the portal's
   database after the import: an SQLite FTS5 table (``tokenize='porter'``) with the columns
   title, description, body (``body_html`` as plain text via
   ``core.markdown.html_to_plain_text``), keywords (from ``meta``) and attachments (the
   ``stored_files.text`` of the version's attachments); no boosts, no caps, default ``bm25()``
   ranking (ties broken by material id).  The facets are stored in a plain table beside it
   (levels with their parents, as our index stores them) and the query's filters are SQL
   ``WHERE`` conditions on those columns.  The user query is made safe for FTS5 by quoting
   every whitespace-separated word (``"word"``, quotes inside removed, words without a letter
   or digit dropped) — so a quoted phrase is just its words.  Two variants are measured:
   **AND** (the words joined by spaces, FTS5's implicit AND) and **OR** (joined by ``OR``).
   "The baseline" of the targets is the better of the two by overall nDCG@10.

Scores: binary relevance (gain 1 for a listed id, the corpus ``id`` being our
``external_id``), nDCG@10 (ideal DCG over min(10, #relevant) hits) and recall@10 (found in the
top 10 / #relevant), averaged per query language and overall.  The corpus README calls the
lists good but not exhaustive, so treat small differences with care.

**Typo queries.**  The tsv does not mark them, so a query counts as one when one of its words
occurs in no material at all (FTS5 finds no row for that quoted word, after Porter stemming:
what a misspelling looks like, e.g. ``pyhton``) or when neither baseline variant has any
relevant id in its top 10 (the lexical match failed).  The reason is printed beside each.

Printed: the figures per language and overall, the issue's targets beside our figures
(overall ≥ baseline + 0.05, Dutch ≥ baseline + 0.10, no language below the baseline, every
typo query's relevant materials in our top 10, no query more than 0.10 below the baseline),
the typo queries, and one row per query sorted by *ours - baseline* nDCG@10 (worst first)
with our hit count, whether our typo fallback answered and ``<<`` where ours is more than
0.10 below the baseline; a last line counts and lists those queries.  This is a benchmark,
not a test: nothing passes or fails (the exit code is 0).

Run from the repository root (about a minute here, nearly all of it the import and indexing)::

    .venv/bin/python bench/relevance.py
    .venv/bin/python bench/relevance.py --corpus /path/to/corpus
    .venv/bin/python bench/relevance.py \\
        --database-uri postgresql+psycopg://postgres@127.0.0.1:5432/postgres

``--corpus`` defaults to ``../shared/corpus`` beside the repository.  Everything is written in
a temporary folder that is removed afterwards; with ``--database-uri`` (a PostgreSQL server) a
throwaway database is created on that server and dropped at the end.  The FTS5 baseline always
lives in an SQLite file in the temporary folder.
"""

from __future__ import annotations

import csv
import math
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    DEFAULT_CORPUS,
    CorpusImport,
    add_corpus_option,
    add_database_option,
    benchmark_parser,
    build_portal,
    database_uris,
    import_corpus,
    material_folders,
    progress,
)
from flask import Flask
from sqlalchemy import make_url, select

from oer_portal.extensions import db
from oer_portal.search.filters import FACETS, MULTI_VALUED, VOCABULARY_FACETS

QUERIES_FILE = "queries-dev.tsv"
K = 10
#: A query whose nDCG@10 is more than this below the baseline's is flagged (``<<``).
MAX_QUERY_DROP = 0.10

#: The spellings the tsv may use for our facet names (``search.filters.FACETS``).
FILTER_ALIASES = {"subjects": "subject", "levels": "level", "licence": "licence_family",
                  "license": "licence_family", "lang": "language"}

_HAS_WORD = re.compile(r"\w")


# -- the queries -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    text: str
    language: str
    filters: dict[str, tuple[str, ...]]
    raw_filters: str
    relevant: frozenset[str]


def _code(value: str) -> str:
    """A corpus value as our code, the way the import maps it (``computer science`` →
    ``computer-science``)."""
    return "-".join(value.strip().lower().split())


def parse_filters(raw: str, line: int) -> dict[str, tuple[str, ...]]:
    """``key=value;key=value`` (a value may list alternatives with commas) → facet → codes."""
    filters: dict[str, tuple[str, ...]] = {}
    for part in raw.split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        name = FILTER_ALIASES.get(_code(key), _code(key))
        if not sep or name not in FACETS or not value.strip():
            sys.exit(f"{QUERIES_FILE} line {line}: cannot read the filter {part!r} "
                     f"(expected key=value with a key among {', '.join(FACETS)}).")
        codes = tuple(_code(v) for v in value.split(",") if v.strip())
        filters[name] = filters.get(name, ()) + codes
    return filters


def read_queries(path: Path) -> list[Query]:
    queries = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        expected = ["query", "language", "filters", "relevant_ids"]
        if header is None or [h.strip() for h in header[:4]] != expected:
            sys.exit(f"{path}: expected the columns {', '.join(expected)}; found {header}.")
        for line, row in enumerate(reader, start=2):
            if not any(cell.strip() for cell in row):
                continue
            row = row + [""] * (4 - len(row))
            query, language, raw_filters, ids = (cell.strip() for cell in row[:4])
            relevant = frozenset(i.strip() for i in ids.split(",") if i.strip())
            if not query or not relevant:
                sys.exit(f"{path} line {line}: a query and at least one relevant id are needed.")
            queries.append(Query(query, language or "?", parse_filters(raw_filters, line),
                                 raw_filters, relevant))
    if not queries:
        sys.exit(f"{path}: no queries.")
    return queries


# -- the portal --------------------------------------------------------------------------------


@dataclass
class IndexState:
    """The index after the import, compared with the database."""

    indexed: int
    #: How the index got filled: by the drain at the end of ``deferred()``, or by ours.
    drained_by: str
    drift: str


def index_state(app: Flask) -> IndexState:
    """``search.indexer.check()`` after the import; should anything still be pending (the
    end-of-import drain found the writer lock taken), drained here and said so."""
    from oer_portal.search import indexer

    with app.app_context():
        drift = indexer.check()
        drained_by = "the drain at the end of outbox.deferred()"
        if not drift.clean:
            before = (f"{len(drift.missing)} missing, {len(drift.stale)} stale, "
                      f"{drift.pending} pending")
            result = indexer.drain(lock_timeout=30)
            drained_by = (f"this benchmark (after the import the index had {before}; "
                          f"drain(lock_timeout=30) applied {result.applied} entries)")
            drift = indexer.check()
        state = (f"{len(drift.missing)} missing, {len(drift.stale)} stale, "
                 f"{drift.pending} pending")
        published = indexer.published_count()
        indexed = published - len(drift.missing)
    progress(f"index: {indexed} of {published} published materials; filled by {drained_by}")
    return IndexState(indexed, drained_by, state)


def vocabulary_codes(app: Flask) -> dict[str, set[str]]:
    from oer_portal.materials.metadata import vocabularies

    with app.app_context():
        terms = vocabularies()
        return {name: set(terms[name]) for name in VOCABULARY_FACETS if name in terms}


# -- ours --------------------------------------------------------------------------------------


@dataclass
class Ranking:
    ids: list[str]
    total: int = 0
    fuzzy: bool = False
    seconds: float = 0.0


def run_ours(app: Flask, queries: Sequence[Query]) -> list[Ranking]:
    from oer_portal.search.service import SearchRequest, search

    rankings = []
    with app.test_request_context():
        for query in queries:
            start = time.perf_counter()
            results = search(SearchRequest(query=query.text, filters=query.filters,
                                           per_page=K))
            seconds = time.perf_counter() - start
            rankings.append(Ranking([hit.external_id for hit in results.hits[:K]],
                                    results.total, results.fuzzy, seconds))
    return rankings


# -- the BM25 baseline -------------------------------------------------------------------------


@dataclass(frozen=True)
class BaselineDocument:
    material_id: int
    external_id: str
    title: str
    description: str
    body: str
    keywords: str
    attachments: str
    facets: Mapping[str, tuple[str, ...]]


def baseline_documents(app: Flask) -> list[BaselineDocument]:
    """The published versions as plain text and facet values, read from the database."""
    from oer_portal.core.markdown import html_to_plain_text
    from oer_portal.licences import registry
    from oer_portal.materials.metadata import VersionFields, vocabularies
    from oer_portal.materials.models import Material, MaterialStatus, MaterialVersion

    documents = []
    with app.app_context():
        levels = vocabularies()["level"]
        rows = db.session.execute(
            select(Material, MaterialVersion)
            .join(MaterialVersion, MaterialVersion.id == Material.published_version_id)
            .where(Material.status == MaterialStatus.PUBLISHED)
            .order_by(Material.id)).all()
        for material, version in rows:
            fields = VersionFields.of(version)
            licence = registry.get(version.licence)
            with_parents = list(fields.levels)
            for code in fields.levels:
                parent = levels[code].parent_code if code in levels else None
                if parent and parent not in with_parents:
                    with_parents.append(parent)
            facets = {
                "subject": tuple(fields.subjects),
                "level": tuple(with_parents),
                "licence_family": (licence.family if licence else version.licence,),
                "language": (version.language,),
                "kind": (material.kind,),
                "has_attachments": ("yes" if version.attachments else "no",),
                # The portal's own materials have no collection (harvested records do).
                "collection": ("",),
            }
            documents.append(BaselineDocument(
                material.id, material.external_id or "", version.title, version.description,
                html_to_plain_text(version.body_html), " ".join(fields.keywords),
                " ".join(a.file.text or "" for a in version.attachments), facets))
        db.session.rollback()
    return documents


def build_fts(path: Path, documents: Sequence[BaselineDocument]) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.execute("CREATE VIRTUAL TABLE fts USING fts5("
                       "title, description, body, keywords, attachments, tokenize='porter')")
    columns = ", ".join(FACETS)
    connection.execute(f"CREATE TABLE docs (id INTEGER PRIMARY KEY, external_id TEXT, {columns})")
    for doc in documents:
        connection.execute(
            "INSERT INTO fts (rowid, title, description, body, keywords, attachments) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (doc.material_id, doc.title, doc.description, doc.body, doc.keywords,
             doc.attachments))
        # Multi-valued facets as ``|a|b|`` so that one value is matched with instr().
        values = ["|" + "|".join(doc.facets[name]) + "|" if name in MULTI_VALUED
                  else doc.facets[name][0] for name in FACETS]
        placeholders = ", ".join("?" * (2 + len(FACETS)))
        connection.execute(f"INSERT INTO docs VALUES ({placeholders})",  # noqa: S608
                           (doc.material_id, doc.external_id, *values))
    connection.commit()
    return connection


def fts_words(query: str) -> list[str]:
    """The user's words, each quoted for FTS5 (so no word can be FTS5 syntax)."""
    words = (word.replace('"', "") for word in query.split())
    return [f'"{word}"' for word in words if _HAS_WORD.search(word)]


def fts_search(connection: sqlite3.Connection, query: Query, operator: str) -> Ranking:
    words = fts_words(query.text)
    if not words:
        return Ranking([])
    match = (" OR " if operator == "OR" else " ").join(words)
    conditions, parameters = ["fts MATCH ?"], [match]
    for name, values in query.filters.items():  # names are checked against FACETS
        if name in MULTI_VALUED:
            conditions.append("(" + " OR ".join(f"instr(d.{name}, ?) > 0" for _ in values) + ")")
            parameters += [f"|{value}|" for value in values]
        else:
            conditions.append(f"d.{name} IN ({', '.join('?' * len(values))})")
            parameters += list(values)
    where = " AND ".join(conditions)
    start = time.perf_counter()
    ids = [row[0] for row in connection.execute(
        f"SELECT d.external_id FROM fts JOIN docs d ON d.id = fts.rowid WHERE {where} "  # noqa: S608
        f"ORDER BY bm25(fts), d.id LIMIT {K}", parameters)]
    total = connection.execute(
        f"SELECT count(*) FROM fts JOIN docs d ON d.id = fts.rowid WHERE {where}",  # noqa: S608
        parameters).fetchone()[0]
    return Ranking(ids, total, False, time.perf_counter() - start)


def unknown_words(connection: sqlite3.Connection, query: str) -> list[str]:
    """Words of ``query`` that occur in no material (after Porter stemming)."""
    return [word.strip('"') for word in fts_words(query) if connection.execute(
        "SELECT count(*) FROM fts WHERE fts MATCH ?", (word,)).fetchone()[0] == 0]


# -- scores ------------------------------------------------------------------------------------


def ndcg(ranked: Sequence[str], relevant: frozenset[str], k: int = K) -> float:
    dcg = sum(1 / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]) if doc in relevant)
    ideal = sum(1 / math.log2(rank + 2) for rank in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall(ranked: Sequence[str], relevant: frozenset[str], k: int = K) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


@dataclass
class Scores:
    ndcg: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)

    def add(self, ranking: Ranking, relevant: frozenset[str]) -> None:
        self.ndcg.append(ndcg(ranking.ids, relevant))
        self.recall.append(recall(ranking.ids, relevant))

    @property
    def mean_ndcg(self) -> float:
        return sum(self.ndcg) / len(self.ndcg) if self.ndcg else 0.0

    @property
    def mean_recall(self) -> float:
        return sum(self.recall) / len(self.recall) if self.recall else 0.0


SYSTEMS = ("ours", "OR", "AND")


def scores_by_group(queries: Sequence[Query], runs: Mapping[str, Sequence[Ranking]]
                    ) -> dict[str, dict[str, Scores]]:
    """group (each query language, then ``overall``) → system → scores."""
    languages = sorted({q.language for q in queries}, key=lambda lang: (lang != "nl", lang))
    groups: dict[str, dict[str, Scores]] = {
        group: {system: Scores() for system in runs} for group in [*languages, "overall"]}
    for index, query in enumerate(queries):
        for system, rankings in runs.items():
            for group in (query.language, "overall"):
                groups[group][system].add(rankings[index], query.relevant)
    return groups


# -- report ------------------------------------------------------------------------------------


def _short(value: str, width: int) -> str:
    return value if len(value) <= width else value[:width - 1] + "…"


@dataclass(frozen=True)
class TypoQuery:
    """A query that looks like a typo (see the module docstring), and how we did on it."""

    query: Query
    reason: str
    #: Its relevant materials in our top 10.
    found: int

    @property
    def complete(self) -> bool:
        return self.found == len(self.query.relevant)


def typo_queries(queries: Sequence[Query], runs: Mapping[str, list[Ranking]],
                 connection: sqlite3.Connection) -> list[TypoQuery]:
    """The queries with a word no material holds, or whose relevant materials lexical
    matching did not find."""
    typos = []
    for index, query in enumerate(queries):
        unknown = unknown_words(connection, query.text)
        lexical_miss = not any(set(runs[s][index].ids) & query.relevant for s in ("OR", "AND"))
        if unknown or lexical_miss:
            reasons = []
            if unknown:
                reasons.append("unknown word " + ", ".join(repr(w) for w in unknown))
            if lexical_miss:
                reasons.append("no baseline finds a relevant id in its top 10")
            found = len(set(runs["ours"][index].ids) & query.relevant)
            typos.append(TypoQuery(query, "; ".join(reasons), found))
    return typos


@dataclass(frozen=True)
class QueryRow:
    """One query's figures, ours against the baseline's."""

    query: Query
    ours: Ranking
    baseline: Ranking
    ours_ndcg: float
    base_ndcg: float

    @property
    def diff(self) -> float:
        return self.ours_ndcg - self.base_ndcg

    @property
    def flagged(self) -> bool:
        """More than ``MAX_QUERY_DROP`` below the baseline (the issue's per-query target)."""
        return self.diff < -MAX_QUERY_DROP - 1e-12


def query_rows(queries: Sequence[Query], runs: Mapping[str, list[Ranking]], base: str
               ) -> list[QueryRow]:
    """One row per query, sorted by ours - baseline nDCG@10, worst for us first (ties in the
    order of the tsv)."""
    rows = [(QueryRow(query, runs["ours"][index], runs[base][index],
                      ndcg(runs["ours"][index].ids, query.relevant),
                      ndcg(runs[base][index].ids, query.relevant)), index)
            for index, query in enumerate(queries)]
    return [row for row, _index in sorted(rows, key=lambda item: (item[0].diff, item[1]))]


def print_targets(groups: Mapping[str, Mapping[str, Scores]], base: str,
                  typos: Sequence[TypoQuery], rows: Sequence[QueryRow]) -> None:
    overall = groups["overall"]
    print(f"  Targets from the issue (nDCG@10; the baseline = {base}):")

    def target_line(label: str, ours: float, wanted: float) -> None:
        verdict = "met" if ours >= wanted - 1e-12 else "NOT met"
        print(f"    {label:<44} ours {ours:.3f}  wanted ≥ {wanted:.3f}  ({verdict})")

    def count_line(label: str, figure: str, met: bool) -> None:
        print(f"    {label:<44} {figure}  ({'met' if met else 'NOT met'})")

    target_line("overall ≥ baseline + 0.05", overall["ours"].mean_ndcg,
                overall[base].mean_ndcg + 0.05)
    if "nl" in groups:
        target_line("Dutch (nl) ≥ baseline + 0.10", groups["nl"]["ours"].mean_ndcg,
                    groups["nl"][base].mean_ndcg + 0.10)
    for group, by_system in groups.items():
        if group != "overall":
            target_line(f"no language below baseline: {group}", by_system["ours"].mean_ndcg,
                        by_system[base].mean_ndcg)
    complete = sum(1 for typo in typos if typo.complete)
    count_line("every typo query: all relevant in our top 10",
               f"{complete} of {len(typos)} typo queries", complete == len(typos))
    flagged = sum(1 for row in rows if row.flagged)
    count_line(f"no query more than {MAX_QUERY_DROP:.2f} below the baseline",
               f"{flagged} of {len(rows)} queries", flagged == 0)


def print_typos(typos: Sequence[TypoQuery]) -> None:
    print("  Typo queries (the tsv marks none; detected as described in the docstring):")
    if not typos:
        print("    none")
    for typo in typos:
        verdict = "yes" if typo.complete else "NO"
        print(f"    {_short(typo.query.text, 38):<38}  all relevant in our top 10: {verdict:<3} "
              f"({typo.found}/{len(typo.query.relevant)})  [{typo.reason}]")


def print_queries(rows: Sequence[QueryRow], base: str) -> None:
    print(f"  Per query, sorted by ours - baseline ({base}) nDCG@10, worst for us first "
          f"(hits: our total; '~' = our typo fallback answered; '<<' = more than "
          f"{MAX_QUERY_DROP:.2f} below the baseline):")
    print(f"    {'query':<42}{'lang':<5}{'filters':<20}{'#rel':>5}{'ours':>7}{'base':>7}"
          f"{'diff':>8}{'R ours':>8}{'R base':>8}{'hits':>7}")
    for row in rows:
        query = row.query
        hits = f"{'~' if row.ours.fuzzy else ''}{row.ours.total}"
        print(f"    {_short(query.text, 41):<42}{query.language:<5}"
              f"{_short(query.raw_filters or '-', 19):<20}{len(query.relevant):>5}"
              f"{row.ours_ndcg:>7.3f}{row.base_ndcg:>7.3f}{row.diff:>+8.3f}"
              f"{recall(row.ours.ids, query.relevant):>8.2f}"
              f"{recall(row.baseline.ids, query.relevant):>8.2f}{hits:>7}"
              f"{'  <<' if row.flagged else ''}")
    flagged = [row for row in rows if row.flagged]
    listed = "; ".join(f"{row.query.text} ({row.diff:+.3f})" for row in flagged)
    print(f"  queries more than {MAX_QUERY_DROP:.2f} below the baseline: {len(flagged)}"
          f"{f' ({listed})' if flagged else ''}")


def report(queries: Sequence[Query], runs: Mapping[str, list[Ranking]],
           connection: sqlite3.Connection, imported: CorpusImport, index: IndexState,
           known_ids: set[str], materials: Path, dialect: str, warnings: list[str]) -> None:
    groups = scores_by_group(queries, runs)
    overall = groups["overall"]
    best = "OR" if overall["OR"].mean_ndcg >= overall["AND"].mean_ndcg else "AND"
    other = "AND" if best == "OR" else "OR"
    base = best

    print()
    print(f"Search relevance: {len(queries)} queries ({QUERIES_FILE}) on {index.indexed} "
          f"materials from {materials} ({dialect})")
    print(f"  import: {imported.created} created, {imported.updated} updated, "
          f"{imported.unchanged} unchanged, {len(imported.failed)} failed "
          f"in {imported.seconds:.1f} s, then {imported.drain_seconds:.1f} s of index drain")
    for name, reason in imported.failed[:10]:
        print(f"    failed: {name}: {reason}")
    print(f"  index filled by {index.drained_by}; now {index.drift}")
    for warning in warnings:
        print(f"  warning: {warning}")
    print()
    print(f"  {'':10}{'queries':>8}   {'ours':^17}   {'baseline OR':^17}   "
          f"{'baseline AND':^17}   {'ours - baseline':^17}")
    print(f"  {'':10}{'':>8}   " + "   ".join([f"{'nDCG@10':>8} {'R@10':>8}"] * 4))
    for group, by_system in groups.items():
        cells = [f"{by_system[s].mean_ndcg:>8.3f} {by_system[s].mean_recall:>8.3f}"
                 for s in SYSTEMS]
        cells.append(f"{by_system['ours'].mean_ndcg - by_system[base].mean_ndcg:>+8.3f} "
                     f"{by_system['ours'].mean_recall - by_system[base].mean_recall:>+8.3f}")
        print(f"  {group:<10}{len(by_system['ours'].ndcg):>8}   " + "   ".join(cells))
    print()
    print(f"  THE BASELINE is FTS5 bm25() with {best} between the quoted words: the better of "
          f"the two variants (overall nDCG@10 {overall[best].mean_ndcg:.3f} against "
          f"{overall[other].mean_ndcg:.3f} with {other}).")
    empty = {s: sum(1 for r in runs[s] if not r.ids) for s in SYSTEMS}
    print(f"  queries with no result at all: ours {empty['ours']}, baseline OR {empty['OR']}, "
          f"baseline AND {empty['AND']}")
    mean_ms = {s: 1000 * sum(r.seconds for r in runs[s]) / len(runs[s]) for s in SYSTEMS}
    print(f"  mean time per query: ours {mean_ms['ours']:.1f} ms, baseline OR "
          f"{mean_ms['OR']:.1f} ms, baseline AND {mean_ms['AND']:.1f} ms")

    typos = typo_queries(queries, runs, connection)
    rows = query_rows(queries, runs, base)
    print()
    print_targets(groups, base, typos, rows)
    print()
    print_typos(typos)
    print()
    print_queries(rows, base)
    missing = sorted({i for q in queries for i in q.relevant} - known_ids)
    if missing:
        print()
        print(f"  {len(missing)} relevant ids are not among the published materials "
              f"(they count as misses for both): {', '.join(missing[:10])}"
              f"{' …' if len(missing) > 10 else ''}")


# -- main --------------------------------------------------------------------------------------


def check_filters(queries: Sequence[Query], codes: Mapping[str, set[str]]) -> list[str]:
    warnings = []
    for query in queries:
        for name, values in query.filters.items():
            for value in values:
                if name in codes and value not in codes[name]:
                    warnings.append(f"query {query.text!r}: {name}={value} is no code of the "
                                    f"{name} vocabulary, so the filter matches nothing")
    return warnings


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(__doc__)
    add_corpus_option(parser)
    add_database_option(parser)
    args = parser.parse_args(argv)

    materials = args.corpus / "materials"
    queries_path = args.corpus / QUERIES_FILE
    if not materials.is_dir() or not queries_path.is_file():
        sys.exit(f"No corpus at {args.corpus}: it needs materials/ and {QUERIES_FILE}; pass "
                 f"--corpus <folder> (default {DEFAULT_CORPUS}).")
    queries = read_queries(queries_path)

    with tempfile.TemporaryDirectory(prefix="oer-relevance-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with database_uris(args.database_uri, tmp, ["relevance"]) as (uri,):
            dialect = make_url(uri).get_backend_name()
            print(f"Corpus: {materials}; database: {dialect}", file=sys.stderr, flush=True)
            app = build_portal(tmp, uri)
            imported = import_corpus(app, materials, len(material_folders(materials)),
                                     "import")
            index = index_state(app)
            warnings = check_filters(queries, vocabulary_codes(app))
            documents = baseline_documents(app)
            connection = build_fts(tmp / "baseline.db", documents)
            try:
                runs = {"ours": run_ours(app, queries),
                        "OR": [fts_search(connection, q, "OR") for q in queries],
                        "AND": [fts_search(connection, q, "AND") for q in queries]}
                report(queries, runs, connection, imported, index,
                       {d.external_id for d in documents}, materials, dialect, warnings)
            finally:
                connection.close()
                with app.app_context():
                    db.engine.dispose()


if __name__ == "__main__":
    main()
