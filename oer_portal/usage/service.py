"""A material's statistics for its authors: views and downloads per day for the last
:data:`DAYS` days, their totals, and how often it was remixed and included in arrangements.

Only the material's owner and co-authors, moderators and admins see them; for anyone else
the page does not exist (``NotFound``, as for a draft: whether a material has statistics is
nobody else's business).  The counts are the table's (``models.py``) plus the counts this
process has not written yet (``counter.py``), so an author sees a view at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from oer_portal.accounts.policy import Actor
from oer_portal.arrangements.models import ArrangementNode
from oer_portal.core.errors import NotFound
from oer_portal.extensions import db
from oer_portal.materials import policy as material_policy
from oer_portal.materials import queries
from oer_portal.materials.models import Material, MaterialStatus, MaterialVersion
from oer_portal.usage.chart import Chart, DayUse, chart
from oer_portal.usage.counter import Key, utc_today
from oer_portal.usage.models import UsageCount

#: How many days (today included) the page shows.
DAYS = 30


@dataclass(frozen=True)
class Statistics:
    material: Material
    title: str
    #: The last ``DAYS`` UTC days, oldest first (today last).
    days: tuple[DayUse, ...]
    chart: Chart
    #: Published remixes of any of its versions.
    remixes: int
    #: Published arrangements whose public version includes it.
    arrangements: int

    @property
    def views(self) -> int:
        return sum(day.views for day in self.days)

    @property
    def downloads(self) -> int:
        return sum(day.downloads for day in self.days)


def can_see_statistics(actor: Actor, material: Material) -> bool:
    return material_policy.is_author(actor, material) or material_policy.is_staff(actor)


def statistics(actor: Actor, material_id: int, pending: Mapping[Key, int],
               today: date | None = None) -> Statistics:
    """The page's numbers; ``pending``: the counter's unwritten counts of the material."""
    material = queries.material_for(actor, material_id)
    if not can_see_statistics(actor, material):
        raise NotFound()
    today = today or utc_today()
    first = today - timedelta(days=DAYS - 1)
    found = per_day(material.id, first, today, pending)
    days = tuple(DayUse(day, found.get((day, "view"), 0), found.get((day, "download"), 0))
                 for day in (first + timedelta(days=n) for n in range(DAYS)))
    title = db.session.scalar(select(MaterialVersion.title).where(
        MaterialVersion.id == (material.published_version_id or material.latest_version_id)))
    return Statistics(material, title or "", days, chart(days), remix_count(material.id),
                      arrangement_count(material.id))


def per_day(material_id: int, first: date, last: date, pending: Mapping[Key, int]
            ) -> dict[tuple[date, str], int]:
    """Counts per (day, kind) from ``first`` to ``last``, written and pending together."""
    found: dict[tuple[date, str], int] = {}
    for day, kind, count in db.session.execute(
            select(UsageCount.day, UsageCount.kind, UsageCount.count)
            .where(UsageCount.material_id == material_id, UsageCount.day >= first,
                   UsageCount.day <= last)):
        found[(day, kind)] = found.get((day, kind), 0) + count
    for (pending_material, day, kind), count in pending.items():
        if pending_material == material_id and first <= day <= last:
            found[(day, kind)] = found.get((day, kind), 0) + count
    return found


def remix_count(material_id: int) -> int:
    """Published remixes made of any version of the material (one count query; the family
    tree on the material page shows them)."""
    source = aliased(MaterialVersion)
    return db.session.scalar(
        select(func.count(Material.id))
        .join(source, source.id == Material.derived_from_version_id)
        .where(source.material_id == material_id,
               Material.status == MaterialStatus.PUBLISHED)) or 0


def arrangement_count(material_id: int) -> int:
    """Published arrangements whose public version includes the material (the count of the
    "included in" list of the material page)."""
    return db.session.scalar(
        select(func.count(func.distinct(Material.id)))
        .join(ArrangementNode, ArrangementNode.version_id == Material.published_version_id)
        .where(ArrangementNode.material_id == material_id,
               Material.status == MaterialStatus.PUBLISHED)) or 0


@dataclass(frozen=True)
class MaterialUse:
    """One of a teacher's published materials with its uses of the last ``DAYS`` days."""

    material_id: int
    title: str
    views: int
    downloads: int


def owned_uses(actor: Actor, pending: Mapping[Key, int], today: date | None = None
               ) -> tuple[MaterialUse, ...]:
    """The actor's materials that the public can see, most viewed first, with their uses of
    the last ``DAYS`` days (two statements, whatever the number of materials)."""
    if not actor.is_authenticated:
        return ()
    today = today or utc_today()
    first = today - timedelta(days=DAYS - 1)
    materials = db.session.execute(
        select(Material.id, MaterialVersion.title)
        .join(MaterialVersion, MaterialVersion.id == Material.published_version_id)
        .where(Material.owner_id == actor.id, Material.status == MaterialStatus.PUBLISHED)
        ).all()
    if not materials:
        return ()
    sums: dict[tuple[int, str], int] = {}
    for material_id, kind, count in db.session.execute(
            select(UsageCount.material_id, UsageCount.kind, func.sum(UsageCount.count))
            .where(UsageCount.material_id.in_([m for m, _t in materials]),
                   UsageCount.day >= first, UsageCount.day <= today)
            .group_by(UsageCount.material_id, UsageCount.kind)):
        sums[(material_id, kind)] = int(count)
    for (material_id, day, kind), count in pending.items():
        if first <= day <= today:
            sums[(material_id, kind)] = sums.get((material_id, kind), 0) + count
    rows = [MaterialUse(m, title, sums.get((m, "view"), 0), sums.get((m, "download"), 0))
            for m, title in materials]
    return tuple(sorted(rows, key=lambda r: (-r.views, -r.downloads, r.title)))
