"""What a remix remembers about its original beyond ``Material.derived_from_version_id``.

``derived_from_version_id`` (on the material) records where the remix came from and never
changes: the credits walk it.  Which version of the original the remix's text is *now* based
on moves each time the owner pulls a newer version, and which newer version they chose to
ignore is a matter of their notice list; both live in ``RemixUpstream``, one row per remix,
written the first time the owner pulls or dismisses (until then the remix is in step with
``derived_from``).  Every pull is also kept in ``RemixPull``, append-only like the versions,
so the credits of any version can name the version of the original it was based on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from oer_portal.core import public_state
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db
from oer_portal.materials.models import Material


class RemixUpstream(db.Model):
    """The remix's position relative to its original."""

    __tablename__ = "remix_upstreams"

    #: The remix.
    material_id: Mapped[int] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True)
    #: The original's version the remix's content is based on: the three-way merge base of
    #: the next pull, and the old side of the upstream diff.
    synced_version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id"))
    #: The newest original version the owner dismissed the notice for; a later one shows the
    #: notice again.
    dismissed_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("material_versions.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RemixPull(db.Model):
    """A version of a remix made by pulling a version of its original (never changed)."""

    __tablename__ = "remix_pulls"

    #: The remix's version the pull wrote.
    version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id"),
                                            primary_key=True)
    material_id: Mapped[int] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), index=True)
    #: The original's version that was merged in.
    source_version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id"))
    pulled_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


#: "Remixed N times" and the family tree look remixes up by their source version; the column
#: belongs to ``materials`` but only this feature queries it, so its index is declared here.
Index("ix_materials_derived_from_version_id", Material.derived_from_version_id)

# Where a remix stands against its original is shown to its authors only.
public_state.never_shown(RemixUpstream)
public_state.never_shown(RemixPull)
