"""Deleting a leaving user's drafts: the never-published materials only they own.

Versions are immutable (the database refuses UPDATE and DELETE, migrations 0002 and 0005).
The one exception (migration 0026) is a material that was never published *and* carries an
:class:`~oer_portal.privacy.models.ErasureMark`, which only this module writes, just before
it deletes the material, in the same transaction.  Published materials, withdrawn ones that
were once public, and every version of them stay.

A draft another material still points at (an arrangement of someone else that includes it,
a remix of it) is kept: deleting it would break their work.  It stays owned by the deleted
account, invisible to the public as before.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, exists, select, update

from oer_portal.arrangements.models import ArrangementNode
from oer_portal.extensions import db
from oer_portal.materials.models import (
    Material,
    MaterialCoAuthor,
    MaterialPublication,
    MaterialVersion,
    VersionAttachment,
)
from oer_portal.materials.reviews import ReviewRequest
from oer_portal.moderation.models import Report
from oer_portal.privacy.models import ErasureMark
from oer_portal.proposals.models import ChangeProposal
from oer_portal.remix.models import RemixPull, RemixUpstream


def sole_drafts(user_id: int) -> set[int]:
    """Never-published materials that ``user_id`` owns without co-authors."""
    return set(db.session.scalars(select(Material.id).where(
        Material.owner_id == user_id,
        Material.published_version_id.is_(None),
        ~exists().where(MaterialPublication.material_id == Material.id),
        ~exists().where(MaterialCoAuthor.material_id == Material.id))))


def _referenced_from_outside(candidates: set[int]) -> set[int]:
    """The candidates that a material outside ``candidates`` refers to."""
    if not candidates:
        return set()
    inside = select(MaterialVersion.id).where(MaterialVersion.material_id.in_(candidates))
    outside_versions = select(MaterialVersion.id).where(
        MaterialVersion.material_id.not_in(candidates))
    included = set(db.session.scalars(select(ArrangementNode.material_id).where(
        ArrangementNode.material_id.in_(candidates),
        ArrangementNode.version_id.in_(outside_versions))))
    pinned = set(db.session.scalars(
        select(MaterialVersion.material_id)
        .join(ArrangementNode, ArrangementNode.pinned_version_id == MaterialVersion.id)
        .where(MaterialVersion.id.in_(inside),
               ArrangementNode.version_id.in_(outside_versions))))
    remixed = set(db.session.scalars(
        select(MaterialVersion.material_id)
        .join(Material, Material.derived_from_version_id == MaterialVersion.id)
        .where(MaterialVersion.id.in_(inside), Material.id.not_in(candidates))))
    return included | pinned | remixed


def deletable(user_id: int) -> set[int]:
    """The user's sole drafts that nothing else refers to (worked out to a fixed point: a
    kept arrangement keeps what it includes)."""
    candidates = sole_drafts(user_id)
    while blocked := _referenced_from_outside(candidates):
        candidates -= blocked
    return candidates


def delete_drafts(material_ids: Iterable[int]) -> None:
    """Delete the materials with everything that belongs to them, versions included."""
    ids = sorted(set(material_ids))
    if not ids:
        return
    db.session.add_all(ErasureMark(material_id=material_id) for material_id in ids)
    db.session.flush()
    versions = select(MaterialVersion.id).where(MaterialVersion.material_id.in_(ids))
    options = {"synchronize_session": False}
    for statement in (
            # Review requests take their rounds and messages with them (cascade).
            delete(ReviewRequest).where(ReviewRequest.material_id.in_(ids)),
            delete(Report).where(Report.material_id.in_(ids)),
            delete(ChangeProposal).where(ChangeProposal.material_id.in_(ids)),
            delete(RemixPull).where(RemixPull.material_id.in_(ids)),
            delete(RemixUpstream).where(RemixUpstream.material_id.in_(ids)),
            update(Material).where(Material.id.in_(ids)).values(
                latest_version_id=None, published_version_id=None,
                derived_from_version_id=None),
            delete(ArrangementNode).where(ArrangementNode.version_id.in_(versions)),
            delete(VersionAttachment).where(VersionAttachment.version_id.in_(versions)),
            delete(MaterialVersion).where(MaterialVersion.material_id.in_(ids)),
            # Co-authors, ratings, list items, usage counts and the marks go with it.
            delete(Material).where(Material.id.in_(ids))):
        db.session.execute(statement, execution_options=options)
