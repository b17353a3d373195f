"""Reading harvested records for the places that point at them: link parts of arrangements
and items of lists.  Only records the source has not deleted are offered; the rest of
``collections`` (harvesting, the admin pages) writes them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

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


#: How many words of a query count (the rest is ignored), each matched in the title.
MAX_WORDS = 8


def find_records(query: str, limit: int) -> list[HarvestedRecord]:
    """Live records whose title holds every word of ``query`` (case-insensitive), by title:
    the arrangement builder offers them beside the portal's own materials.  A plain title
    match, so it works whether or not the search index has the records yet."""
    words = [w for w in query.split() if w][:MAX_WORDS]
    if not words:
        return []
    statement = (select(HarvestedRecord).options(joinedload(HarvestedRecord.collection))
                 .where(HarvestedRecord.deleted.is_(False), HarvestedRecord.url != ""))
    for word in words:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(HarvestedRecord.title.ilike(f"%{escaped}%", escape="\\"))
    return list(db.session.scalars(statement.order_by(HarvestedRecord.title,
                                                      HarvestedRecord.id).limit(limit)))
