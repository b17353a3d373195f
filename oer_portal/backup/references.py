"""What references a blob of the file store: the one place that knows it, for backups.

A blob (``core/storage.py``) is needed while any row names its SHA-256.  The columns that do
are listed here and nowhere else, so that the registry of referencing tables being built for
the storage garbage collector can replace this list without touching the backup code.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text

#: ``(table, column)`` of every column that holds the SHA-256 of a stored blob (grep the
#: models for ``sha256`` when a feature adds one).
REFERENCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("stored_files", "sha256"),
    ("version_attachments", "sha256"),
)


def is_reference(table: str, column: str) -> bool:
    """Whether ``table.column`` names a blob."""
    return (table, column) in REFERENCE_COLUMNS


def referenced_blobs(connection: Connection) -> set[str]:
    """Every blob hash the database on ``connection`` references (in its transaction)."""
    found: set[str] = set()
    for table, column in REFERENCE_COLUMNS:
        # Both names come from the constant above, never from input.
        rows = connection.execute(text(
            f'SELECT DISTINCT "{column}" FROM "{table}" '  # noqa: S608 (constant names)  # nosec B608
            f'WHERE "{column}" IS NOT NULL'))
        found.update(_hashes(row[0] for row in rows))
    return found


def _hashes(values: Iterable[object]) -> set[str]:
    return {value for value in values if isinstance(value, str)}
