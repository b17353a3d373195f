"""Stored HTML made again from its Markdown with today's renderer.

A version's ``body_html`` (and an arrangement page's) is the Markdown of ``body`` rendered
and sanitised once, when the row was written, so pages never render on a read.  When the
renderer improves, rows written before keep what the old one made: before issue 16 the
sanitiser dropped everything after a ``<textarea>``.  ``flask materials rerender`` brings
them in step: the one writer of that column after the insert (migration 0021 lets the
immutability triggers pass exactly that column); the search index hears of every material
whose text changed, and other sites' images the new HTML shows from the portal's copy are
registered for fetching (as a save registers them).

Features with rows of their own that keep rendered Markdown register them here (the
arrangements' outline rows), so one command covers every stored page.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from oer_portal.core import outbox
from oer_portal.core.markdown import remote_image_sources, render_markdown
from oer_portal.extensions import db
from oer_portal.materials import remote_images
from oer_portal.materials.models import MaterialVersion

#: Rows read and written per transaction.
BATCH_SIZE = 200


@dataclass(frozen=True)
class StoredHtml:
    """A model whose rows keep ``body`` rendered as ``body_html``; ``version_id`` is the
    column naming the version whose material must be indexed again when a row changes."""

    name: str
    model: Any
    version_id: Any


@dataclass
class Summary:
    """What a run looked at and changed, per registered model."""

    checked: int = 0
    changed: int = 0
    materials: int = 0


_STORED: dict[str, StoredHtml] = {}


def register(stored: StoredHtml) -> None:
    _STORED[stored.name] = stored


register(StoredHtml("material_versions", MaterialVersion, MaterialVersion.id))


def rendered(body: str) -> str:
    """What a row with ``body`` stores today (an empty body stores nothing)."""
    return str(render_markdown(body)) if body else ""


def total_rows() -> int:
    return sum(db.session.scalar(select(db.func.count()).select_from(stored.model)) or 0
               for stored in _STORED.values())


def rerender(commit: Callable[[], None], dry_run: bool = False,
             progress: Callable[[int], None] = lambda _n: None) -> Summary:
    """Render every registered row again and store what differs, ``commit`` after each
    batch (an interrupted run is simply run again); ``dry_run`` only counts."""
    summary = Summary()
    materials: set[int] = set()
    for stored in _STORED.values():
        for batch in _batches(stored):
            changes = {row.id: html for row in batch
                       if (html := rendered(row.body)) != row.body_html}
            summary.checked += len(batch)
            summary.changed += len(changes)
            if changes and not dry_run:
                _store(stored, changes)
                remote_images.register(url for row in batch if row.id in changes
                                       for url in remote_image_sources(row.body))
                touched = _materials_of(stored, batch, set(changes))
                for material_id in sorted(touched - materials):
                    outbox.record_change("material", material_id)
                materials |= touched
                commit()
            elif changes:
                materials |= _materials_of(stored, batch, set(changes))
            progress(len(batch))
    summary.materials = len(materials)
    return summary


def _batches(stored: StoredHtml) -> Iterator[list[Any]]:
    model, last_id = stored.model, 0
    while True:
        batch = db.session.execute(
            select(model.id, model.body, model.body_html, stored.version_id.label("version_id"))
            .where(model.id > last_id).order_by(model.id).limit(BATCH_SIZE)).all()
        if not batch:
            return
        yield batch
        last_id = batch[-1].id


def _store(stored: StoredHtml, changes: dict[int, str]) -> None:
    table = stored.model.__table__
    for row_id, html in changes.items():
        db.session.execute(update(table).where(table.c.id == row_id).values(body_html=html))


def _materials_of(stored: StoredHtml, batch: list[Any], changed: set[int]) -> set[int]:
    version_ids = {row.version_id for row in batch if row.id in changed}
    return set(db.session.scalars(select(MaterialVersion.material_id)
                                  .where(MaterialVersion.id.in_(version_ids))))
