"""Reading materials for pages: every function applies the visibility policy.

An invisible material or version is reported as *not found* (never *forbidden*), so its
existence does not leak.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, lazyload, load_only

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.core.errors import NotFound
from oer_portal.extensions import db
from oer_portal.materials import policy
from oer_portal.materials.models import (
    Material,
    MaterialPublication,
    MaterialStatus,
    MaterialVersion,
    StoredFile,
    VersionAttachment,
)
from oer_portal.materials.reviews import ReviewRequest, ReviewRound, ReviewStatus
from oer_portal.materials.service import get_material, version_by_number


def published_ids(material_id: int) -> frozenset[int]:
    """Versions of the material that were ever published."""
    return frozenset(db.session.scalars(select(MaterialPublication.version_id).where(
        MaterialPublication.material_id == material_id)))


def material_for(actor: Actor, material_id: int) -> Material:
    material = get_material(material_id)
    if not policy.can_view_material(actor, material):
        raise NotFound()
    return material


def displayed_version(actor: Actor, material: Material) -> MaterialVersion | None:
    """What the material page shows (``policy.displayed_version_id``)."""
    version_id = policy.displayed_version_id(actor, material)
    return db.session.get(MaterialVersion, version_id) if version_id else None


def version_for(actor: Actor, material: Material, number: int) -> MaterialVersion:
    version = version_by_number(material.id, number)
    if not policy.can_view_version(actor, material, version, published_ids(material.id)):
        raise NotFound()
    return version


HISTORY_PAGE = 100


def history(actor: Actor, material: Material, page: int = 1
            ) -> tuple[Sequence[MaterialVersion], bool]:
    """One page of the versions ``actor`` may see, newest first (authors and staff see all),
    and whether there is a next page.  Only the columns the history shows are loaded."""
    statement = (
        select(MaterialVersion)
        .options(load_only(MaterialVersion.id, MaterialVersion.number,
                           MaterialVersion.created_at, MaterialVersion.summary,
                           MaterialVersion.merged, MaterialVersion.author_id),
                 lazyload(MaterialVersion.attachments),
                 joinedload(MaterialVersion.author).load_only(User.stored_name)
                 .lazyload(User.role_rows))
        .where(MaterialVersion.material_id == material.id)
        .order_by(MaterialVersion.number.desc())
        .limit(HISTORY_PAGE + 1).offset((max(page, 1) - 1) * HISTORY_PAGE))
    if not policy.can_see_unpublished(actor, material):
        if material.is_withdrawn:
            return [], False
        statement = statement.where(MaterialVersion.id.in_(
            select(MaterialPublication.version_id).where(
                MaterialPublication.material_id == material.id)))
    versions = db.session.scalars(statement).unique().all()
    return versions[:HISTORY_PAGE], len(versions) > HISTORY_PAGE


#: The state of a version a review went through before the author submitted a newer one
#: within the same review (after a request for changes, or while it waited).
EARLIER_ROUND = "earlier_round"


def review_states(material_id: int) -> dict[int, str]:
    """Version id → where it stands in review: the latest request's status for the version
    it is about now (pending, changes requested, approved, rejected, cancelled), and
    ``EARLIER_ROUND`` for the versions a review went through before it.  One statement."""
    rows = db.session.execute(
        select(ReviewRequest.version_id, ReviewRequest.status, ReviewRound.version_id)
        .outerjoin(ReviewRound, ReviewRound.request_id == ReviewRequest.id)
        .where(ReviewRequest.material_id == material_id)
        .order_by(ReviewRequest.id, ReviewRound.id))
    states: dict[int, str] = {}
    for version_id, status, round_version_id in rows:
        if round_version_id is not None and round_version_id != version_id:
            states.setdefault(round_version_id, EARLIER_ROUND)
        states[version_id] = status
    return states


def attachment_for(actor: Actor, material_id: int, attachment_id: int) -> VersionAttachment:
    """An attachment, only if its version is visible to ``actor`` (downloads, thumbnails)."""
    material = material_for(actor, material_id)
    attachment = db.session.get(VersionAttachment, attachment_id)
    if attachment is None:
        raise NotFound()
    version = db.session.get(MaterialVersion, attachment.version_id)
    if version.material_id != material.id or not policy.can_view_version(
            actor, material, version, published_ids(material.id)):
        raise NotFound()
    return attachment


def attachment_named(actor: Actor, material_id: int, filename: str,
                     number: int | None = None) -> VersionAttachment:
    """The attachment called ``filename`` of the version the material page shows ``actor``
    (of version ``number`` when given and they may see it).  A page's text links to its
    files by this, because an attachment's row id changes with every version and its name
    does not; a file of an older version only is not found by name.  When a version holds
    two files of one name (uploads may), the first is meant."""
    material = material_for(actor, material_id)
    version = version_for(actor, material, number) if number is not None \
        else displayed_version(actor, material)
    if version is None:
        raise NotFound()
    attachment = db.session.scalars(
        select(VersionAttachment)
        .where(VersionAttachment.version_id == version.id,
               VersionAttachment.filename == filename)
        .order_by(VersionAttachment.position).limit(1)).first()
    if attachment is None:
        raise NotFound()
    return attachment


def newest_published(limit: int = 12) -> Sequence[tuple[Material, MaterialVersion]]:
    rows = db.session.execute(
        select(Material, MaterialVersion)
        .join(MaterialVersion, MaterialVersion.id == Material.published_version_id)
        .where(Material.status == MaterialStatus.PUBLISHED)
        .order_by(Material.published_at.desc(), Material.id.desc()).limit(limit))
    return [(m, v) for m, v in rows]


def owned_by(actor: Actor) -> Sequence[tuple[Material, MaterialVersion, str | None]]:
    """The actor's materials with their head version and pending-review state, newest first."""
    pending = (select(ReviewRequest.material_id).where(
        ReviewRequest.status == ReviewStatus.PENDING).scalar_subquery())
    # A row of the list needs the head's title, number, date and licence (the API its
    # description and language too): never its Markdown, HTML, author or attachments.
    rows = db.session.execute(
        select(Material, MaterialVersion, Material.id.in_(pending))
        .options(load_only(MaterialVersion.id, MaterialVersion.material_id,
                           MaterialVersion.number, MaterialVersion.title,
                           MaterialVersion.description, MaterialVersion.language,
                           MaterialVersion.licence, MaterialVersion.created_at),
                 lazyload(MaterialVersion.author), lazyload(MaterialVersion.attachments))
        .join(MaterialVersion, MaterialVersion.id == Material.latest_version_id)
        .where(Material.owner_id == actor.id,
               # A deleted draft (withdrawn, never published) is gone from the list.
               ~((Material.status == MaterialStatus.WITHDRAWN)
                 & Material.published_version_id.is_(None)))
        .order_by(Material.updated_at.desc()))
    return [(m, v, "pending" if is_pending else None) for m, v, is_pending in rows]


