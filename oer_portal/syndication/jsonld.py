"""schema.org ``LearningResource`` data of a published material, as JSON-LD.

Search engines and learning-object repositories read it from the material page's
``<script type="application/ld+json">``.  Only the version the public sees is described
(the panel in ``panels.py`` asks for nothing else), and only what the page shows anyway.

Service layer: the addresses come from the page's :class:`~oer_portal.materials.panels.
PageLinks` (absolute, built by the web layer); the licence's from the licence registry.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup
from sqlalchemy import exists, func, select
from sqlalchemy.orm import defer, lazyload

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import PUBLIC
from oer_portal.arrangements.models import ArrangementNode
from oer_portal.arrangements.structure import NodeKind
from oer_portal.extensions import db
from oer_portal.licences import registry
from oer_portal.materials import policy
from oer_portal.materials.metadata import VersionFields, vocabularies
from oer_portal.materials.models import (
    Material,
    MaterialKind,
    MaterialPublication,
    MaterialVersion,
)
from oer_portal.materials.panels import PageLinks
from oer_portal.remix import service as remix

CONTEXT = "https://schema.org"

#: Characters that could end the ``<script>`` element or start markup in it, written as JSON
#: escapes: ``</script>`` in a title stays text inside the string.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_text(data: dict[str, Any]) -> Markup:
    """``data`` as the text of a ``<script type="application/ld+json">`` element."""
    return Markup(json.dumps(data, ensure_ascii=False, separators=(",", ":"))  # noqa: S704  # nosec B704
                  .translate(_SCRIPT_SAFE))


def licence_url(spdx: str) -> str | None:
    licence = registry.get(spdx)
    return licence.url if licence is not None else None


def _terms(codes: tuple[str, ...], vocabulary: str, locale: str) -> list[dict[str, str]]:
    known = vocabularies()[vocabulary]
    return [{"@type": "DefinedTerm", "termCode": code,
             "name": known[code].label(locale) if code in known else code} for code in codes]


def _people(material: Material, fields: VersionFields, links: PageLinks) -> list[dict[str, str]]:
    """The credited authors, as the credits name them: an import's names, else the owner and
    the co-authors (read from the session's identity map: the page loaded them)."""
    if fields.authors:
        return [{"@type": "Person", "name": name} for name in fields.authors]
    co_authors = sorted(filter(None, (db.session.get(User, user_id)
                                      for user_id in material.co_author_ids)),
                        key=lambda user: user.display_name)
    return [{"@type": "Person", "name": user.display_name}
            | ({} if user.credited_anonymously else {"url": links.profile(user)})
            for user in (material.owner, *co_authors)]


def _reference(material: Material, version: MaterialVersion, links: PageLinks
               ) -> dict[str, Any]:
    """A short description of another material's version (a source, a part)."""
    public_now = version.id == material.published_version_id
    reference: dict[str, Any] = {
        "@type": "LearningResource", "name": version.title,
        "url": links.material(material, None if public_now or material.is_withdrawn
                              else version.number),
        "version": version.number}
    url = licence_url(version.licence)
    if url:
        reference["license"] = url
    return reference


def _source(material: Material, version: MaterialVersion, links: PageLinks
            ) -> dict[str, Any] | None:
    """The original's version a remix adapts (a withdrawn one too: it was public then)."""
    source_id = remix.based_on(material, version)
    source = db.session.get(MaterialVersion, source_id) if source_id else None
    return _reference(source.material, source, links) if source is not None else None


def _parts(version: MaterialVersion, links: PageLinks) -> list[dict[str, Any]]:
    """The materials an arrangement includes, as the public sees them, in outline order.

    One statement (the page's table of contents has resolved the same parts for its reader
    already, and the page keeps to a budget of queries): each included material with the
    version a part shows (the pinned one, else the published one) and whether a pinned
    version was ever published; the materials policy decides, for the public, as
    ``arrangements.service.resolve`` does."""
    shown = func.coalesce(ArrangementNode.pinned_version_id, Material.published_version_id)
    pinned_was_public = exists().where(
        MaterialPublication.material_id == Material.id,
        MaterialPublication.version_id == ArrangementNode.pinned_version_id)
    rows = db.session.execute(
        select(ArrangementNode.pinned_version_id, Material, MaterialVersion,
               pinned_was_public.label("pinned_was_public"))
        .join(Material, Material.id == ArrangementNode.material_id)
        .join(MaterialVersion, MaterialVersion.id == shown)
        .options(lazyload(Material.co_author_rows), lazyload(MaterialVersion.attachments),
                 lazyload(MaterialVersion.author),
                 defer(MaterialVersion.body), defer(MaterialVersion.body_html))
        .where(ArrangementNode.version_id == version.id,
               ArrangementNode.kind == NodeKind.MATERIAL.value)
        .order_by(ArrangementNode.position))
    seen: set[int] = set()
    parts = []
    for pinned_id, material, part, pinned_was_published in rows:
        if not policy.can_view_material(PUBLIC, material):
            continue
        if pinned_id is None:
            visible = policy.displayed_version_id(PUBLIC, material) == part.id
        else:
            visible = part.material_id == material.id and policy.can_view_version(
                PUBLIC, material, part, frozenset({part.id}) if pinned_was_published
                else frozenset())
        if visible and part.id not in seen:
            seen.add(part.id)
            parts.append(_reference(material, part, links))
    return parts


def learning_resource(material: Material, version: MaterialVersion, links: PageLinks,
                      locale: str, portal_name: str) -> dict[str, Any]:
    """The ``LearningResource`` of ``version``, the published version of ``material``."""
    fields = VersionFields.of(version)
    data: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "LearningResource",
        "@id": links.material(material, None),
        "url": links.material(material, None),
        "name": version.title,
        "description": version.description,
        "inLanguage": version.language,
        "version": version.number,
        "dateModified": (material.published_at or version.created_at).isoformat(),
        "author": _people(material, fields, links),
        "isAccessibleForFree": True,
        "publisher": {"@type": "Organization", "name": portal_name},
    }
    url = licence_url(version.licence)
    if url:
        data["license"] = url
    if fields.levels:
        data["educationalLevel"] = _terms(fields.levels, "level", locale)
    if fields.subjects:
        data["about"] = _terms(fields.subjects, "subject", locale)
    if fields.objectives:
        data["teaches"] = list(fields.objectives)
    if fields.keywords:
        data["keywords"] = list(fields.keywords)
    if fields.resource_type:
        data["learningResourceType"] = _terms((fields.resource_type,), "resource_type",
                                              locale)[0]["name"]
    if fields.duration_minutes:
        data["timeRequired"] = f"PT{fields.duration_minutes}M"
    if fields.age_min or fields.age_max:
        data["typicalAgeRange"] = f"{fields.age_min or ''}-{fields.age_max or ''}"
    if material.kind == MaterialKind.LINK and version.link_url:
        data["sameAs"] = version.link_url
    if material.derived_from_version_id is not None:
        source = _source(material, version, links)
        if source is not None:
            data["isBasedOn"] = source
    if material.kind == MaterialKind.ARRANGEMENT:
        data["hasPart"] = _parts(version, links)
    return data
