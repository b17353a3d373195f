"""Lists of materials: favourites (made lazily), named lists, their items and their pages.
An item is a material of this portal or a harvested record (a lesson in another collection);
both share one order on the list.

Every function is given the actor; a list the actor may not see is *not found*, so a private
list's existence never leaks.  Items are read in a fixed number of statements however long
the list is (the list page is held to that by a test).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.exc import IntegrityError

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.collections import records
from oer_portal.core.errors import Forbidden, NotFound, ValidationError
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.lists import policy
from oer_portal.lists.models import (
    DESCRIPTION_MAX,
    NAME_MAX,
    MaterialList,
    MaterialListItem,
    MaterialListRecord,
)
from oer_portal.materials import queries
from oer_portal.materials.models import Material, MaterialStatus, MaterialVersion
from oer_portal.materials.service import slugify

#: How many lists one user may keep: enough for any teacher, a bound on the panel's select.
MAX_LISTS = 200
#: How many materials one list may hold: the list page shows them all.
MAX_ITEMS = 500


class AddResult(StrEnum):
    ADDED = "added"
    #: The material was on the list already: nothing changed (duplicates are refused).
    ALREADY = "already"


@dataclass(frozen=True)
class ListSummary:
    """A list as an overview or the material page's select shows it."""

    list_id: int
    name: str
    slug: str
    is_public: bool
    is_favourites: bool
    count: int


@dataclass(frozen=True)
class Entry:
    """One item of a list as its page shows it: a published material's card, or (for the
    owner only) a material that is no longer available, with the title it had."""

    material_id: int
    card: queries.MaterialCard | None
    title: str
    is_record = False

    @property
    def available(self) -> bool:
        return self.card is not None


def list_slug(material_list: MaterialList) -> str:
    return slugify(material_list.name)


def _user(actor: Actor) -> User:
    user = policy.signed_in(actor)
    if user is None:
        raise Forbidden(_("Log in to keep lists of materials."))
    return user


# -- Lists ------------------------------------------------------------------------------------


def favourites(actor: Actor) -> MaterialList:
    """The user's favourites list, made the first time it is asked for.  Two first clicks
    at once end as one list: the partial unique index refuses the second, which then reads
    the first."""
    user = _user(actor)
    found = _favourites_of(user.id)
    if found is not None:
        return found
    made = MaterialList(owner_id=user.id, name=_("Favourites"), is_favourites=True)
    try:
        with db.session.begin_nested():
            db.session.add(made)
    except IntegrityError:
        found = _favourites_of(user.id)
        if found is None:
            raise
        return found
    return made


def _favourites_of(user_id: int) -> MaterialList | None:
    return db.session.scalar(select(MaterialList).where(
        MaterialList.owner_id == user_id, MaterialList.is_favourites.is_(True)))


def lists_of(actor: Actor) -> list[ListSummary]:
    """The user's lists with their sizes, favourites first, then by name: one statement."""
    user = _user(actor)
    rows = db.session.execute(
        select(MaterialList, _item_count())
        .where(MaterialList.owner_id == user.id)
        .order_by(MaterialList.is_favourites.desc(), func.lower(MaterialList.name),
                  MaterialList.id))
    return [_summary(material_list, count) for material_list, count in rows]


def public_lists_of(user_id: int) -> list[ListSummary]:
    """A user's public lists (their profile shows these), by name: one statement."""
    rows = db.session.execute(
        select(MaterialList, _item_count())
        .where(MaterialList.owner_id == user_id, MaterialList.is_public.is_(True))
        .order_by(func.lower(MaterialList.name), MaterialList.id).limit(MAX_LISTS))
    return [_summary(material_list, count) for material_list, count in rows]


