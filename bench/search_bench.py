"""Benchmark: search at scale (indexing, query latency, freshness), against naive bare Whoosh.

What is measured (all in one run, on one machine, so only the ratios are meant to be compared):

1. **Set-up.**  A fresh portal in a temporary folder (SQLite database, file store, Whoosh index,
   instance folder), migrated with the real Alembic migrations.  ``<corpus>/materials`` (1,160
   material folders) is imported through the real import (``materials.interchange.import_path``
   as ``flask materials import --as <admin>`` calls it, one commit per material, published at
   once) inside ``core.outbox.deferred()``, so the index is filled by one drain at the end
   (timed and printed as the corpus drain).  With ``--n`` below the corpus size only the first
   N folders are imported.
2. **Synthetic materials** up to N.  Lesson-sized texts (300-1,500 words) are generated here:
   Dutch-looking (55 %), English-looking (40 %) and a few Frisian/German-tagged ones written
   with the Dutch generator; a small school vocabulary (Zipf-weighted) plus subject words,
   stop words, a few fixed phrases (``elektrische stroom``) and a pool of 30,000 random
   pseudo-words per language (so the term dictionary grows like a real one); the word
   ``zonnewijzer`` lands in about one document in 1,500 (the "rare word").  Varied subjects
   (one or two), levels (one or two, any of the vocabulary), every licence in the registry,
   kinds ``lesson`` (90 %) and ``link`` (10 %), one attachment (an existing stored file of the
   corpus, so its extracted text) on 10 %, publication dates spread over 2019-2025.
   They are written **directly with SQLAlchemy Core**, the way ``bench/import_bench.py``'s
   baseline does it, 200 materials per transaction: rows in ``materials``,
   ``material_versions`` (``body_html`` is written by the generator as the exact HTML
   ``core.markdown.render_markdown`` makes of the generated Markdown; a sample is rendered
   and compared at start-up, and the run stops if they differ), ``material_publications``,
   ``version_attachments`` and one ``search_outbox`` row each, then an UPDATE pointing
   ``latest_version_id``/``published_version_id`` at the version.  No validation, no audit
   log, no Markdown rendering: this only fills the database fast; the search code under test
   reads it exactly as it reads materials written by the services.
3. **Indexing.**  ``search.indexer.reindex()`` (the full build of all N published materials,
   read from the database with ``search.documents.document_for``), timed, with documents/s,
   the size of the live generation folder and its segment count.  Then ``--drain`` (500)
   more synthetic publications are written the same way and ``search.indexer.drain()`` (the
   incremental path every commit takes) is timed for them.
4. **Naive baseline.**  A bare Whoosh index in the same temporary folder: a default schema
   (``id`` ID, ``title`` and ``body`` ``TEXT(stored=True)``, the facets as ``KEYWORD``, the
   publication date as a plain ``DATETIME``), filled with the same N + 500 published
   materials (title, full body text, the same facet values ``document_for`` gives) by a
   default ``ix.writer()`` and one ``commit()``.  Only the Whoosh calls are timed; the time
   spent building the documents from the database (``document_for``, the same work
   ``reindex`` does per material) is timed separately and printed, so reindex's own Whoosh
   share can be estimated.
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
   word unique to the material lists it (p50/p95, with the commit+drain part apart).
7. **Peak RSS**: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` after each phase.  It is the
   peak of the *whole benchmark process* (importer, generator, both indexes, the baseline's
   searcher), not of a web worker.  Whoosh reads segment files through ``mmap``, so the
   index pages a reader touched count as RSS too; beside each peak the current ``RssAnon``
   (heap) and ``RssFile`` (file-backed, mostly mapped index files) from ``/proc/self/status``
   are printed (Linux).

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
import itertools
import json
import math
import pstats
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import build_portal, progress_printer
from flask import Flask
from sqlalchemy import bindparam, func, select

from oer_portal.extensions import db

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"

#: Still argon2id, but cheap (as in the test suite).
ADMIN_EMAIL = "bench-admin@example.org"
ADMIN_PASSWORD = "a benchmark password that is long enough"  # noqa: S105
SEED = 20240604
INSERT_BATCH = 200
WARM_UP = 3
PER_PAGE = 20
FACETS = ("subject", "level", "licence_family", "language", "kind", "has_attachments")
MULTI_VALUED = frozenset({"subject", "level"})


def progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """The process's peak resident set size so far: VmHWM on Linux (``ru_maxrss`` is carried
    over from the parent across fork and exec, so a child would report the benchmark's),
    else ``ru_maxrss`` (macOS reports bytes)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def memory_now() -> str:
    """Current resident memory split into anonymous (heap) and file-backed pages (Whoosh
    reads segments through mmap, so open index files count as RSS); Linux only."""
    try:
        fields = dict(line.split(":", 1) for line in
                      Path("/proc/self/status").read_text().splitlines() if ":" in line)
    except OSError:
        return ""
    values = {key: int(fields[key].split()[0]) / 1024 for key in ("RssAnon", "RssFile")
              if key in fields}
    return (f" (now {values['RssAnon']:.0f} anon + {values['RssFile']:.0f} file-backed)"
            if len(values) == 2 else "")


