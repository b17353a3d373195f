"""Reading harvested records for the places that point at them: link parts of arrangements
and items of lists.  Only records the source has not deleted are offered; the rest of
``collections`` (harvesting, the admin pages) writes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from oer_portal.collections.models import Collection, HarvestedRecord
from oer_portal.extensions import db


@dataclass(frozen=True)
class RecordLink:
    """What a link to a harvested record shows: its title, home page and collection."""

    record_id: int
    title: str
    url: str
    collection: str
    #: Deleted at the source (or by the next harvest): kept for the owner of a list only.
    deleted: bool = False


def get_record(record_id: int) -> HarvestedRecord | None:
    """The harvested record, unless the source deleted it (``None`` then, as for an unknown
    id: neither may become a new link)."""
    record = db.session.get(HarvestedRecord, record_id)
    return None if record is None or record.deleted else record


def record_links(record_ids: Iterable[int]) -> dict[int, RecordLink]:
    """The records among ``record_ids`` that still exist (deleted ones marked), with their
    collections' names: one statement however many."""
    ids = set(record_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(HarvestedRecord.id, HarvestedRecord.title, HarvestedRecord.url,
               HarvestedRecord.deleted, Collection.name)
        .join(Collection, Collection.id == HarvestedRecord.collection_id)
        .where(HarvestedRecord.id.in_(ids)))
    return {row.id: RecordLink(row.id, row.title, row.url, row.name, bool(row.deleted))
            for row in rows}