def _item_count() -> ColumnElement[int]:
    """A list's materials and harvested records together, as a column of the list's row
    (two correlated counts, still one statement)."""
    materials = select(func.count(MaterialListItem.material_id)).where(
        MaterialListItem.list_id == MaterialList.id).scalar_subquery()
    harvested = select(func.count(MaterialListRecord.record_id)).where(
        MaterialListRecord.list_id == MaterialList.id).scalar_subquery()
    return (materials + harvested).label("count")


def _summary(material_list: MaterialList, count: int) -> ListSummary:
    return ListSummary(material_list.id, material_list.name, list_slug(material_list),
                       material_list.is_public, material_list.is_favourites, count)


def create_list(actor: Actor, name: str, description: str = "", public: bool = False
                ) -> MaterialList:
    user = _user(actor)
    count = db.session.scalar(select(func.count(MaterialList.id)).where(
        MaterialList.owner_id == user.id)) or 0
    if count >= MAX_LISTS:
        raise ValidationError(_("You have %(num)d lists, the most one person can keep.",
                                num=MAX_LISTS))
    material_list = MaterialList(owner_id=user.id, name=_valid_name(name),
                                 description=_valid_description(description),
                                 is_public=bool(public))
    db.session.add(material_list)
    db.session.flush()
    return material_list


def update_list(actor: Actor, list_id: int, name: str | None, description: str,
                public: bool) -> MaterialList:
    """Rename, describe, and make public or private.  The favourites keep their name (the
    material page's one-click button is named after them) but may be made public."""
    material_list = own_list(actor, list_id)
    if not material_list.is_favourites and name is not None:
        material_list.name = _valid_name(name)
    material_list.description = _valid_description(description)
    material_list.is_public = bool(public)
    material_list.updated_at = utcnow()
    return material_list


def delete_list(actor: Actor, list_id: int) -> None:
    """Delete a named list and its items (never the materials).  The favourites stay: they
    are what the one-click button fills, so emptying them is done item by item."""
    material_list = own_list(actor, list_id)
    if material_list.is_favourites:
        raise ValidationError(_("Your favourites cannot be deleted; remove their items "
                                "instead."))
    db.session.delete(material_list)
    db.session.flush()


def _valid_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError(_("Give the list a name."))
    if len(name) > NAME_MAX:
        raise ValidationError(_("A list's name can be at most %(num)d characters.",
                                num=NAME_MAX))
    return name


def _valid_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise ValidationError(_("A list's description can be at most %(num)d characters.",
                                num=DESCRIPTION_MAX))
    return description


def own_list(actor: Actor, list_id: int) -> MaterialList:
    """The list, if ``actor`` owns it; *not found* otherwise (a private list's existence
    must not leak, and a public one is still not theirs to change)."""
    material_list = db.session.get(MaterialList, list_id)
    if material_list is None or not policy.is_owner(actor, material_list):
        raise NotFound()
    return material_list


def visible_list(actor: Actor, list_id: int) -> MaterialList:
    """The list, if ``actor`` may see it (public, or their own)."""
    material_list = db.session.get(MaterialList, list_id)
    if material_list is None or not policy.can_view(actor, material_list):
        raise NotFound()
    return material_list


# -- Items ------------------------------------------------------------------------------------


def add_item(actor: Actor, list_id: int | None, material_id: int) -> tuple[MaterialList,
                                                                           AddResult]:
    """Put a material the user may see at the end of one of their lists (their favourites
    when ``list_id`` is ``None``).  A material already on the list is refused (nothing
    changes); one the user may not see is *not found*; a withdrawn one cannot be added."""
    material = queries.material_for(actor, material_id)
    if material.is_withdrawn:
        raise ValidationError(_("A withdrawn material cannot be added to a list."))
    material_list = favourites(actor) if list_id is None else own_list(actor, list_id)
    db.session.flush()
    if _contains(material_list.id, material.id):
        return material_list, AddResult.ALREADY
    position = _next_position(material_list.id)
    try:
        with db.session.begin_nested():
            db.session.add(MaterialListItem(list_id=material_list.id, material_id=material.id,
                                            position=position))
    except IntegrityError:  # the same click twice at once: the other one added it
        return material_list, AddResult.ALREADY
    material_list.updated_at = utcnow()
    return material_list, AddResult.ADDED