# -- synthetic lessons -------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


FUNCTION_WORDS = {
    "nl": _words("de het een en van in is op met voor dat die te om aan als bij ook naar je we ze "
          "zijn wordt er dan of maar door over uit nog hoe wat deze kan"),
    "en": _words("the a an and of in is on with for that to as at by from this it are be or but "
          "not how what which their they we you can"),
}
GENERAL_WORDS = {
    "nl": _words("leerlingen les opdracht docent vraag antwoord uitleg voorbeeld tekst "
          "werkblad groep klas onderwerp begrip kennis vaardigheid oefening samenvatting "
          "toets resultaat "
          "onderzoek water energie tijd wereld mensen natuur klimaat temperatuur proces model "
          "gegevens grafiek tabel bron informatie verschil oorzaak gevolg manier belangrijk "
          "verschillende eerst daarna samen zelf goed nieuwe grote kleine lezen schrijven "
          "rekenen bespreken onderzoeken beschrijven verklaren vergelijken maken gebruiken "
          "kiezen denken leren werken zien weten stap doel einde begin deel vorm soort aantal "
          "waarde punt lijn ruimte plaats stad land school dag jaar eeuw taal woorden zinnen "
          "verhaal computer experiment materiaal vragen metingen conclusie presentatie "
          "discussie project"),
    "en": _words("students lesson assignment teacher question answer explanation example text "
          "worksheet group class topic concept knowledge skill exercise summary test result "
          "research water energy time world people nature climate temperature process model "
          "data graph table source information difference cause effect way important "
          "different first then together yourself good new large small read write calculate "
          "discuss investigate describe explain compare make use choose think learn work see "
          "know step goal end start part form kind number value point line space place city "
          "country school day year century language words sentences story computer "
          "experiment material questions measurements conclusion presentation discussion "
          "project"),
}
#: Subject code → (Dutch words, English words, Dutch phrases, English phrases).
SUBJECTS: dict[str, tuple[str, str, tuple[str, ...], tuple[str, ...]]] = {
    "physics": ("kracht snelheid spanning stroom weerstand elektrische magnetisch golf licht "
                "geluid druk massa beweging warmte atoom",
                "force velocity voltage current resistance electric magnetic wave light sound "
                "pressure mass motion heat atom",
                ("elektrische stroom", "kinetische energie"),
                ("electric current", "kinetic energy")),
    "biology": ("cel plant dier ecosysteem voedsel evolutie gen fotosynthese organisme bloed",
                "cell plant animal ecosystem food evolution gene photosynthesis organism blood",
                ("de voedselketen", "de menselijke cel"), ("the food chain", "the human cell")),
    "mathematics": ("vergelijking functie breuk getal hoek driehoek kans formule oppervlakte",
                    "equation function fraction number angle triangle probability formula area",
                    ("de stelling van Pythagoras",), ("the Pythagorean theorem",)),
    "history": ("oorlog koning revolutie middeleeuwen republiek handel kolonie tijdvak keizer",
                "war king revolution medieval republic trade colony era emperor",
                ("de Franse revolutie", "de Tweede Wereldoorlog"),
                ("the French revolution", "the Second World War")),
    "geography": ("klimaat rivier landschap bevolking kaart gebergte zeespiegel neerslag delta",
                  "climate river landscape population map mountains sea rainfall delta",
                  ("zure regen", "het broeikaseffect"), ("acid rain", "the greenhouse effect")),
    "chemistry": ("molecuul reactie zuur base oplossing element verbinding binding zout",
                  "molecule reaction acid base solution element compound bond salt",
                  ("het periodiek systeem",), ("the periodic table",)),
    "economics": ("markt prijs vraag aanbod geld bank inkomen belasting bedrijf consument",
                  "market price demand supply money bank income tax company consumer",
                  ("vraag en aanbod",), ("supply and demand",)),
    "computer-science": ("algoritme programmeren variabele lus data netwerk code bestand",
                         "algorithm programming variable loop data network code file",
                         ("kunstmatige intelligentie",), ("artificial intelligence",)),
}
SYLLABLES = {
    "nl": _words("ka ver lo ge be sch aat ie ijn oor den ber kel ste ruim wijk hout zaam lijk "
          "heid tra mo pel dro gra vel ster nij ou"),
    "en": _words("ta ri con ble ment ing ex pro sta tion ly ver mo ful ish dra pen tor qua lex "
          "zo nu ter ic al ous ward per sub gen"),
}
HEADINGS = {
    "nl": ["Inleiding", "Doelen", "Voorkennis", "Uitleg", "Verdieping", "Opdrachten",
           "Verwerking", "Afsluiting"],
    "en": ["Introduction", "Goals", "Prior knowledge", "Explanation", "Going deeper",
           "Assignments", "Practice", "Wrap up"],
}
ASSIGNMENTS = {"nl": "Opdrachten", "en": "Assignments"}
TITLES = {
    "nl": ["{Topic}: {a} en {b}", "Les {k}: {topic} voor {level}", "{Topic} en {a} in de klas",
           "Werken met {a}: {topic}"],
    "en": ["{Topic}: {a} and {b}", "Lesson {k}: {topic} for {level}",
           "{Topic} and {a} in class", "Working with {a}: {topic}"],
}
NAMES = ["Anne de Vries", "Jan Jansen", "Fatima el Amrani", "Pieter Bakker", "Sanne Visser",
         "Mohamed Yilmaz", "Lotte Smit", "Kees Mulder", "Emma de Boer", "Noah Peters"]
