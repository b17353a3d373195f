"""What keeps a stored file alive: the registry of every column that holds a blob's SHA-256.

The file store (``storage.py``) knows blobs, not who uses them; the garbage collection
(``materials/storage_gc.py``) may only delete a blob that no row anywhere points at.  A list
of those columns written into the collector would miss the next feature that stores files
(a cache of lesson images fetched from other sites, backups), and core may not import
features anyway.  So each feature registers its columns here when its module is imported,
as features register hooks and panels with materials: ``register("version_attachments",
VersionAttachment.sha256)``.

A reference is a column, not a function, on purpose: the collector turns every registered
column into a ``NOT EXISTS`` inside the one ``DELETE`` that removes a blob's row, so "is it
still referenced?" and "delete it" are one statement, never a check followed by a delete
that a concurrent save slips in between.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, literal, select, union

from oer_portal.extensions import db


@dataclass(frozen=True)
class BlobReference:
    """Rows of ``column``'s table keep the blob whose SHA-256 is the column's value."""

    name: str
    column: Any  # an ORM attribute or Core column of lowercase hex SHA-256 values


_REFERENCES: dict[str, BlobReference] = {}


def register(name: str, column: Any) -> None:
    """Count ``column`` as a reference to blobs; registering ``name`` again replaces it (an
    app is created per test and each creation imports the registering modules again)."""
    _REFERENCES[name] = BlobReference(name, column)


def unregister(name: str) -> None:
    """Forget the reference ``name`` (a test's own table, when the test ends)."""
    _REFERENCES.pop(name, None)


def registered() -> tuple[BlobReference, ...]:
    return tuple(_REFERENCES.values())


def referenced_hashes() -> set[str]:
    """Every SHA-256 some registered column holds (a snapshot: the collector checks each
    blob again, atomically, before deleting it)."""
    references = registered()
    if not references:
        return set()
    query = union(*(select(ref.column.label("sha256")).where(ref.column.is_not(None))
                    for ref in references))
    return set(db.session.scalars(select(query.subquery().c.sha256)))


def unreferenced(sha256: Any) -> ColumnElement[bool]:
    """A condition that is true when no registered column holds ``sha256`` (a value or a
    column of the statement it goes into)."""
    value = literal(sha256) if isinstance(sha256, str) else sha256
    return and_(literal(True), *(~exists().where(ref.column == value)
                                 for ref in registered()))


def is_referenced(sha256: str) -> bool:
    return bool(db.session.scalar(select(~unreferenced(sha256))))