def _next_position(list_id: int) -> int:
    """The position after the last item, materials and records sharing one order; refuses
    a full list."""
    count, last = 0, 0
    for table in (MaterialListItem, MaterialListRecord):
        n, top = db.session.execute(select(func.count(), func.max(table.position))
                                    .where(table.list_id == list_id)).one()
        count, last = count + n, max(last, top or 0)
    if count >= MAX_ITEMS:
        raise ValidationError(_("A list can hold at most %(num)d materials.", num=MAX_ITEMS))
    return last + 1


def _contains(list_id: int, material_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(
        MaterialListItem.list_id == list_id, MaterialListItem.material_id == material_id))))


def remove_item(actor: Actor, list_id: int, material_id: int) -> MaterialList:
    """Take a material off the user's list (idempotent: it may be gone already)."""
    material_list = own_list(actor, list_id)
    item = db.session.get(MaterialListItem, (material_list.id, material_id))
    if item is not None:
        db.session.delete(item)
        material_list.updated_at = utcnow()
    return material_list


def move_item(actor: Actor, list_id: int, material_id: int, up: bool) -> MaterialList:
    """Swap an item with its neighbour above (``up``) or below, a material or a record;
    at either end nothing moves."""
    material_list = own_list(actor, list_id)
    item = db.session.get(MaterialListItem, (material_list.id, material_id))
    if item is None:
        raise NotFound()
    _swap_with_neighbour(material_list, item, up)
    return material_list


def move_record(actor: Actor, list_id: int, record_id: int, up: bool) -> MaterialList:
    """As ``move_item``, for a harvested record on the list."""
    material_list = own_list(actor, list_id)
    item = db.session.get(MaterialListRecord, (material_list.id, record_id))
    if item is None:
        raise NotFound()
    _swap_with_neighbour(material_list, item, up)
    return material_list


def _swap_with_neighbour(material_list: MaterialList,
                         item: MaterialListItem | MaterialListRecord, up: bool) -> None:
    """Materials and records share the positions: the nearest item of either table above
    or below swaps places with ``item`` (two statements)."""
    candidates: list[MaterialListItem | MaterialListRecord] = []
    for table in (MaterialListItem, MaterialListRecord):
        column = table.position
        found = db.session.scalar(
            select(table).where(table.list_id == material_list.id,
                                column < item.position if up else column > item.position)
            .order_by(column.desc() if up else column).limit(1))
        if found is not None:
            candidates.append(found)
    if not candidates:
        return
    neighbour = (max if up else min)(candidates, key=lambda c: c.position)
    item.position, neighbour.position = neighbour.position, item.position
    material_list.updated_at = utcnow()


# -- Harvested records on lists -----------------------------------------------------------------


def add_record(actor: Actor, list_id: int | None, record_id: int) -> tuple[MaterialList,
                                                                           AddResult]:
    """Put a harvested record (a lesson in another collection) at the end of one of the
    user's lists (their favourites when ``list_id`` is ``None``).  A record the source
    deleted, or an unknown one, cannot be added; one already on the list changes nothing."""
    record = records.get_record(record_id)
    if record is None:
        raise ValidationError(_("This record is no longer available in its collection, so "
                                "it cannot be added."))
    material_list = favourites(actor) if list_id is None else own_list(actor, list_id)
    db.session.flush()
    if db.session.get(MaterialListRecord, (material_list.id, record.id)) is not None:
        return material_list, AddResult.ALREADY
    position = _next_position(material_list.id)
    try:
        with db.session.begin_nested():
            db.session.add(MaterialListRecord(list_id=material_list.id, record_id=record.id,
                                              position=position))
    except IntegrityError:  # the same click twice at once
        return material_list, AddResult.ALREADY
    material_list.updated_at = utcnow()
    return material_list, AddResult.ADDED