RARE_WORD = "zonnewijzer"
RARE_RATE = 1 / 1500
RESOURCE_TYPES = ["lesson", "lesson-series", "exercise", "worksheet", "assessment", "tutorial"]


@dataclass(frozen=True)
class Lesson:
    title: str
    description: str
    body: str
    body_html: str
    language: str
    licence: str
    subjects: tuple[str, ...]
    levels: tuple[str, ...]
    keywords: tuple[str, ...]
    objectives: tuple[str, ...]
    authors: tuple[str, ...]
    resource_type: str
    kind: str
    published_at: datetime

    def meta(self) -> dict[str, Any]:
        """What ``VersionFields.meta()`` would store for these fields."""
        meta: dict[str, Any] = {"subjects": list(self.subjects), "levels": list(self.levels),
                                "keywords": list(self.keywords),
                                "objectives": list(self.objectives),
                                "resource_type": self.resource_type}
        if self.authors:
            meta["authors"] = list(self.authors)
        return meta


def _zipf_cumulative(count: int, offset: float, total: float) -> list[float]:
    weights = [1 / (rank + offset) for rank in range(count)]
    scale = total / sum(weights)
    return list(itertools.accumulate(w * scale for w in weights))


class LessonGenerator:
    """Deterministic (seeded) Dutch- and English-looking lesson texts."""

    def __init__(self, seed: int, subjects: Sequence[str], levels: Sequence[str],
                 licences: Sequence[str]) -> None:
        from markdown.extensions.toc import slugify_unicode

        from oer_portal.core.markdown import HEADING_ID_PREFIX

        self.rng = random.Random(seed)
        self.subjects, self.levels, self.licences = list(subjects), list(levels), list(licences)
        self._slug = lambda text: HEADING_ID_PREFIX + slugify_unicode(text, "-")
        self.pools: dict[str, tuple[list[str], list[float]]] = {}
        for language in ("nl", "en"):
            random_words = self._pseudo_words(language, 30_000)
            # Shares of the running text: stop words 30 %, school words 45 %, random 15 %
            # (subject words, 10 %, are mixed in per sentence).
            words = FUNCTION_WORDS[language] + GENERAL_WORDS[language] + random_words
            cumulative = (_zipf_cumulative(len(FUNCTION_WORDS[language]), 1.0, 0.30)
                          + [0.30 + c for c in _zipf_cumulative(
                              len(GENERAL_WORDS[language]), 1.0, 0.45)]
                          + [0.75 + c for c in _zipf_cumulative(len(random_words), 10.0, 0.15)])
            self.pools[language] = (words, cumulative)
        self.counter = 0

    def _pseudo_words(self, language: str, count: int) -> list[str]:
        syllables, seen = SYLLABLES[language], set()
        words: list[str] = []
        while len(words) < count:
            word = "".join(self.rng.choices(syllables, k=self.rng.randint(2, 4)))
            if len(word) >= 4 and word not in seen:
                seen.add(word)
                words.append(word)
        return words

    def _sentence(self, language: str, subject_words: list[str], extra: str | None = None
                  ) -> str:
        rng = self.rng
        words, cumulative = self.pools[language]
        count = rng.randint(6, 16)
        chosen = rng.choices(words, cum_weights=cumulative, k=count)
        for position in rng.sample(range(count), max(1, round(count * 0.1))):
            chosen[position] = rng.choice(subject_words)
        if extra:
            chosen.insert(rng.randrange(count), extra)
        text = " ".join(chosen)
        return text[0].upper() + text[1:] + "."

    def lesson(self, subject_bias: str | None = None) -> Lesson:
        rng = self.rng
        self.counter += 1
        roll = rng.random()
        language = "nl" if roll < 0.55 else "en" if roll < 0.95 else rng.choice(["fy", "de"])
        text_language = "en" if language == "en" else "nl"
        index = 0 if text_language == "nl" else 1
        subject = subject_bias or (rng.choice(list(SUBJECTS)) if rng.random() < 0.7
                                   else rng.choice(self.subjects))
        subjects = [subject]
        if rng.random() < 0.3:
            second = rng.choice(self.subjects)
            if second != subject:
                subjects.append(second)
        own = SUBJECTS.get(subject)
        subject_words = own[index].split() if own else GENERAL_WORDS[text_language][20:60]
        phrases = own[2 + index] if own else ()

        target = rng.randint(300, 1500)
        sentences: list[str] = []
        words = 0
        rare_at = rng.randrange(15) if rng.random() < RARE_RATE else -1
        while words < target:
            extra = None
            if phrases and rng.random() < 0.05:
                extra = rng.choice(phrases)
            if len(sentences) == rare_at:
                extra = RARE_WORD
            sentence = self._sentence(text_language, subject_words, extra)
            sentences.append(sentence)
            words += sentence.count(" ") + 1
        headings = [h for h in HEADINGS[text_language] if rng.random() < 0.7]
        if ASSIGNMENTS[text_language] not in headings:
            headings.insert(min(len(headings), 3), ASSIGNMENTS[text_language])
        markdown_parts: list[str] = []
        html_parts: list[str] = []
        prose = [h for h in headings if h != ASSIGNMENTS[text_language]]
        items_count = rng.randint(3, 6)
        items, sentences = sentences[:items_count], sentences[items_count:]
        per_section = max(1, math.ceil(len(sentences) / max(1, len(prose))))
        for heading in headings:
            markdown_parts.append(f"# {heading}")
            html_parts.append(f'<h2 id="{self._slug(heading)}">{heading}</h2>')
            if heading == ASSIGNMENTS[text_language]:
                markdown_parts.append("\n".join(f"- {item}" for item in items))
                html_parts.append("<ul>\n" + "\n".join(f"<li>{item}</li>" for item in items)
                                  + "\n</ul>")
                continue
            chunk, sentences = sentences[:per_section], sentences[per_section:]
            while chunk:
                size = rng.randint(3, 7)
                paragraph, chunk = " ".join(chunk[:size]), chunk[size:]
                markdown_parts.append(paragraph)
                html_parts.append(f"<p>{paragraph}</p>")

        topic_word = rng.choice(subject_words)
        a, b = rng.sample(subject_words, 2)
        levels = rng.sample(self.levels, rng.choice([1, 1, 2]))
        title = rng.choice(TITLES[text_language]).format(
            Topic=topic_word.capitalize(), topic=topic_word, a=a, b=b,
            k=rng.randint(1, 12), level=levels[0])
        description = self._sentence(text_language, subject_words)
        keywords = tuple(dict.fromkeys(rng.sample(subject_words, min(4, len(subject_words)))))
        objectives = tuple(self._sentence(text_language, subject_words)
                           for _ in range(rng.randint(1, 3)))
        authors = (rng.choice(NAMES),) if rng.random() < 0.5 else ()
        published = datetime(2019, 1, 1, tzinfo=UTC) + timedelta(
            seconds=rng.randrange(int(6.5 * 365 * 86400)))
        return Lesson(title, description, "\n\n".join(markdown_parts) + "\n",
                      "\n".join(html_parts), language, rng.choice(self.licences),
                      tuple(subjects), tuple(levels), keywords, objectives, authors,
                      rng.choice(RESOURCE_TYPES), "link" if rng.random() < 0.1 else "lesson",
                      published)


