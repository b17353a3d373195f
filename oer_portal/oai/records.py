"""Reading OAI records: what a harvester may see of a material, in keyset batches.

A material is a record once it was ever published (``published_version_id`` is set): its
metadata are always the *published* version's, never a draft's or a pending revision's.  A
withdrawn or unpublished material stays a record with a deleted header (``deletedRecord``
is ``persistent``).  A material that was never published (a draft, a pending or rejected
first submission, a deleted draft) is no record at all.

Records are read in the order of their datestamp, then id, always *after* a position (the
keyset of the resumption token), so a page costs the same however deep the harvest is, and
a batch of records costs a fixed number of statements: one for the materials with their
published versions, authors and remix sources, one for the parts of the arrangements in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, text, true
from sqlalchemy.orm import aliased

from oer_portal.accounts.models import User
from oer_portal.arrangements.models import ArrangementNode
from oer_portal.extensions import db
from oer_portal.materials.models import Material, MaterialKind, MaterialStatus, MaterialVersion
from oer_portal.oai.protocol import Range

#: The vocabularies a set can be made of, and the field of a version they read.
SET_KINDS = ("subject", "level", "language")
_META_FIELD = {"subject": "subjects", "level": "levels"}


@dataclass(frozen=True)
class Related:
    """Another material a record points to (remix source, arrangement part)."""

    material_id: int
    slug: str


@dataclass(frozen=True)
class Record:
    """What one OAI record shows: plain data, read once, safe to keep across commits."""

    material_id: int
    slug: str
    kind: str
    datestamp: datetime
    deleted: bool
    published_at: datetime | None
    version_number: int
    title: str
    description: str
    language: str
    licence: str
    meta: dict[str, Any]
    author_name: str
    source: Related | None
    parts: tuple[Related, ...] = ()

    @property
    def subjects(self) -> list[str]:
        return [str(code) for code in self.meta.get("subjects") or ()]

    @property
    def levels(self) -> list[str]:
        return [str(code) for code in self.meta.get("levels") or ()]

    @property
    def keywords(self) -> list[str]:
        return [str(word) for word in self.meta.get("keywords") or ()]

    @property
    def authors(self) -> list[str]:
        """The names to credit: the original authors of imported work, else the portal
        user who wrote the published version."""
        return [str(name) for name in self.meta.get("authors") or ()] or [self.author_name]

    @property
    def set_specs(self) -> list[str]:
        return ([f"subject:{code}" for code in self.subjects]
                + [f"level:{code}" for code in self.levels] + [f"language:{self.language}"])


def _json_sql(field: str) -> dict[tuple[str, bool], str]:
    """The SQL that asks whether ``meta[field]`` (a JSON list) holds ``:code`` (``True``) or
    anything (``False``), per dialect; ``field`` is one of ``_META_FIELD``'s values."""
    pg = f"(material_versions.meta::jsonb -> '{field}')"
    return {
        ("postgresql", True): f"{pg} @> jsonb_build_array(CAST(:code AS text))",
        ("postgresql", False): f"(jsonb_typeof({pg}) = 'array' AND jsonb_array_length({pg}) > 0)",
        ("sqlite", True): "EXISTS (SELECT 1 FROM json_each(material_versions.meta, "  # noqa: S608 (field: a constant)  # nosec B608
                          f"'$.{field}') WHERE json_each.value = :code)",
        ("sqlite", False): f"coalesce(json_array_length(material_versions.meta, '$.{field}'), 0)"
                           " > 0",
    }


#: Built once from the fixed field names: no harvester's text is ever part of the SQL.
_JSON_SQL = {field: _json_sql(field) for field in _META_FIELD.values()}


def _in_json_list(field: str, code: str | None) -> ColumnElement[bool]:
    """``MaterialVersion.meta[field]`` holds ``code`` (``None``: holds anything)."""
    dialect = "postgresql" if db.engine.dialect.name == "postgresql" else "sqlite"
    clause = text(_JSON_SQL[field][(dialect, code is not None)])
    return clause.bindparams(code=code) if code is not None else clause


def set_condition(set_spec: str | None) -> ColumnElement[bool]:
    """The records of the set ``set_spec`` (checked by the caller): ``subject`` or
    ``subject:<code>``, ``level…``, ``language…``."""
    if set_spec is None:
        return true()
    kind, _, code = set_spec.partition(":")
    if kind == "language":
        return MaterialVersion.language == code if code else true()
    return _in_json_list(_META_FIELD[kind], code or None)


