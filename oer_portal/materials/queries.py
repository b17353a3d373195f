"""Reading materials for pages: every function applies the visibility policy.

An invisible material or version is reported as *not found* (never *forbidden*), so its
existence does not leak.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
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
    VersionAttachment,
)
from oer_portal.materials.reviews import ReviewRequest, ReviewStatus
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
                 joinedload(MaterialVersion.author).load_only(User.display_name)
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


def review_states(material_id: int) -> dict[int, str]:
    """Version id → latest review status (pending, approved, rejected, cancelled)."""
    rows = db.session.execute(select(ReviewRequest.version_id, ReviewRequest.status)
                              .where(ReviewRequest.material_id == material_id)
                              .order_by(ReviewRequest.id))
    return {version_id: status for version_id, status in rows}


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
    rows = db.session.execute(
        select(Material, MaterialVersion, Material.id.in_(pending))
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