def check_generated_html(generator: LessonGenerator, samples: int = 5) -> None:
    """The HTML written with the rows must be what the services would have rendered."""
    from oer_portal.core.markdown import render_markdown

    state, counter = generator.rng.getstate(), generator.counter
    for _ in range(samples):
        lesson = generator.lesson()
        rendered = str(render_markdown(lesson.body))
        if rendered != lesson.body_html:
            for i, (x, y) in enumerate(zip(rendered, lesson.body_html, strict=False)):
                if x != y:
                    sys.exit("The generated body_html differs from render_markdown() at "
                             f"character {i}: {rendered[i - 40:i + 40]!r} against "
                             f"{lesson.body_html[i - 40:i + 40]!r}")
            sys.exit("The generated body_html differs from render_markdown() in length.")
    generator.rng.setstate(state)
    generator.counter = counter


# -- the portal --------------------------------------------------------------------------------


@dataclass
class CorpusImport:
    seconds: float
    drain_seconds: float
    created: int
    failed: list[tuple[str, str]]
    admin_id: int


def import_corpus(app: Flask, materials: Path, tmp: Path, limit: int) -> CorpusImport:
    from oer_portal.accounts.models import Role
    from oer_portal.accounts.service import create_user
    from oer_portal.core.outbox import deferred
    from oer_portal.core.uow import current_uow
    from oer_portal.materials.interchange import import_path

    folders = sorted(p for p in materials.iterdir() if (p / "meta.json").is_file())
    root = materials
    if limit < len(folders):
        folders = folders[:limit]
        root = tmp / "corpus-subset"
        root.mkdir()
        for folder in folders:
            (root / folder.name).symlink_to(folder.resolve(), target_is_directory=True)
    with app.app_context():
        uow = current_uow()
        admin = create_user(ADMIN_EMAIL, "Bench Admin", ADMIN_PASSWORD, [Role.ADMIN])
        uow.commit()
        admin_id = admin.id
        start = time.perf_counter()
        with deferred():
            summary = import_path(root, admin, commit=uow.commit, rollback=uow.rollback,
                                  publisher=admin,
                                  progress=progress_printer("corpus import", len(folders)))
            seconds = time.perf_counter() - start
        drain_seconds = time.perf_counter() - start - seconds
    return CorpusImport(seconds, drain_seconds, summary.created, summary.failed, admin_id)


