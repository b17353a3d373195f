"""Synthetic lessons for the search benchmark, written straight into the database.

Why a module of its own: the generator is data-making, not measuring, and at some 400 lines it
would drown what ``search_bench.py`` measures (and ``_common.py``'s small helpers); kept apart,
another benchmark that needs thousands of published lessons can use it as it is.

What it makes: lesson-sized texts (300-1,500 words), Dutch-looking (55 %), English-looking
(40 %) and a few Frisian/German-tagged ones written with the Dutch generator; a small school
vocabulary (Zipf-weighted) plus subject words, stop words, a few fixed phrases
(``elektrische stroom``) and a pool of 30,000 random pseudo-words per language (so the term
dictionary grows like a real one); the word ``zonnewijzer`` (``RARE_WORD``) lands in about one
document in 1,500.  Varied subjects (one or two), levels (one or two, any of the vocabulary),
every licence in the registry, kinds ``lesson`` (90 %) and ``link`` (10 %), one attachment (an
existing stored file, so its extracted text) on 10 %, publication dates spread over 2019-2025.
Everything is drawn from one seeded ``random.Random``, so a run makes the same lessons in the
same order every time.

How it writes them (``insert_synthetic``): **directly with SQLAlchemy Core**, the way
``bench/import_bench.py``'s baseline does it, ``INSERT_BATCH`` materials per transaction: rows
in ``materials``, ``material_versions`` (``body_html`` is written by the generator as the exact
HTML ``core.markdown.render_markdown`` makes of the generated Markdown; ``make_generator``
renders a sample and compares at start-up, and the run stops if they differ),
``material_publications``, ``version_attachments`` and one ``search_outbox`` row each, then an
UPDATE pointing ``latest_version_id``/``published_version_id`` at the version.  No validation,
no audit log, no Markdown rendering: this only fills the database fast; the search code reads
it exactly as it reads materials written by the services.
"""

from __future__ import annotations

import itertools
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from _common import progress
from flask import Flask
from sqlalchemy import bindparam, func, select

from oer_portal.extensions import db

#: The generator's seed: every run makes the same lessons.
SEED = 20240604
#: Materials written per transaction by ``insert_synthetic``.
INSERT_BATCH = 200


# -- word pools --------------------------------------------------------------------------------


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


# -- lessons -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lesson:
    """One generated lesson: the version's fields, its Markdown and the HTML the services
    would render of it."""

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
    """Cumulative Zipf weights (1 / (rank + offset)) for ``count`` words, scaled so that the
    pool takes ``total`` of the running text."""
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
        """``count`` distinct made-up words of two to four syllables, at least four letters."""
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
        """6-16 words from the language's pool, a tenth of them subject words, and ``extra``
        (a phrase or the rare word) somewhere in it."""
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
        """The next lesson; ``subject_bias`` fixes its (first) subject."""
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


def make_generator(app: Flask) -> LessonGenerator:
    """The seeded generator over the portal's subject and level vocabularies and every licence
    in the registry, its HTML checked against ``render_markdown`` before anything is written."""
    from oer_portal.licences import registry
    from oer_portal.materials.metadata import vocabularies

    with app.app_context():
        terms = vocabularies()
        generator = LessonGenerator(SEED, list(terms["subject"]), list(terms["level"]),
                                    sorted(registry.LICENCES))
        check_generated_html(generator)
        db.session.rollback()
    return generator


# -- writing -----------------------------------------------------------------------------------


@dataclass
class Inserted:
    """What ``insert_synthetic`` wrote, and how long it took (generating the text included)."""

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