def latest_rejection(material_id: int) -> ReviewRequest | None:
    """The newest review request of the material, when it was a rejection."""
    latest = db.session.scalar(select(ReviewRequest).where(
        ReviewRequest.material_id == material_id, ReviewRequest.status != ReviewStatus.CANCELLED)
        .order_by(ReviewRequest.id.desc()).limit(1))
    return latest if latest is not None and latest.status == ReviewStatus.REJECTED else None


def version_alone(version_id: int) -> MaterialVersion | None:
    """A version without loading its attachments and author (a status line needs only its
    number)."""
    return db.session.scalar(select(MaterialVersion).options(
        lazyload(MaterialVersion.attachments), lazyload(MaterialVersion.author))
        .where(MaterialVersion.id == version_id))


def own_version(material: Material, version_id: int) -> MaterialVersion | None:
    """A version by id, only if it belongs to ``material`` (edit forms carry the id)."""
    version = db.session.get(MaterialVersion, version_id)
    return version if version is not None and version.material_id == material.id else None


# -- cards: what lists of published materials show (the home page, later search results) --


@dataclass(frozen=True)
class MaterialCard:
    """One published material as a list shows it: only the columns a card needs.

    Plain data (safe to keep after the session ends).  ``levels`` and ``language`` are
    vocabulary codes; the template labels them in the reader's language.
    """

    material_id: int
    slug: str
    kind: str
    title: str
    description: str
    language: str
    licence: str
    levels: tuple[str, ...]
    published_at: datetime | None
    #: The first attachment of the published version with a thumbnail (image or PDF), for
    #: ``materials.thumbnail``; ``None`` when there is none.
    thumbnail_id: int | None
    thumbnail_name: str | None


def _first_thumbnail(column: Any) -> Any:
    """A correlated subquery: ``column`` of the published version's first attachment whose
    stored file has a thumbnail."""
    return (select(column)
            .join(StoredFile, StoredFile.sha256 == VersionAttachment.sha256)
            .where(VersionAttachment.version_id == MaterialVersion.id,
                   StoredFile.has_thumbnail.is_(True))
            .order_by(VersionAttachment.position).limit(1)
            .correlate(MaterialVersion).scalar_subquery())