def make_generator(app: Flask) -> LessonGenerator:
    from oer_portal.licences import registry
    from oer_portal.materials.metadata import vocabularies

    with app.app_context():
        terms = vocabularies()
        generator = LessonGenerator(SEED, list(terms["subject"]), list(terms["level"]),
                                    sorted(registry.LICENCES))
        check_generated_html(generator)
        db.session.rollback()
    return generator


@dataclass
class Inserted:
    ids: list[int]
    seconds: float
    generate_seconds: float


def insert_synthetic(app: Flask, generator: LessonGenerator, count: int, owner_id: int,
                     label: str) -> Inserted:
    """``count`` published lessons written with Core, ``INSERT_BATCH`` per transaction, each
    with its publication row and one search outbox row (no notification: nothing drains)."""
    from oer_portal.materials.service import slugify

    tables = db.metadata.tables
    materials, versions = tables["materials"], tables["material_versions"]
    publications, attachments = tables["material_publications"], tables["version_attachments"]
    outbox = tables["search_outbox"]
    ids: list[int] = []
    generate_seconds = 0.0
    start = time.perf_counter()
    with app.app_context():
        engine = db.engine
        with engine.connect() as connection:
            next_material = (connection.scalar(select(func.max(materials.c.id))) or 0) + 1
            next_version = (connection.scalar(select(func.max(versions.c.id))) or 0) + 1
            files = connection.execute(
                select(attachments.c.sha256, attachments.c.filename)
                .distinct().limit(500)).all()
        point = (materials.update().where(materials.c.id == bindparam("mid"))
                 .values(latest_version_id=bindparam("vid"), published_version_id=bindparam("vid")))
        written = 0
        while written < count:
            batch = min(INSERT_BATCH, count - written)
            rows_m, rows_v, rows_p, rows_a, rows_o, rows_u = [], [], [], [], [], []
            before = time.perf_counter()
            for _ in range(batch):
                lesson = generator.lesson()
                material_id, version_id = next_material, next_version
                next_material += 1
                next_version += 1
                number = generator.counter
                now = lesson.published_at
                rows_m.append({
                    "id": material_id, "kind": lesson.kind, "slug": slugify(lesson.title),
                    "owner_id": owner_id, "status": "published",
                    "external_id": f"synthetic-{number}", "created_at": now, "updated_at": now,
                    "published_at": now})
                rows_v.append({
                    "id": version_id, "material_id": material_id, "number": 1,
                    "title": lesson.title, "description": lesson.description,
                    "body": lesson.body, "body_html": lesson.body_html,
                    "language": lesson.language, "licence": lesson.licence,
                    "link_url": (f"https://example.org/les/{number}"
                                 if lesson.kind == "link" else None),
                    "meta": lesson.meta(), "author_id": owner_id, "created_at": now,
                    "summary": "Synthetic", "base_version_id": None, "reverted_from_id": None,
                    "merged": False})
                rows_p.append({"material_id": material_id, "version_id": version_id,
                               "published_at": now, "published_by_id": owner_id})
                if files and generator.rng.random() < 0.1:
                    sha, filename = generator.rng.choice(files)
                    rows_a.append({"version_id": version_id, "position": 1, "sha256": sha,
                                   "filename": filename})
                rows_o.append({"entity_type": "material", "entity_id": material_id,
                               "created_at": now})
                rows_u.append({"mid": material_id, "vid": version_id})
                ids.append(material_id)
            generate_seconds += time.perf_counter() - before
            with engine.begin() as connection:
                connection.execute(materials.insert(), rows_m)
                connection.execute(versions.insert(), rows_v)
                connection.execute(publications.insert(), rows_p)
                if rows_a:
                    connection.execute(attachments.insert(), rows_a)
                connection.execute(outbox.insert(), rows_o)
                connection.execute(point, rows_u)
            written += batch
            if written % 2000 < INSERT_BATCH or written == count:
                progress(f"{label}: {written}/{count} ({time.perf_counter() - start:.1f} s)")
    return Inserted(ids, time.perf_counter() - start, generate_seconds)