def remove_record(actor: Actor, list_id: int, record_id: int) -> MaterialList:
    """Take a record off the user's list (idempotent)."""
    material_list = own_list(actor, list_id)
    item = db.session.get(MaterialListRecord, (material_list.id, record_id))
    if item is not None:
        db.session.delete(item)
        material_list.updated_at = utcnow()
    return material_list


@dataclass(frozen=True)
class RecordEntry:
    """A harvested record on a list: it opens at its home page in its collection."""

    record_id: int
    record: records.RecordLink
    title: str
    is_record = True

    @property
    def available(self) -> bool:
        return not self.record.deleted


def ordered_items(list_id: int) -> list[tuple[str, int]]:
    """The list's items in its one order, as ``("material", id)`` and ``("record", id)``:
    two indexed statements."""
    rows: list[tuple[int, datetime, str, int]] = []
    for kind, table, column in (("material", MaterialListItem, MaterialListItem.material_id),
                                ("record", MaterialListRecord, MaterialListRecord.record_id)):
        rows.extend((position, added, kind, key) for key, position, added in db.session.execute(
            select(column, table.position, table.added_at).where(table.list_id == list_id)))
    rows.sort(key=lambda row: (row[0], row[1], row[2], row[3]))
    return [(kind, key) for _position, _added, kind, key in rows]


def entries(actor: Actor, material_list: MaterialList) -> list[Entry | RecordEntry]:
    """The items ``actor`` may see, in order: the published materials as cards and the
    harvested records with their collections (visitors see only these); the owner also
    sees the others (materials withdrawn, taken offline or drafts; records the source
    deleted) as no longer available.  Five statements at most, however long the list."""
    order = ordered_items(material_list.id)
    ids = [key for kind, key in order if kind == "material"]
    cards = {card.material_id: card for card in queries.published_cards(ids)}
    missing = [material_id for material_id in ids if material_id not in cards]
    owner = policy.is_owner(actor, material_list)
    titles: dict[int, str] = {}
    if missing and owner:
        titles = dict(db.session.execute(
            select(Material.id, MaterialVersion.title)
            .join(MaterialVersion, MaterialVersion.id == func.coalesce(
                Material.published_version_id, Material.latest_version_id))
            .where(Material.id.in_(missing))).all())
    linked = records.record_links(key for kind, key in order if kind == "record")
    result: list[Entry | RecordEntry] = []
    for kind, key in order:
        if kind == "record":
            record = linked.get(key)
            if record is not None and (owner or not record.deleted):
                result.append(RecordEntry(key, record, record.title or record.url))
            continue
        card = cards.get(key)
        if card is not None:
            result.append(Entry(key, card, card.title))
        elif key in titles:
            result.append(Entry(key, None, titles[key]))
    return result


def lists_holding(actor: Actor, material_id: int) -> list[tuple[ListSummary, bool]]:
    """The user's lists, each with whether it holds ``material_id`` (the material page's
    panel): one statement."""
    user = _user(actor)
    holds = exists().where(MaterialListItem.list_id == MaterialList.id,
                           MaterialListItem.material_id == material_id)
    rows = db.session.execute(
        select(MaterialList, holds.label("holds"))
        .where(MaterialList.owner_id == user.id)
        .order_by(MaterialList.is_favourites.desc(), func.lower(MaterialList.name),
                  MaterialList.id).limit(MAX_LISTS))
    return [(_summary(material_list, 0), bool(held)) for material_list, held in rows]


def published_material_ids(ids: Sequence[int]) -> list[int]:
    """Those of ``ids`` that are published now, in order (what an arrangement may take)."""
    if not ids:
        return []
    published = set(db.session.scalars(select(Material.id).where(
        Material.id.in_(ids), Material.status == MaterialStatus.PUBLISHED)))
    return [material_id for material_id in ids if material_id in published]