def published_cards(material_ids: Sequence[int]) -> list[MaterialCard]:
    """Cards of those of ``material_ids`` that are published, in the order given, in one
    statement.

    The public sees the published version, never a pending head (nor its attachments);
    the status is checked here even when the ids came from a list of published materials,
    because such a list may have been worked out before a withdrawal.  Only the card's
    columns are read: a version's Markdown and HTML are most of its row.
    """
    if not material_ids:
        return []
    rows = db.session.execute(
        select(Material.id, Material.slug, Material.kind, Material.published_at,
               MaterialVersion.title, MaterialVersion.description, MaterialVersion.language,
               MaterialVersion.licence, MaterialVersion.meta["levels"].label("levels"),
               _first_thumbnail(VersionAttachment.id).label("thumbnail_id"),
               _first_thumbnail(VersionAttachment.filename).label("thumbnail_name"))
        .join(MaterialVersion, MaterialVersion.id == Material.published_version_id)
        .where(Material.id.in_(material_ids), Material.status == MaterialStatus.PUBLISHED))
    cards = {row.id: MaterialCard(
        material_id=row.id, slug=row.slug, kind=row.kind, title=row.title,
        description=row.description, language=row.language, licence=row.licence,
        levels=tuple(row.levels or ()), published_at=row.published_at,
        thumbnail_id=row.thumbnail_id, thumbnail_name=row.thumbnail_name) for row in rows}
    return [cards[material_id] for material_id in material_ids if material_id in cards]


def publication_state() -> tuple[int, datetime | None, datetime | None]:
    """How many materials are withdrawn, when the last publication was and when the public
    last saw any material change: a key that changes whenever what the public sees changes.

    Publishing (a new material or a new version) sets ``published_at`` to now, so the
    newest time moves; withdrawing and unpublishing add one to the withdrawn and
    reinstating takes one off, and each moves ``oai_datestamp`` (``lifecycle``).  Saving a
    draft changes none of them, so results keyed by this (the mixed newest list, the cached
    home page) never outlive the set they were worked out from and survive a draft.

    One statement of three index reads that do not grow with the portal: the newest
    published time and the withdrawn rows from ``ix_materials_status_published`` (a
    portal withdraws few), the newest datestamp from ``ix_materials_oai_datestamp``.  Not a
    count of the published materials: that reads every one of them on every request.
    """
    withdrawn = select(func.count(Material.id)).where(
        Material.status == MaterialStatus.WITHDRAWN).scalar_subquery()
    latest = select(func.max(Material.published_at)).where(
        Material.status == MaterialStatus.PUBLISHED).scalar_subquery()
    changed = select(func.max(Material.oai_datestamp)).scalar_subquery()
    count, published_at, changed_at = db.session.execute(
        select(withdrawn, latest, changed)).one()
    return count, published_at, changed_at


def newest_mixed_ids(limit: int) -> list[int]:
    """The newest published materials, mixed across languages and subjects: ``limit`` ids.

    The rule: within a language, materials are taken in rounds over its subjects (each
    subject's newest, then each one's second newest, …; newest first within a round; a
    material's subject is the first one it lists); the list then takes its languages in
    rounds the same way.  So a language has about ``limit / languages`` places and, within
    it, a subject about its share of those: an import of a thousand English lessons adds one
    English lesson per round, and the Dutch ones published before it stay on the list.

    One statement, but it reads the language and subjects of *every* published version, and
    on SQLite those columns lie behind the Markdown in the row: cache the answer by
    :func:`publication_state`.
    """
    subject = MaterialVersion.meta[("subjects", 0)].as_string()
    published = (
        select(Material.id, Material.published_at, MaterialVersion.language,
               subject.label("subject"))
        .join(MaterialVersion, MaterialVersion.id == Material.published_version_id)
        .where(Material.status == MaterialStatus.PUBLISHED)).subquery()
    newest_first = (published.c.published_at.desc(), published.c.id.desc())
    in_subject = select(
        published, func.row_number().over(
            partition_by=(published.c.language, published.c.subject),
            order_by=newest_first).label("subject_round")).subquery()
    in_language = select(
        in_subject.c.id, in_subject.c.published_at, func.row_number().over(
            partition_by=in_subject.c.language,
            order_by=(in_subject.c.subject_round, in_subject.c.published_at.desc(),
                      in_subject.c.id.desc())).label("language_round")).subquery()
    return list(db.session.scalars(
        select(in_language.c.id)
        .order_by(in_language.c.language_round, in_language.c.published_at.desc(),
                  in_language.c.id.desc())
        .limit(limit)))
