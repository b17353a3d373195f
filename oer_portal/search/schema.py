"""The Whoosh schema: one document per published material.

Text is indexed per language: a Dutch material fills the ``*_nl`` fields (Dutch stemming and
stop words), an English one the ``*_en`` fields, and every material fills the neutral
``*_any`` fields, so a query in either language finds it.  Facets are plain ID/KEYWORD
fields; the document with id ``__position__`` records the last outbox entry the index
applied (written in the same commit as the documents, so they never disagree).
"""

from __future__ import annotations

from whoosh.analysis import LanguageAnalyzer, StandardAnalyzer
from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

LANGUAGES = ("nl", "en")
TEXT_PARTS = ("title", "description", "body")
POSITION_ID = "__position__"

#: Field name → boost used by the search service: title over description over the rest.
BOOSTS = {"title": 6.0, "keywords": 4.0, "description": 3.0, "objectives": 2.0, "authors": 2.0,
          "body": 1.0, "attachments": 0.8}


def build_schema() -> Schema:
    fields: dict[str, object] = {
        "id": ID(stored=True, unique=True),
        "external_id": ID(stored=True),
        "slug": STORED(),
        "title": STORED(),
        "description": STORED(),
        "licence": ID(stored=True),
        "licence_family": ID(stored=True, sortable=True),
        "language": ID(stored=True, sortable=True),
        "kind": ID(stored=True, sortable=True),
        "subject": KEYWORD(stored=True, commas=True),
        "level": KEYWORD(stored=True, commas=True),
        "has_attachments": ID(stored=True, sortable=True),
        "published": DATETIME(stored=True, sortable=True),
        "title_sort": ID(sortable=True),
        "position": STORED(),
    }
    neutral = StandardAnalyzer()
    for part in TEXT_PARTS:
        for language in LANGUAGES:
            fields[f"{part}_{language}"] = TEXT(analyzer=LanguageAnalyzer(language),
                                                phrase=True)
        # The neutral fields are stored (capped) so that highlights can be cut from them.
        fields[f"{part}_any"] = TEXT(analyzer=neutral, phrase=True, stored=True)
    for name in ("keywords", "objectives", "authors", "attachments"):
        fields[f"{name}_any"] = TEXT(analyzer=neutral, phrase=True)
    return Schema(**fields)


def query_fields(language_boosts: bool = True) -> dict[str, float]:
    """Every text field a user query is matched in, with its boost."""
    result: dict[str, float] = {}
    for part in TEXT_PARTS:
        for language in LANGUAGES:
            result[f"{part}_{language}"] = BOOSTS[part]
        result[f"{part}_any"] = BOOSTS[part] * (0.8 if language_boosts else 1.0)
    for name in ("keywords", "objectives", "authors", "attachments"):
        result[f"{name}_any"] = BOOSTS[name]
    return result