# -- indexes -----------------------------------------------------------------------------------


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


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
    from whoosh.fields import DATETIME, ID, KEYWORD, TEXT, Schema

    return Schema(id=ID(stored=True, unique=True), title=TEXT(stored=True),
                  body=TEXT(stored=True), subject=KEYWORD(stored=True, commas=True),
                  level=KEYWORD(stored=True, commas=True), licence_family=KEYWORD(stored=True),
                  language=KEYWORD(stored=True), kind=KEYWORD(stored=True),
                  has_attachments=KEYWORD(stored=True), published=DATETIME(stored=True))


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
            language = document["language"]
            body = document.get(f"body_{language}", document["body_any"])
            start = time.perf_counter()
            writer.add_document(
                id=document["id"], title=document["title"], body=body,
                subject=document["subject"], level=document["level"],
                licence_family=document["licence_family"], language=language,
                kind=document["kind"], has_attachments=document["has_attachments"],
                published=document["published"])
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


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Latency:
    ours: dict[str, list[float]]
    naive: dict[str, list[float]]
    ours_outcome: dict[str, Outcome]
    naive_outcome: dict[str, Outcome]


def measure_latency(app: Flask, naive: Naive | None, repetitions: int,
                    label: str) -> Latency:
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
    """How many documents hold each word of the mix (neutral field, and naive body)."""
    from whoosh import index as whoosh_index

    from oer_portal.search import indexer

    words = sorted({w.strip('"').lower() for q in QUERY_MIX for w in q.text.split()})
    result = {}
    with app.app_context():
        ix = indexer.open_index()
        naive_ix = whoosh_index.open_dir(str(naive_folder))
        with ix.searcher() as searcher, naive_ix.searcher() as naive_searcher:
            for word in words:
                result[word] = (f"{searcher.doc_frequency('body_any', word)}/"
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


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}x" if b else "-"


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


