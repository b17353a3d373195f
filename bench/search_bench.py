"""Benchmark: search at scale (indexing, query latency, freshness), against naive bare Whoosh.

What is measured (all in one run, on one machine, so only the ratios are meant to be compared):

1. **Set-up.**  A fresh portal in a temporary folder (SQLite database, file store, Whoosh index,
   instance folder), migrated with the real Alembic migrations (``_common.build_portal``).
   ``<corpus>/materials`` (1,160 material folders) is imported through the real import
   (``_common.import_corpus``: ``materials.interchange.import_path`` as ``flask materials
   import --as <admin>`` calls it, one commit per material, published at once) inside
   ``core.outbox.deferred()``, so the index is filled by one drain at the end (timed and
   printed as the corpus drain).  With ``--n`` below the corpus size only the first N folders
   are imported.
2. **Synthetic materials** up to N, made by ``bench/_generator.py`` (its docstring says how):
   lesson-sized texts (300-1,500 words), Dutch-looking (55 %), English-looking (40 %) and a
   few Frisian/German-tagged ones, a Zipf-weighted school vocabulary, subject words, fixed
   phrases (``elektrische stroom``) and 30,000 random pseudo-words per language; the word
   ``zonnewijzer`` lands in about one document in 1,500 (the "rare word").  They are written
   **directly with SQLAlchemy Core**, 200 materials per transaction (materials, versions with
   the exact ``body_html`` that ``core.markdown.render_markdown`` makes, checked on a sample
   at start-up, publications, attachments on 10 %, one ``search_outbox`` row each): no
   validation, no audit log, no Markdown rendering; the search code under test reads them
   exactly as it reads materials written by the services.
3. **Indexing.**  ``search.indexer.reindex()`` (the full build of all N published materials,
   read from the database with ``search.documents.document_for``), timed, with documents/s,
   the size of the live generation folder and its segment count.  Then ``--drain`` (500)
   more synthetic publications are written the same way and ``search.indexer.drain()`` (the
   incremental path every commit takes) is timed for them.
4. **Naive baseline.**  A bare Whoosh index in the same temporary folder: a default schema
   (``id`` ID, ``title`` and ``body`` ``TEXT(stored=True)``, our facets, as
   ``search.filters.FACETS`` names them, as ``KEYWORD``, the publication date as a plain
   ``DATETIME``), filled with the same N + 500 published materials (title, the body text
   ``document_for`` gives: whole in a Dutch or English material's ``body_nl``/``body_en``,
   capped in another language's ``body_any``; the same facet values) by a default
   ``ix.writer()`` and one ``commit()``.  Only the Whoosh calls are timed; the time
   spent building the documents from the database (``document_for``, the same work
   ``reindex`` does per material) is timed separately and printed, so reindex's own Whoosh
   share can be estimated.  How many documents hold each word of the query mix is printed
   for both (ours in the ``words`` field, which holds every material's text as written).
5. **Query latency.**  A query mix of six types, each run ``--queries`` times (after 3
   warm-up runs each), round-robin, ours and naive interleaved:
   a common word, a rare word, three words, a "phrase", a word with two facet filters
   (subject and level), a word sorted by date (newest first).  *Ours*:
   ``search.service.search(SearchRequest(...))`` (20 hits a page) in a test request context,
   exactly as the search page calls it: our parser, per-language fields, facets on all six
   facet fields, highlights.  *Naive*: ``whoosh.qparser.MultifieldParser(["title", "body"])``
   (a ``QueryParser`` with the multifield plugin; the mix strings are safe literals), the
   filters as ``Term`` filters, ``groupedby`` the same six facets as ``FieldFacet`` counts
   (overlapping for subject and level) on the plain fields, ``sortedby`` the date field,
   ``hit.highlights("body")`` with Whoosh's default fragmenter and formatter for each of the
   20 hits, one searcher kept open throughout.  p50/p95 per type and the ratios ours/naive.
   Two quick passes of ours follow (``--queries`` / 5 runs each): after the freshness
   commits (more segments, deleted documents) and after ``FileIndex.optimize()`` (one
   segment, no deletions; the time of that full merge is printed too).
6. **Freshness.**  ``--fresh`` (30) materials are created with
   ``materials.service.create_material`` and committed as drafts, then published with
   ``materials.lifecycle.publish`` + ``current_uow().commit()`` (which drains the outbox after
   the commit, as a request does); the clock runs from ``publish`` until ``search()`` for a
   word unique to the material lists it (p50/p95, with the commit+drain part apart).  A
   reader thread searching without pause is timed for 10 s with nothing written and again
   during ``--fresh`` more publications, to show whether commits stall readers.
7. **Serving processes.**  A fresh process for ours and one for the naive index (this script
   with ``--serve``) runs only the query mix ``--queries`` rounds and reports its own peak RSS
   and p50/p95, so that the RSS is a serving process's and not the whole benchmark's.
8. **Peak RSS** after each phase: ``VmHWM`` from ``/proc/self/status`` (``ru_maxrss`` where
   there is none).  It is the peak of the *whole benchmark process* (importer, generator, both
   indexes, the baseline's searcher), not of a web worker.  Whoosh reads segment files
   through ``mmap``, so the index pages a reader touched count as RSS too; beside each peak
   the current ``RssAnon`` (heap) and ``RssFile`` (file-backed, mostly mapped index files)
   from ``/proc/self/status`` are printed (Linux).

``--profile`` runs the slowest query type of ours (by p50) ``--queries`` more times under
cProfile and prints the top functions.  This is a benchmark, not a test: nothing passes or
fails (the exit code is 0).

Run from the repository root (on a 2-core machine here: ``--n 10000 --profile`` took 9
minutes, ``--n 30000 --profile`` 25 minutes; about 80 % of it the index builds)::

    .venv/bin/python bench/search_bench.py                 # N = 10,000
    .venv/bin/python bench/search_bench.py --n 2000 --queries 20      # a quick run
    .venv/bin/python bench/search_bench.py --n 30000 --profile
    .venv/bin/python bench/search_bench.py --corpus /path/to/corpus

``--corpus`` defaults to ``../shared/corpus`` beside the repository.  Everything is written in a
temporary folder that is removed afterwards.  Progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    ADMIN_EMAIL,
    CorpusImport,
    add_corpus_option,
    benchmark_parser,
    build_portal,
    corpus_materials,
    folder_size,
    import_corpus,
    import_root,
    material_folders,
    mb,
    memory_now,
    ms,
    peak_rss_mb,
    percentile,
    progress,
    ratio,
    workdir,
)
from _generator import RARE_WORD, Inserted, LessonGenerator, insert_synthetic, make_generator
from flask import Flask
from sqlalchemy import select

from oer_portal.extensions import db
from oer_portal.search.filters import FACETS, MULTI_VALUED

WARM_UP = 3
PER_PAGE = 20


# -- indexes -----------------------------------------------------------------------------------


def live_folder(app: Flask) -> Path:
    return (Path(app.config["INDEX_DIR"]) / "live").resolve()


def segment_count(folder: Path) -> int:
    from whoosh import index as whoosh_index

    ix = whoosh_index.open_dir(str(folder))
    try:
        return len(ix._segments())  # no public count
    finally:
        ix.close()


@dataclass
class Timed:
    documents: int
    seconds: float
    size: int
    segments: int

    @property
    def rate(self) -> float:
        return self.documents / self.seconds if self.seconds else float("inf")


def timed_reindex(app: Flask) -> Timed:
    from oer_portal.search import indexer

    with app.app_context():
        start = time.perf_counter()

        def report(count: int) -> None:
            if count % 2000 == 0:
                progress(f"reindex: {count} documents ({time.perf_counter() - start:.1f} s)")

        count = indexer.reindex(progress=report)
        seconds = time.perf_counter() - start
        folder = live_folder(app)
    return Timed(count, seconds, folder_size(folder), segment_count(folder))


def timed_drain(app: Flask) -> Timed:
    from oer_portal.search import indexer

    with app.app_context():
        start = time.perf_counter()
        result = indexer.drain(lock_timeout=30)
        seconds = time.perf_counter() - start
        folder = live_folder(app)
    return Timed(result.applied, seconds, folder_size(folder), segment_count(folder))


def naive_schema():  # type: ignore[no-untyped-def]
    """Whoosh's default field types: the text as ``TEXT``, our facets (``search.filters``)
    as ``KEYWORD`` (comma-separated where a material has several values), the date plain."""
    from whoosh.fields import DATETIME, ID, KEYWORD, TEXT, Schema

    facets = {name: KEYWORD(stored=True, commas=name in MULTI_VALUED) for name in FACETS}
    return Schema(id=ID(stored=True, unique=True), title=TEXT(stored=True),
                  body=TEXT(stored=True), **facets, published=DATETIME(stored=True))


@dataclass
class NaiveBuild:
    timed: Timed
    document_seconds: float  # building the documents from the database (document_for)
    folder: Path


def build_naive(app: Flask, folder: Path) -> NaiveBuild:
    """The same published materials in a default-schema Whoosh index, default writer."""
    from whoosh import index as whoosh_index

    from oer_portal.core.db import read_only
    from oer_portal.materials.models import Material, MaterialStatus
    from oer_portal.search.documents import document_for

    folder.mkdir()
    ix = whoosh_index.create_in(str(folder), naive_schema())
    whoosh_seconds = document_seconds = 0.0
    count = 0
    with app.app_context(), read_only():
        ids = db.session.scalars(select(Material.id).where(
            Material.status == MaterialStatus.PUBLISHED).order_by(Material.id)).all()
        start = time.perf_counter()
        writer = ix.writer()
        whoosh_seconds += time.perf_counter() - start
        for material_id in ids:
            start = time.perf_counter()
            document = document_for(db.session.get(Material, material_id))
            db.session.expunge_all()
            document_seconds += time.perf_counter() - start
            if document is None:
                continue
            # The body is in the fields of its own language (full) or, for another language,
            # in the neutral ``body_any`` (capped as ours is).
            language = document["language"]
            own = f"body_{language}"
            body = document[own] if own in document else document["body_any"]
            facets = {name: document[name] for name in FACETS if name in document}
            start = time.perf_counter()
            writer.add_document(id=document["id"], title=document["title"], body=body,
                                **facets, published=document["published"])
            whoosh_seconds += time.perf_counter() - start
            count += 1
            if count % 2000 == 0:
                progress(f"naive index: {count} documents")
        start = time.perf_counter()
        writer.commit()
        whoosh_seconds += time.perf_counter() - start
        db.session.rollback()
    ix.close()
    return NaiveBuild(Timed(count, whoosh_seconds, folder_size(folder), segment_count(folder)),
                      document_seconds, folder)


# -- queries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryType:
    name: str
    text: str
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sort: str = "relevance"


QUERY_MIX = (
    QueryType("common word", "leerlingen"),
    QueryType("rare word", RARE_WORD),
    QueryType("three words", "energie water temperatuur"),
    QueryType("phrase", '"elektrische stroom"'),
    QueryType("2 facet filters", "energie",
              {"subject": ("physics",), "level": ("secondary",)}),
    QueryType("sorted by date", "klimaat", sort="newest"),
)


@dataclass
class Outcome:
    total: int
    hits: int
    highlighted: int


def run_ours(query: QueryType) -> Outcome:
    from oer_portal.search.service import SearchRequest, search

    results = search(SearchRequest(query=query.text, filters=dict(query.filters),
                                   sort=query.sort, per_page=PER_PAGE))
    return Outcome(results.total, len(results.hits),
                   sum(1 for hit in results.hits if hit.highlights))


class Naive:
    """Bare Whoosh the way its tutorial does it; one searcher kept open."""

    def __init__(self, folder: Path) -> None:
        from whoosh import index as whoosh_index
        from whoosh.qparser import MultifieldParser

        self.ix = whoosh_index.open_dir(str(folder))
        self.searcher = self.ix.searcher()
        self.parser = MultifieldParser(["title", "body"], self.ix.schema)

    def close(self) -> None:
        self.searcher.close()
        self.ix.close()

    def run(self, query: QueryType) -> Outcome:
        from whoosh import sorting
        from whoosh.query import And, Term

        parsed = self.parser.parse(query.text)
        terms = [Term(name, value) for name, values in query.filters.items() for value in values]
        facets = {name: sorting.FieldFacet(name, allow_overlap=name in MULTI_VALUED,
                                           maptype=sorting.Count) for name in FACETS}
        results = self.searcher.search(
            parsed, limit=PER_PAGE, filter=And(terms) if terms else None, groupedby=facets,
            sortedby="published" if query.sort == "newest" else None,
            reverse=query.sort == "newest")
        highlighted = 0
        page = results[:PER_PAGE]  # with groupedby, Whoosh collects every match (unlimited)
        for hit in page:
            _title = hit["title"]
            if hit.highlights("body"):
                highlighted += 1
        for name in FACETS:
            sorted(results.groups(name).items(), key=lambda item: -item[1])
        return Outcome(len(results), len(page), highlighted)


@dataclass
class Latency:
    ours: dict[str, list[float]]
    naive: dict[str, list[float]]
    ours_outcome: dict[str, Outcome]
    naive_outcome: dict[str, Outcome]


def drop_posting_caches() -> None:
    """Empty our posting caches (``docsets.drop_postings``: the postings and phrase matches
    kept across searches; a build before it had two caches of postings, all in
    ``docsets._caches``) and the searchers' memos of what searches worked out
    (``searchers.drop_memos``, where the build has them).  The per-segment columns (facets,
    field lengths, sort keys), the open searcher and the operating system's page cache stay
    as they are."""
    from oer_portal.search import docsets, searchers

    drop_memos = getattr(searchers, "drop_memos", None)
    if drop_memos is not None:
        drop_memos()
    drop = getattr(docsets, "drop_postings", None)
    if drop is not None:
        drop()
        return
    for cache in docsets._caches:  # a build from before drop_postings
        cache._values.clear()
        cache._size = 0


def measure_latency(app: Flask, naive: Naive | None, repetitions: int,
                    label: str, cold: bool = False) -> Latency:
    """The query mix, ours and naive interleaved.  ``cold``: our posting caches are emptied
    before each of our searches (``drop_posting_caches``; not timed); bare Whoosh keeps no
    postings between searches, so its runs are the same as in the warm pass."""
    ours: dict[str, list[float]] = {q.name: [] for q in QUERY_MIX}
    theirs: dict[str, list[float]] = {q.name: [] for q in QUERY_MIX}
    ours_outcome: dict[str, Outcome] = {}
    naive_outcome: dict[str, Outcome] = {}
    with app.test_request_context():
        for query in QUERY_MIX:
            for _ in range(WARM_UP):
                ours_outcome[query.name] = run_ours(query)
                if naive is not None:
                    naive_outcome[query.name] = naive.run(query)
        for repetition in range(repetitions):
            for query in QUERY_MIX:
                if cold:
                    drop_posting_caches()
                start = time.perf_counter()
                run_ours(query)
                ours[query.name].append(time.perf_counter() - start)
                if naive is not None:
                    start = time.perf_counter()
                    naive.run(query)
                    theirs[query.name].append(time.perf_counter() - start)
            if (repetition + 1) % 10 == 0:
                progress(f"{label}: {repetition + 1}/{repetitions} rounds")
        db.session.rollback()
    return Latency(ours, theirs, ours_outcome, naive_outcome)


def document_frequencies(app: Flask, naive_folder: Path) -> dict[str, str]:
    """How many documents hold each word of the mix: in our ``words`` field (every
    material's title, description and body as written, whatever its language) and in the
    naive index's body."""
    from whoosh import index as whoosh_index

    from oer_portal.search import indexer

    words = sorted({w.strip('"').lower() for q in QUERY_MIX for w in q.text.split()})
    result = {}
    with app.app_context():
        ix = indexer.open_index()
        naive_ix = whoosh_index.open_dir(str(naive_folder))
        with ix.searcher() as searcher, naive_ix.searcher() as naive_searcher:
            for word in words:
                result[word] = (f"{searcher.doc_frequency('words', word)}/"
                                f"{naive_searcher.doc_frequency('body', word)}")
        naive_ix.close()
    return result


# -- freshness ---------------------------------------------------------------------------------


@dataclass
class Freshness:
    visible: list[float]  # publish → found by search()
    commit: list[float]  # publish + commit (with the after-commit drain)
    attempts: list[int]
    missed: int


def measure_freshness(app: Flask, generator: LessonGenerator, admin_id: int,
                      count: int, run_id: str) -> Freshness:
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind, MaterialVersion
    from oer_portal.materials.service import create_material
    from oer_portal.search.service import SearchRequest, search

    visible, commits, attempts = [], [], []
    missed = 0
    for number in range(count):
        lesson = generator.lesson(subject_bias="physics")
        marker = "vers" + "".join(generator.rng.choices("bcdfghjklmnpqrstvwxz", k=7))
        with app.test_request_context():
            uow = current_uow()
            actor = db.session.get(User, admin_id)
            fields = VersionFields(
                title=f"{lesson.title} {marker}", description=lesson.description,
                body=lesson.body + f"\n{marker}\n", language=lesson.language, licence="CC-BY-4.0",
                subjects=lesson.subjects, levels=lesson.levels, keywords=lesson.keywords,
                objectives=lesson.objectives, resource_type=lesson.resource_type)
            material = create_material(actor, MaterialKind.LESSON, fields,
                                       external_id=f"fresh-{run_id}-{number}")
            uow.commit()
            version = db.session.get(MaterialVersion, material.latest_version_id)
            start = time.perf_counter()
            lifecycle.publish(material, version, by=actor)
            uow.commit()
            committed = time.perf_counter()
            tries = 0
            found = False
            while time.perf_counter() - start < 30:
                tries += 1
                results = search(SearchRequest(query=marker, per_page=PER_PAGE))
                if any(hit.material_id == material.id for hit in results.hits):
                    found = True
                    break
                time.sleep(0.005)
            done = time.perf_counter()
            if found:
                visible.append(done - start)
                commits.append(committed - start)
                attempts.append(tries)
            else:
                missed += 1
    return Freshness(visible, commits, attempts, missed)


# -- readers during commits -------------------------------------------------------------------

READER_SECONDS = 10.0
READER_QUERY = QueryType("reader", "energie water")


class ReaderLoad:
    """A thread that searches without pause while the block runs, timing each search: run
    once while nothing is written and once during the freshness publications, it shows
    whether commits (and the merges the drain policy allows) stall readers."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.times: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with self.app.test_request_context():
            while not self._stop.is_set():
                start = time.perf_counter()
                run_ours(READER_QUERY)
                self.times.append(time.perf_counter() - start)
            db.session.rollback()

    def __enter__(self) -> ReaderLoad:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> str:
        if not self.times:
            return "no searches"
        return (f"{len(self.times)} searches, p50 {ms(percentile(self.times, 50))} ms, "
                f"p95 {ms(percentile(self.times, 95))} ms, max {ms(max(self.times))} ms")


# -- serving processes -------------------------------------------------------------------------


@dataclass
class Serving:
    peak_rss: float  # MB
    memory: str
    p50: float
    p95: float


def serve(folder: Path, naive: bool, repetitions: int) -> None:
    """``--serve``: run the query mix in this fresh process, which only serves searches, and
    print its figures as JSON (its peak RSS is a serving process's, not the benchmark's)."""
    app = build_portal(folder, f"sqlite:///{folder / 'portal.db'}")
    if naive:
        searcher = Naive(folder / "naive-index")
        with app.test_request_context():
            times = []
            for round_ in range(WARM_UP + repetitions):
                for query in QUERY_MIX:
                    start = time.perf_counter()
                    searcher.run(query)
                    if round_ >= WARM_UP:
                        times.append(time.perf_counter() - start)
    else:
        latency = measure_latency(app, None, repetitions, "serving process")
        times = [t for values in latency.ours.values() for t in values]
    print(json.dumps({"peak_rss": peak_rss_mb(), "memory": memory_now(),
                      "p50": percentile(times, 50), "p95": percentile(times, 95)}))


def measure_serving(folder: Path, naive: bool, repetitions: int) -> Serving:
    command = [sys.executable, __file__, "--serve", str(folder), "--queries", str(repetitions)]
    done = subprocess.run(  # noqa: S603 (this script, run again with our own arguments)
        [*command, "--naive"] if naive else command, capture_output=True,
        text=True, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return Serving(figures["peak_rss"], figures["memory"], figures["p50"], figures["p95"])


# -- profile -----------------------------------------------------------------------------------


def profile_query(app: Flask, run: Callable[[QueryType], Outcome], query: QueryType,
                  repetitions: int) -> str:
    profiler = cProfile.Profile()
    with app.test_request_context():
        run(query)
        profiler.enable()
        for _ in range(repetitions):
            run(query)
        profiler.disable()
        db.session.rollback()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("cumulative").print_stats(25)
    stats.sort_stats("tottime").print_stats(15)
    return out.getvalue()


# -- report ------------------------------------------------------------------------------------


def print_build(built: Built, materials: Path, drain: int) -> None:
    corpus, full, naive_build = built.corpus, built.full, built.naive
    print(f"  set-up: {built.published} from {materials}, {len(built.synthetic.ids)} synthetic;"
          f" corpus import {corpus.seconds:.1f} s ({corpus.created} created, "
          f"{len(corpus.failed)} failed), its end-of-import drain {corpus.drain_seconds:.1f} s "
          f"({built.published / corpus.drain_seconds if corpus.drain_seconds else 0:.0f} "
          f"docs/s); synthetic rows {built.synthetic.seconds:.1f} s "
          f"(of which generating the text {built.synthetic.generate_seconds:.1f} s)")
    for name, reason in corpus.failed[:5]:
        print(f"    failed: {name}: {reason}")
    print()
    print("Indexing")
    print(f"  {'':44}{'docs':>8}{'seconds':>10}{'docs/s':>9}{'index size':>13}{'segments':>10}")
    rows = [("ours: indexer.reindex() (full build)", full),
            (f"ours: indexer.drain() of {drain} new publications", built.incremental),
            ("naive: default writer, one commit (Whoosh only)", naive_build.timed)]
    for label, timed in rows:
        print(f"  {label:<44}{timed.documents:>8}{timed.seconds:>10.1f}{timed.rate:>9.1f}"
              f"{mb(timed.size):>13}{timed.segments:>10}")
    per_doc = naive_build.document_seconds / max(naive_build.timed.documents, 1)
    estimate = per_doc * full.documents
    whoosh_part = max(full.seconds - estimate, 1e-9)
    print(f"  building the documents from the database (document_for, as reindex does): "
          f"{naive_build.document_seconds:.1f} s for {naive_build.timed.documents} "
          f"({1000 * per_doc:.2f} ms each)")
    naive_end_to_end = naive_build.timed.documents / (
        naive_build.timed.seconds + naive_build.document_seconds)
    print(f"  reindex rate / bare Whoosh's rate: {full.rate / naive_build.timed.rate:.2f} "
          f"(ours: indexer.reindex() end to end, {full.rate:.0f} docs/s, reading the "
          f"database and building the documents included; bare Whoosh: its Whoosh calls "
          f"only, {naive_build.timed.rate:.0f} docs/s); against bare Whoosh with the same "
          f"document building timed in ({naive_end_to_end:.0f} docs/s, one process): "
          f"{full.rate / naive_end_to_end:.2f}")
    print(f"  => reindex ≈ {estimate:.1f} s documents + {whoosh_part:.1f} s Whoosh "
          f"({full.documents / whoosh_part:.0f} docs/s); Whoosh-only rate ours/naive "
          f"{(full.documents / whoosh_part) / naive_build.timed.rate:.2f}; "
          f"index size ours/naive {ratio(built.incremental.size, naive_build.timed.size)} "
          f"(both at {naive_build.timed.documents} docs)")


def print_latency(latency: Latency, repetitions: int, documents: int,
                  naive_documents: int) -> None:
    print()
    print(f"Query latency in ms ({repetitions} runs per type after {WARM_UP} warm-up runs, "
          f"round-robin, ours and naive interleaved; {PER_PAGE} hits a page, facets on "
          f"{len(FACETS)} fields and highlights in both; ours: {documents} documents, "
          f"naive: {naive_documents})")
    print(f"  {'query type':<17}{'query':<28}{'hits ours/naive':>16}"
          f"{'ours p50':>10}{'p95':>8}{'naive p50':>11}{'p95':>8}"
          f"{'ratio p50':>11}{'p95':>8}")
    all_ours: list[float] = []
    all_naive: list[float] = []
    for query in QUERY_MIX:
        ours, naive = latency.ours[query.name], latency.naive[query.name]
        all_ours += ours
        all_naive += naive
        label = query.text + "".join(f" {k}={','.join(v)}" for k, v in query.filters.items())
        if query.sort != "relevance":
            label += f" sort={query.sort}"
        hits = f"{latency.ours_outcome[query.name].total}/{latency.naive_outcome[query.name].total}"
        o50, o95 = percentile(ours, 50), percentile(ours, 95)
        n50, n95 = percentile(naive, 50), percentile(naive, 95)
        print(f"  {query.name:<17}{label[:27]:<28}{hits:>16}{ms(o50):>10}{ms(o95):>8}"
              f"{ms(n50):>11}{ms(n95):>8}{ratio(o50, n50):>11}{ratio(o95, n95):>8}")
    o50, o95 = percentile(all_ours, 50), percentile(all_ours, 95)
    n50, n95 = percentile(all_naive, 50), percentile(all_naive, 95)
    print(f"  {'whole mix':<17}{'':<28}{'':>16}{ms(o50):>10}{ms(o95):>8}{ms(n50):>11}"
          f"{ms(n95):>8}{ratio(o50, n50):>11}{ratio(o95, n95):>8}")


@dataclass
class Built:
    corpus: CorpusImport
    published: int
    synthetic: Inserted
    full: Timed
    incremental: Timed
    naive: NaiveBuild


def build(app: Flask, tmp: Path, materials: Path, generator: LessonGenerator,
          args: argparse.Namespace, rss: list[tuple[str, float, str]]) -> Built:
    """Import the corpus, add synthetic lessons up to ``--n``, reindex, drain ``--drain``
    more, and build the naive index from the same documents."""
    from oer_portal.search import indexer

    folders = material_folders(materials, args.n)
    corpus = import_corpus(app, import_root(materials, folders, tmp), len(folders),
                           "corpus import")
    rss.append(("corpus import", peak_rss_mb(), memory_now()))
    with app.app_context():
        published = indexer.published_count()
    synthetic = insert_synthetic(app, generator, max(0, args.n - published), corpus.admin_id,
                                 "synthetic insert")
    rss.append(("synthetic insert", peak_rss_mb(), memory_now()))
    progress("reindex() ...")
    full = timed_reindex(app)
    rss.append(("reindex", peak_rss_mb(), memory_now()))
    insert_synthetic(app, generator, args.drain, corpus.admin_id, "new publications")
    progress(f"drain() of {args.drain} new publications ...")
    incremental = timed_drain(app)
    rss.append(("drain", peak_rss_mb(), memory_now()))
    progress("naive index ...")
    naive = build_naive(app, tmp / "naive-index")
    rss.append(("naive build", peak_rss_mb(), memory_now()))
    return Built(corpus, published, synthetic, full, incremental, naive)


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--n", type=int, default=10_000,
                        help="materials in the full build: the corpus plus synthetic lessons "
                             "(default 10000)")
    parser.add_argument("--queries", type=int, default=50,
                        help="timed repetitions of each query type (default 50)")
    add_corpus_option(parser)
    parser.add_argument("--drain", type=int, default=500,
                        help="new publications applied by one incremental drain (default 500)")
    parser.add_argument("--fresh", type=int, default=30,
                        help="publications timed from publish to visible (default 30)")
    parser.add_argument("--profile", action="store_true",
                        help="profile the slowest query type of ours with cProfile")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="build in DIR (new or empty) and keep it, to measure again later")
    parser.add_argument("--reuse", type=Path, metavar="DIR",
                        help="measure a build kept with --keep again, without building (the "
                             "freshness and optimize phases change it)")
    parser.add_argument("--no-optimize", action="store_true",
                        help="skip the optimize() phase (over ten minutes at 100,000)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--naive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.naive, args.queries)
        return

    materials = corpus_materials(args.corpus)
    if args.n < 1 or args.queries < 1:
        sys.exit("--n and --queries must be at least 1.")
    import whoosh

    rss: list[tuple[str, float, str]] = []
    total_start = time.perf_counter()
    with workdir(args.keep or args.reuse, "oer-search-bench-") as tmp:
        app = build_portal(tmp, f"sqlite:///{tmp / 'portal.db'}")
        from oer_portal.search import indexer

        generator = make_generator(app)
        if args.reuse:
            built = None
            from oer_portal.accounts.models import User

            with app.app_context():
                admin_id = db.session.scalar(select(User.id).where(User.email == ADMIN_EMAIL))
                reused_docs = indexer.published_count()
                db.session.rollback()
            progress(f"reusing the build in {tmp}: {reused_docs} published materials")
        else:
            built = build(app, tmp, materials, generator, args, rss)
            admin_id = built.corpus.admin_id
        naive_folder = tmp / "naive-index"
        frequencies = document_frequencies(app, naive_folder)
        run_id = time.strftime("%Y%m%d%H%M%S")

        naive = Naive(naive_folder)
        latency = measure_latency(app, naive, args.queries, "queries")
        rss.append(("queries", peak_rss_mb(), memory_now()))
        progress("cold queries ...")
        cold = measure_latency(app, naive, args.queries, "cold queries", cold=True)
        slowest = max(QUERY_MIX, key=lambda q: percentile(latency.ours[q.name], 50))
        naive_slowest = max(QUERY_MIX, key=lambda q: percentile(latency.naive[q.name], 50))
        profiles = []
        if args.profile:
            progress("profiling ...")
            profiles = [(f"ours, {args.queries} runs of our slowest type", slowest,
                         profile_query(app, run_ours, slowest, args.queries)),
                        (f"naive, {args.queries} runs of its slowest type", naive_slowest,
                         profile_query(app, naive.run, naive_slowest, args.queries))]
        naive.close()
        progress("serving processes (ours, naive) ...")
        serving = {kind: measure_serving(tmp, kind == "naive", args.queries)
                   for kind in ("ours", "naive")}

        progress(f"freshness: {args.fresh} publications ...")
        fresh = measure_freshness(app, generator, admin_id, args.fresh, run_id)
        progress("a reader, alone and during publications ...")
        quiet = ReaderLoad(app)
        with quiet:
            time.sleep(READER_SECONDS)
        busy = ReaderLoad(app)
        with busy:
            measure_freshness(app, generator, admin_id, args.fresh, f"{run_id}-reader")
        rss.append(("freshness", peak_rss_mb(), memory_now()))
        segments_after = segment_count(live_folder(app))
        size_after = folder_size(live_folder(app))
        second_reps = max(5, args.queries // 5)
        after = measure_latency(app, None, second_reps, "queries after freshness")
        optimized = None
        if not args.no_optimize:
            progress("optimize() ...")
            with app.app_context():
                start = time.perf_counter()
                indexer.open_index().optimize()
                optimize_seconds = time.perf_counter() - start
            optimized = measure_latency(app, None, second_reps, "queries after optimize")
            rss.append(("optimize", peak_rss_mb(), memory_now()))
            segments_optimized = segment_count(live_folder(app))
            size_optimized = folder_size(live_folder(app))
        with app.app_context():
            final_docs = indexer.published_count()
            db.engine.dispose()

        # -- report ----------------------------------------------------------------------------
        print()
        documents = final_docs - 2 * args.fresh
        print(f"Search benchmark: N = {documents} materials before the freshness publications"
              f"{'' if built else f' (a build reused from {tmp})'}; SQLite; "
              f"Whoosh {whoosh.versionstring()}, Python {sys.version.split()[0]}")
        if built:
            print_build(built, materials, args.drain)
        print("  document frequency of the mix's words (ours words / naive body): "
              + ", ".join(f"{w} {f}" for w, f in frequencies.items()))

        print_latency(latency, args.queries, documents, documents)
        print()
        print("Cold: our posting caches emptied before each of our searches "
              "(bench's drop_posting_caches; facet columns, field lengths and sort keys "
              "kept, searcher open); naive as above (bare Whoosh keeps no postings). "
              "Ratio = ours / naive latency (below 1: ours is faster).")
        print_latency(cold, args.queries, documents, documents)
        print(f"  after the {args.fresh} freshness commits ({segments_after} segments, "
              f"{mb(size_after)}, {final_docs} docs), ours p50/p95 in ms over {second_reps} "
              "runs: " + ", ".join(
                  f"{q.name} {ms(percentile(after.ours[q.name], 50))}/"
                  f"{ms(percentile(after.ours[q.name], 95))}" for q in QUERY_MIX))

        if optimized is not None:
            print(f"  after FileIndex.optimize() ({optimize_seconds:.1f} s; {segments_optimized} "
                  f"segment, {mb(size_optimized)}, no deleted documents), ours p50/p95 in ms "
                  f"over {second_reps} runs: " + ", ".join(
                      f"{q.name} {ms(percentile(optimized.ours[q.name], 50))}/"
                      f"{ms(percentile(optimized.ours[q.name], 95))}" for q in QUERY_MIX))

        print()
        if fresh.visible:
            print(f"Freshness over {len(fresh.visible)} publications (lifecycle.publish + "
                  f"current_uow().commit(), whose after-commit drain indexes it; until "
                  f"search() lists it): p50 {ms(percentile(fresh.visible, 50))} ms, "
                  f"p95 {ms(percentile(fresh.visible, 95))} ms, max {ms(max(fresh.visible))} ms")
            print(f"  of which publish + commit + drain: p50 {ms(percentile(fresh.commit, 50))} "
                  f"ms, p95 {ms(percentile(fresh.commit, 95))} ms; searches needed: "
                  f"{statistics.mean(fresh.attempts):.2f} on average, max {max(fresh.attempts)}")
        print(f"  a reader thread searching {READER_QUERY.text!r} without pause (same "
              f"process, so it shares the GIL with the publisher): {READER_SECONDS:.0f} s with "
              f"nothing written: {quiet.summary()}; during {args.fresh} more publications: "
              f"{busy.summary()}")
        if fresh.missed:
            print(f"  NOT visible within 30 s: {fresh.missed} of {args.fresh}")

        print()
        print(f"Serving processes (a fresh process each that only runs the query mix, "
              f"{args.queries} rounds): ours peak RSS {serving['ours'].peak_rss:.0f} MB"
              f"{serving['ours'].memory}, p50/p95 {ms(serving['ours'].p50)}/"
              f"{ms(serving['ours'].p95)} ms; naive peak RSS {serving['naive'].peak_rss:.0f} MB"
              f"{serving['naive'].memory}, p50/p95 {ms(serving['naive'].p50)}/"
              f"{ms(serving['naive'].p95)} ms; RSS ratio "
              f"{ratio(serving['ours'].peak_rss, serving['naive'].peak_rss)}")
        print("Peak RSS of the whole benchmark process (VmHWM; includes the corpus import, "
              "the generator, both indexes, the baseline's searcher and mmap'd index pages), "
              "after each phase: "
              + "; ".join(f"{name} {value:.0f} MB{now}" for name, value, now in rss))
        print(f"Total run time {time.perf_counter() - total_start:.0f} s.")
        for label, query, text in profiles:
            print()
            print(f"cProfile of {label} ({query.name}: {query.text!r}):")
            print(text)


if __name__ == "__main__":
    main()
