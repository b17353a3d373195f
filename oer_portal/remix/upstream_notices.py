"""Telling the owners and co-authors of remixes that their original has a new version.

The dashboard and the remix's page show the upstream notice to whoever looks; this listener
also puts it in their inbox (and, if they chose so, their mail) at the moment it happens.
It listens to ``materials.publishing`` (materials cannot import this feature) and writes the
notifications in the publication's unit of work.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from oer_portal.accounts.models import User
from oer_portal.extensions import db
from oer_portal.materials import publishing
from oer_portal.materials.models import (
    Material,
    MaterialCoAuthor,
    MaterialStatus,
    MaterialVersion,
)
from oer_portal.notifications import service as notifications
from oer_portal.notifications.models import NotificationKind, TargetType
from oer_portal.remix.models import RemixUpstream


def tell_remixers(original: Material, version: MaterialVersion, by: User | None) -> None:
    """One notification per remix that is behind ``version`` of its ``original`` (in step
    with an older version of it), for its owner and co-authors, worded with the remix's
    current title.  Withdrawn remixes are left alone; remixes of remixes follow their own
    original, not this one."""
    if version.number <= 1:
        return  # no remix can be in step with a version before the first (an import's case)
    remix, synced, head = aliased(Material), aliased(MaterialVersion), aliased(MaterialVersion)
    synced_id = func.coalesce(RemixUpstream.synced_version_id, remix.derived_from_version_id)
    behind = db.session.execute(
        select(remix.id, remix.owner_id, head.title)
        .outerjoin(RemixUpstream, RemixUpstream.material_id == remix.id)
        .join(synced, synced.id == synced_id)
        .join(head, head.id == remix.latest_version_id)
        .where(synced.material_id == original.id, synced.number < version.number,
               remix.status != MaterialStatus.WITHDRAWN)
        .order_by(remix.id)).all()
    if not behind:
        return
    co_authors: dict[int, list[int]] = {}
    for material_id, user_id in db.session.execute(
            select(MaterialCoAuthor.material_id, MaterialCoAuthor.user_id)
            .where(MaterialCoAuthor.material_id.in_([row[0] for row in behind]))):
        co_authors.setdefault(material_id, []).append(user_id)
    for remix_id, owner_id, title in behind:
        notifications.notify(
            [owner_id, *sorted(co_authors.get(remix_id, ()))],
            NotificationKind.UPSTREAM_CHANGED, (TargetType.MATERIAL, remix_id),
            {"title": title, "source_title": version.title, "version": version.number,
             "source_id": original.id},
            actor_id=by.id if by is not None else None)


publishing.on_published(tell_remixers)