@contextmanager
def workdir(kept: Path | None) -> Iterator[Path]:
    """The folder of the build: ``kept`` (made if missing), or a temporary one."""
    if kept is not None:
        kept.mkdir(parents=True, exist_ok=True)
        yield kept.resolve()
        return
    with tempfile.TemporaryDirectory(prefix="oer-search-bench-") as name:
        yield Path(name)


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

    corpus = import_corpus(app, materials, tmp, args.n)
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000,
                        help="materials in the full build: the corpus plus synthetic lessons "
                             "(default 10000)")
    parser.add_argument("--queries", type=int, default=50,
                        help="timed repetitions of each query type (default 50)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help=f"the shared corpus folder (default: {DEFAULT_CORPUS})")
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

    materials = args.corpus / "materials"
    if not materials.is_dir():
        sys.exit(f"No corpus at {materials}: pass --corpus <folder containing materials/> "
                 f"(default {DEFAULT_CORPUS}).")
    if args.n < 1 or args.queries < 1:
        sys.exit("--n and --queries must be at least 1.")
    import whoosh

    rss: list[tuple[str, float, str]] = []
    total_start = time.perf_counter()
    with workdir(args.keep or args.reuse) as tmp:
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
        print("  document frequency of the mix's words (ours body_any / naive body): "
              + ", ".join(f"{w} {f}" for w, f in frequencies.items()))

        print_latency(latency, args.queries, documents, documents)
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
