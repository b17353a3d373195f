"""What the index holds for a harvested record of another collection (``collections``).

The same fields as a material's, filled from what the source said (mapped onto the portal's
terms where they matched, as written otherwise), so one search, its facets and its ranking
treat both alike.  A deleted record, or one of a removed collection, has no document.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from oer_portal.collections.models import HarvestedRecord
from oer_portal.extensions import db
from oer_portal.licences import registry
from oer_portal.search.analysis import distinct_words
from oer_portal.search.documents import MAX_SNIPPET, _labels, _with_parents
from oer_portal.search.schema import LANGUAGES, RECORD, RECORD_PREFIX


def record_doc_id(record_id: int) -> str:
    """A record's document id: never a material's (those are plain numbers)."""
    return f"{RECORD_PREFIX}{record_id}"


def record_id_of(doc_id: str) -> int | None:
    """The record id of a document id, ``None`` for a material's."""
    if doc_id.startswith(RECORD_PREFIX) and doc_id[len(RECORD_PREFIX):].isdigit():
        return int(doc_id[len(RECORD_PREFIX):])
    return None


def _moment(datestamp: str, fallback: datetime) -> datetime:
    """The source's datestamp (day or seconds granularity) as a UTC moment."""
    for pattern in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%d"):
        try:
            return datetime.strptime(datestamp, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    return fallback


def record_document(record_id: int) -> dict[str, Any] | None:
    """The index document of a harvested record, or ``None`` when it may not be found."""
    record = db.session.get(HarvestedRecord, record_id)
    if record is None or record.deleted:
        return None
    licence = registry.get(record.licence)
    subjects = tuple(record.subjects or ())
    levels = tuple(record.levels or ())
    text = record.description[:MAX_SNIPPET]
    document: dict[str, Any] = {
        "id": record_doc_id(record.id),
        "external_id": record.identifier,
        "source": RECORD,
        "collection": record.collection.name,
        "url": record.url,
        "slug": "",
        "title": record.title or record.identifier,
        "description": record.description,
        "licence": licence.spdx if licence else record.licence,
        "licence_family": licence.family if licence else record.licence,
        "language": record.language,
        "kind": record.kind,
        "subject": ",".join(subjects),
        "level": ",".join(_with_parents(levels)),
        "published": _moment(record.datestamp, record.harvested_at),
        "title_sort": (record.title or record.identifier).casefold()[:100],
        "rating": 0,
        "rating_average": None,
        "rating_count": 0,
        "snippet": text,
        "words": distinct_words(" ".join((record.title, text))),
        "keywords_any": " ".join((*record.keywords, *_labels("subject", subjects))),
        "objectives_any": "",
        "authors_any": " ".join(record.authors or ()),
        "attachments_any": "",
    }
    suffix = record.language if record.language in LANGUAGES else "any"
    document[f"title_{suffix}"] = record.title
    document[f"description_{suffix}"] = record.description
    return document

