"""What the index holds for a material: built from the database, the source of truth."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from oer_portal.accounts.models import User
from oer_portal.arrangements import service as arrangements
from oer_portal.community import service as community
from oer_portal.community.service import RatingSummary
from oer_portal.core.markdown import html_to_plain_text
from oer_portal.extensions import db
from oer_portal.licences import registry
from oer_portal.materials.metadata import VersionFields, vocabularies
from oer_portal.materials.models import (
    Material,
    MaterialKind,
    MaterialStatus,
    MaterialVersion,
)
from oer_portal.search.analysis import distinct_words
from oer_portal.search.schema import LANGUAGES, MATERIAL

#: Stored text is capped: the snippet is kept for highlights, not for reading.
MAX_SNIPPET = 20_000
MAX_ATTACHMENT_TEXT = 50_000


def document_for(material: Material) -> dict[str, Any] | None:
    """The index document of a material, or ``None`` when nothing of it may be found."""
    return documents_for([material])[material.id]


def documents_for(materials: Sequence[Material]) -> dict[int, dict[str, Any] | None]:
    """Material id → its index document (``None`` when nothing of it may be found), for a
    batch read in a few statements for all of them (versions with their attachments,
    ratings, authors' names): a full reindex reads every material, and a statement per
    material and per fact was most of the time spent reading (profiled)."""
    shown = [material for material in materials
             if material.status == MaterialStatus.PUBLISHED
             and material.published_version_id is not None]
    documents: dict[int, dict[str, Any] | None] = {material.id: None for material in materials}
    if not shown:
        return documents
    versions = {version.id: version for version in db.session.scalars(
        select(MaterialVersion).where(MaterialVersion.id.in_(
            [material.published_version_id for material in shown])))}
    fields = {material.id: VersionFields.of(versions[material.published_version_id])
              for material in shown}
    ratings = community.summaries(material.id for material in shown)
    names = _author_names([material for material in shown if not fields[material.id].authors])
    for material in shown:
        documents[material.id] = _document(material, versions[material.published_version_id],
                                           fields[material.id], ratings[material.id],
                                           names.get(material.id, []))
    return documents


def _document(material: Material, version: MaterialVersion, fields: VersionFields,
              ratings: RatingSummary, account_names: list[str]) -> dict[str, Any]:
    licence = registry.get(version.licence)
    body = html_to_plain_text(version.body_html)
    if material.kind == MaterialKind.ARRANGEMENT:
        body = f"{body}\n{arrangements.own_text(version.id)}".strip()
    authors = list(fields.authors) or account_names
    attachment_text = " ".join(a.file.text or "" for a in version.attachments)
    document: dict[str, Any] = {
        "id": str(material.id),
        "external_id": material.external_id or "",
        "source": MATERIAL,
        "slug": material.slug,
        "title": version.title,
        "description": version.description,
        "licence": version.licence,
        "licence_family": licence.family if licence else version.licence,
        "language": version.language,
        "kind": material.kind,
        "subject": ",".join(fields.subjects),
        "level": ",".join(_with_parents(fields.levels)),
        "has_attachments": "yes" if version.attachments else "no",
        "published": material.published_at,
        "title_sort": version.title.casefold()[:100],
        "rating": round(ratings.score * 1000),
        "rating_average": ratings.average,
        "rating_count": ratings.count,
        "snippet": body[:MAX_SNIPPET],
        "words": distinct_words(" ".join((version.title, version.description,
                                           body[:MAX_SNIPPET]))),
        "keywords_any": " ".join((*fields.keywords, *_labels("subject", fields.subjects))),
        "objectives_any": " ".join(fields.objectives),
        "authors_any": " ".join(authors),
        "attachments_any": attachment_text[:MAX_ATTACHMENT_TEXT],
    }
    # The text in the fields of its own language (stemmed, its stop words out), or in the
    # neutral ones for a language without such fields: once, not in both (a neutral copy
    # made every word of a Dutch or English title count twice; measured in
    # bench/relevance.py, fewer fields ranked better).
    suffix = version.language if version.language in LANGUAGES else "any"
    document[f"title_{suffix}"] = version.title
    document[f"description_{suffix}"] = version.description
    document[f"body_{suffix}"] = body if suffix != "any" else body[:MAX_SNIPPET]
    return document


def _labels(vocabulary: str, codes: tuple[str, ...]) -> list[str]:
    """The Dutch and English names of the material's subjects, searchable as keywords: a
    pupil types ``wiskunde breuken``, and *wiskunde* is the subject, not in the text."""
    terms = vocabularies()[vocabulary]
    return [label for code in codes if code in terms
            for label in (terms[code].label_nl, terms[code].label_en)]


def _with_parents(levels: tuple[str, ...]) -> list[str]:
    """``havo`` is found under ``secondary`` too."""
    terms = vocabularies()["level"]
    result = list(levels)
    for code in levels:
        parent = terms[code].parent_code if code in terms else None
        if parent and parent not in result:
            result.append(parent)
    return result


def _author_names(materials: Sequence[Material]) -> dict[int, list[str]]:
    """Material id → the stored names of its owner and co-authors, by account (an
    anonymous author's is empty and not indexed in any language)."""
    ids = {material.id: sorted({material.owner_id, *material.co_author_ids})
           for material in materials}
    if not ids:
        return {}
    names = dict(db.session.execute(select(User.id, User.stored_name).where(
        User.id.in_({user_id for users in ids.values() for user_id in users}))).all())
    return {material_id: [names[user_id] for user_id in users if names.get(user_id)]
            for material_id, users in ids.items()}