def _conditions(window: Range, set_spec: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Material.published_version_id.is_not(None),
                                             Material.oai_datestamp.is_not(None)]
    if window.start is not None:
        conditions.append(Material.oai_datestamp >= window.start)
    if window.end is not None:
        conditions.append(Material.oai_datestamp < window.end)
    if set_spec is not None:
        conditions.append(set_condition(set_spec))
    return conditions


_Source = aliased(MaterialVersion)
_SourceMaterial = aliased(Material)


def count(window: Range, set_spec: str | None) -> int:
    """How many records the list holds (``completeListSize``)."""
    statement = select(func.count()).select_from(Material).join(
        MaterialVersion, MaterialVersion.id == Material.published_version_id)
    return db.session.scalar(statement.where(*_conditions(window, set_spec))) or 0


def batch(window: Range, set_spec: str | None, after: tuple[datetime, int] | None,
          limit: int, only: int | None = None) -> list[Record]:
    """Up to ``limit`` records after the keyset position ``after``, in keyset order
    (``only``: the record of that material alone)."""
    conditions = _conditions(window, set_spec)
    if only is not None:
        conditions.append(Material.id == only)
    if after is not None:
        datestamp, material_id = after
        conditions.append(or_(Material.oai_datestamp > datestamp,
                              and_(Material.oai_datestamp == datestamp,
                                   Material.id > material_id)))
    statement = (
        select(Material.id, Material.slug, Material.kind, Material.oai_datestamp,
               Material.status, Material.published_at, MaterialVersion.id,
               MaterialVersion.number, MaterialVersion.title, MaterialVersion.description,
               MaterialVersion.language, MaterialVersion.licence, MaterialVersion.meta,
               User.display_name, _SourceMaterial.id, _SourceMaterial.slug)
        .join(MaterialVersion, MaterialVersion.id == Material.published_version_id)
        .join(User, User.id == MaterialVersion.author_id)
        .outerjoin(_Source, _Source.id == Material.derived_from_version_id)
        .outerjoin(_SourceMaterial, and_(_SourceMaterial.id == _Source.material_id,
                                         _SourceMaterial.published_version_id.is_not(None)))
        .where(*conditions)
        .order_by(Material.oai_datestamp, Material.id)
        .limit(limit))
    rows = db.session.execute(statement).all()
    arrangements = [row[6] for row in rows if row[2] == MaterialKind.ARRANGEMENT]
    parts = _parts(arrangements) if arrangements else {}
    return [Record(material_id=row[0], slug=row[1], kind=row[2], datestamp=row[3],
                   deleted=row[4] == MaterialStatus.WITHDRAWN, published_at=row[5],
                   version_number=row[7], title=row[8], description=row[9] or "",
                   language=row[10], licence=row[11], meta=dict(row[12] or {}),
                   author_name=row[13],
                   source=Related(row[14], row[15]) if row[14] is not None else None,
                   parts=parts.get(row[6], ()))
            for row in rows]


def _parts(version_ids: Sequence[int]) -> dict[int, tuple[Related, ...]]:
    """The materials each arrangement version embeds, in reading order, once each; only
    materials that were ever published (a part that is withdrawn later stays, as a pointer
    to a deleted record, so the arrangement's record does not change behind its
    datestamp)."""
    rows = db.session.execute(
        select(ArrangementNode.version_id, Material.id, Material.slug)
        .join(Material, Material.id == ArrangementNode.material_id)
        .where(ArrangementNode.version_id.in_(version_ids),
               Material.published_version_id.is_not(None))
        .order_by(ArrangementNode.version_id, ArrangementNode.position))
    found: dict[int, dict[int, Related]] = {}
    for version_id, material_id, slug in rows:
        found.setdefault(version_id, {}).setdefault(material_id, Related(material_id, slug))
    return {version_id: tuple(by_id.values()) for version_id, by_id in found.items()}


def one(material_id: int) -> Record | None:
    """The record of one material, or ``None`` when it is none (never published)."""
    records = batch(Range(), None, None, 1, only=material_id)
    return records[0] if records else None


def earliest() -> datetime | None:
    """The oldest datestamp of any record (``earliestDatestamp``)."""
    return db.session.scalar(select(func.min(Material.oai_datestamp)).where(
        Material.published_version_id.is_not(None)))


def exists(material_id: int) -> bool:
    return db.session.scalar(select(literal(1)).where(
        Material.id == material_id, Material.published_version_id.is_not(None),
        Material.oai_datestamp.is_not(None))) is not None
