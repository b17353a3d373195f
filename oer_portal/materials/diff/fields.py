"""Field-by-field changes of a version's metadata (the details table of a comparison)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldChange:
    """One metadata field that differs; for collections, also the items added and removed.

    A collection whose items only changed order has empty ``added`` and ``removed``: the
    change is still reported (the order of authors matters), ``old`` and ``new`` show it.
    """

    field: str
    old: object
    new: object
    added: tuple[object, ...] = ()
    removed: tuple[object, ...] = ()


_COLLECTIONS = (list, tuple, set, frozenset)


def metadata_changes(
    old: Mapping[str, object], new: Mapping[str, object], order: Sequence[str] = (),
) -> list[FieldChange]:
    """The fields that differ, those named in ``order`` first (in that order), then the rest
    alphabetically.  A missing field counts as ``None``.

    Lists, tuples and sets are compared as collections: ``added`` and ``removed`` name the
    items (duplicates counted), and a missing collection counts as an empty one, so ``[]``
    and no value at all are no change.  Sets ignore order; lists and tuples do not.
    """
    keys = set(old) | set(new)
    ranked = [key for key in dict.fromkeys(order) if key in keys]
    ranked += sorted(keys - set(ranked))
    changes: list[FieldChange] = []
    for key in ranked:
        before, after = old.get(key), new.get(key)
        if _is_collection(before) and _is_collection(after):
            change = _collection_change(key, before, after)
            if change is not None:
                changes.append(change)
        elif before != after:
            changes.append(FieldChange(key, before, after))
    return changes


def _is_collection(value: object) -> bool:
    return value is None or isinstance(value, _COLLECTIONS)


def _collection_change(key: str, before: object, after: object) -> FieldChange | None:
    old_items = _items(before)
    new_items = _items(after)
    unordered = isinstance(before, set | frozenset) or isinstance(after, set | frozenset)
    # Items may be unhashable (dicts of author details), so match by equality; metadata
    # collections are short.
    remaining = list(old_items)
    added: list[object] = []
    for item in new_items:
        if item in remaining:
            remaining.remove(item)
        else:
            added.append(item)
    if not added and not remaining and (unordered or old_items == new_items):
        return None
    if unordered:
        added, remaining = _sorted(added), _sorted(remaining)
    return FieldChange(key, before, after, tuple(added), tuple(remaining))


def _items(value: object) -> list[object]:
    if value is None:
        return []
    assert isinstance(value, _COLLECTIONS)  # narrows the type  # nosec B101
    return _sorted(value) if isinstance(value, set | frozenset) else list(value)


def _sorted(items: Iterable[object]) -> list[object]:
    """Sorted when the items allow it, else by their repr: a stable order for sets."""
    listed = list(items)
    try:
        return sorted(listed)  # type: ignore[type-var]
    except TypeError:
        return sorted(listed, key=repr)

