"""What references a blob of the file store, for backups: every ``stored_files`` row (the
database's own list of the store's files) and every column features registered with
``core.blob_references`` (the registry the storage collector keeps blobs by), as plain table
and column names, since a backup reads a snapshot connection or a dump, not the session.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text

from oer_portal.core import blob_references

#: The store's own list of its files; a row keeps its blob for the collector's grace period.
STORED_FILES = ("stored_files", "sha256")


def reference_columns() -> tuple[tuple[str, str], ...]:
    """``(table, column)`` of every column that holds the SHA-256 of a stored blob."""
    found = [STORED_FILES]
    for reference in blob_references.registered():
        column = getattr(reference.column, "expression", reference.column)
        if (column.table.name, column.name) not in found:
            found.append((column.table.name, column.name))
    return tuple(found)


def referenced_blobs(connection: Connection) -> set[str]:
    """Every blob hash the database on ``connection`` references (in its transaction)."""
    found: set[str] = set()
    for table, column in reference_columns():
        # Both names come from the models (registered columns), never from input.
        rows = connection.execute(text(
            f'SELECT DISTINCT "{column}" FROM "{table}" '  # noqa: S608 (constant names)  # nosec B608
            f'WHERE "{column}" IS NOT NULL'))
        found.update(_hashes(row[0] for row in rows))
    return found


def _hashes(values: Iterable[object]) -> set[str]:
    return {value for value in values if isinstance(value, str)}
