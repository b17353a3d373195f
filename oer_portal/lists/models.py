"""A user's lists of materials: the favourites and named lists, private unless made public.

Lists are personal data, not content: no history is kept, and they follow their owner and
their materials (``ON DELETE CASCADE``).  An item is a material, never a version: a list
points at what the material is now, so an item whose material goes offline is hidden from
visitors rather than showing an old version.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from oer_portal.core import public_state
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db

NAME_MAX = 120
DESCRIPTION_MAX = 2000

_FAVOURITES = "is_favourites"


class MaterialList(db.Model):
    __tablename__ = "material_lists"
    __table_args__ = (
        # One favourites list per user, even when two first clicks race.
        Index("uq_material_lists_favourites", "owner_id", unique=True,
              sqlite_where=text(_FAVOURITES), postgresql_where=text(_FAVOURITES)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Indexed for "my lists" and for the cascade when an account is deleted.
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                          index=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Anyone with the link may see a public list; a private one exists only for its owner.
    is_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The list "add to favourites" fills; made the first time it is needed.
    is_favourites: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MaterialListItem(db.Model):
    __tablename__ = "material_list_items"

    #: The primary key refuses a material twice on one list; its prefix serves "the items of
    #: a list".
    list_id: Mapped[int] = mapped_column(
        ForeignKey("material_lists.id", ondelete="CASCADE"), primary_key=True)
    #: Indexed for "which of my lists hold this material" (the material page's panel).
    material_id: Mapped[int] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True, index=True)
    #: The order on the list; gaps are fine (removing an item leaves one).
    position: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MaterialListRecord(db.Model):
    """A harvested record (a lesson in another collection) on a list.  It shares the list's
    one order with the materials (``position`` counts across both tables) and goes with
    its record when a harvest or ``collections remove`` deletes the row."""

    __tablename__ = "material_list_records"

    list_id: Mapped[int] = mapped_column(
        ForeignKey("material_lists.id", ondelete="CASCADE"), primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("harvested_records.id", ondelete="CASCADE"), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

# Lists have pages of their own, which the page cache does not keep.
public_state.never_shown(MaterialList)
public_state.never_shown(MaterialListItem)
public_state.never_shown(MaterialListRecord)
