"""The Whoosh schema: one document per published material and per harvested record.

A harvested record of another collection (``collections``) has the id ``r<record id>`` (a
material's is its number, so the two never clash), ``source`` ``record`` (a material's is
``material``) and its collection's name in ``collection``; it fills the same text and facet
fields as a material, so one search finds both.

Text is indexed per language: a Dutch material fills the ``*_nl`` fields (Dutch stemming and
stop words), an English one the ``*_en`` fields, a material in another language the neutral
``*_any`` fields; keywords, objectives, authors and attachment text are neutral for all.  A
query is matched in every one of them, each word analysed by the field's own analyzer.
``words`` holds every material's words as written, for the spelling corrections and the
compound forms (``vocabulary.py``); it is not searched.  ``snippet`` stores the start of the
body as plain text for highlights; it is not indexed.

Facets are plain ID/KEYWORD fields; the search service reads them per segment into columns
(``docsets.py``).  The document with id ``__position__`` records the last outbox entry the
index applied, written in the same commit as the documents, so they never disagree.
"""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema

from oer_portal.search.analysis import language_analyzer, neutral_analyzer

LANGUAGES = ("nl", "en")
TEXT_PARTS = ("title", "description", "body")
NEUTRAL_ONLY = ("keywords", "objectives", "authors", "attachments")
POSITION_ID = "__position__"
#: Stored with the position document; an index written with another version (other
#: analyzers: the field names alone do not show that) counts as outdated and is rebuilt.
#: 2: accents folded, hyphenated compounds split and joined, subject labels as keywords;
#: Dutch and English text in its language's fields only, every material's words in ``words``.
#: 3: harvested records beside materials (``source``, ``collection``, ``url``).
SCHEMA_VERSION = 3
#: ``source`` of the two kinds of document, and the prefix of a record's document id.
MATERIAL, RECORD = "material", "record"
RECORD_PREFIX = "r"

#: Field name → boost used by the search service: title over description over the rest.
BOOSTS = {"title": 8.0, "keywords": 4.0, "description": 3.0, "objectives": 2.0, "authors": 2.0,
          "body": 1.0, "attachments": 0.8}


def build_schema() -> Schema:
    fields: dict[str, object] = {
        "id": ID(stored=True, unique=True),
        "external_id": ID(stored=True),
        "source": ID(stored=True),
        # The collection's name (a facet and a filter); none for the portal's own.
        "collection": ID(stored=True),
        # Where a harvested record opens (its home page elsewhere).
        "url": STORED(),
        "slug": STORED(),
        "title": STORED(),
        "description": STORED(),
        "snippet": STORED(),
        "licence": ID(stored=True),
        "licence_family": ID(stored=True),
        "language": ID(stored=True),
        "kind": ID(stored=True),
        "subject": KEYWORD(stored=True, commas=True),
        "level": KEYWORD(stored=True, commas=True),
        "has_attachments": ID(stored=True),
        "published": DATETIME(stored=True, sortable=True),
        "title_sort": ID(sortable=True),
        # The Bayesian average of the ratings (``community.service``) in thousandths of a
        # star, sorted on (whoosh-reloaded cannot give a float column a default); the plain
        # average and the count are shown with a result.
        "rating": NUMERIC(numtype=int, sortable=True),
        "rating_average": STORED(),
        "rating_count": STORED(),
        "position": STORED(),
        "schema_version": STORED(),
    }
    neutral = neutral_analyzer()
    for part in TEXT_PARTS:
        for language in LANGUAGES:
            fields[f"{part}_{language}"] = TEXT(analyzer=language_analyzer(language),
                                                phrase=True)
        fields[f"{part}_any"] = TEXT(analyzer=neutral, phrase=True)
    for name in NEUTRAL_ONLY:
        fields[f"{name}_any"] = TEXT(analyzer=neutral, phrase=True)
    fields["words"] = TEXT(analyzer=neutral, phrase=False)
    return Schema(**fields)


def query_fields() -> dict[str, float]:
    """Every text field a user query is matched in, with its boost."""
    result: dict[str, float] = {}
    for part in TEXT_PARTS:
        for language in LANGUAGES:
            result[f"{part}_{language}"] = BOOSTS[part]
        result[f"{part}_any"] = BOOSTS[part]
    for name in NEUTRAL_ONLY:
        result[f"{name}_any"] = BOOSTS[name]
    return result
