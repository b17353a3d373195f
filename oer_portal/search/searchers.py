"""Each thread's searcher on the live index, reopened when the index changed.

Opening an index costs far more than a search (about 130 ms here), so a searcher is kept per
thread; it is not shared, because Whoosh's readers are not thread-safe.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from whoosh.searching import Searcher

from oer_portal.search import docsets, indexer

T = TypeVar("T")

#: What one searcher's memo holds at most, in documents of the sets it keeps (one entry
#: without a set counts one): some 30 MB at most, per searcher (one per thread).
MEMO_CAPACITY = 500_000

_local = threading.local()


class _ThreadSearcher:
    """This thread's searcher on one index folder, closed as soon as nothing holds it: the
    index is read without memory-mapping (``indexer.open_index``), so every open segment
    keeps a file open until its reader is closed, a thread's end included."""

    def __init__(self, root: str, target: str, searcher: Searcher) -> None:
        self.root, self.target, self.searcher = root, target, searcher

    def __del__(self) -> None:
        if not self.searcher.is_closed:
            self.searcher.close()


def current() -> Searcher:
    """This thread's searcher on the live index, reopened when the index changed.

    Not ``Searcher.refresh()``: it reuses the readers of unchanged segments together with
    their old deletion lists, so a replaced document was still found (seen here).
    """
    root = indexer.index_root()
    target = os.path.realpath(root / "live")
    held: _ThreadSearcher | None = getattr(_local, "held", None)
    if held is not None and held.root == str(root) and held.target == target \
            and held.searcher.up_to_date():
        return held.searcher
    _local.held = None  # closes the old one first
    searcher = indexer.open_index(root).searcher()
    _local.held = _ThreadSearcher(str(root), target, searcher)
    docsets.forget(docsets.segment_ids(searcher))
    return searcher


def generation() -> tuple[str, int]:
    """Which index, and which commit of it, :func:`current` reads: a key for caches of
    results that must not outlive the index they were read from."""
    searcher = current()
    return _local.held.target, searcher.reader().generation()


class Memo:
    """What searches on one searcher worked out from its index and their words alone (a
    word's compound forms and correction, the documents a query matches, a hit's snippet),
    the least recently used dropped first.

    It belongs to the searcher (:func:`memo`), so it lives exactly as long as the commit
    of the index that searcher reads: :func:`current` opens a new searcher, with an empty
    memo, as soon as the index changed (a publication, a withdrawal, a rebuilt index), and
    a searcher on another index never sees this one's.  A value must never be changed once
    kept (document sets are combined into new ones, never updated in place).
    """

    def __init__(self, capacity: int = MEMO_CAPACITY) -> None:
        self.capacity = capacity
        self._values: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value kept for ``key``, else ``compute()``'s (then kept)."""
        with self._lock:
            found = self._values.get(key)
            if found is not None:
                self._values.move_to_end(key)
                return found[0]  # type: ignore[no-any-return]
        value = compute()
        size = _size(value)
        with self._lock:
            if key not in self._values:
                self._values[key] = (value, size)
                self._size += size
            while self._size > self.capacity and len(self._values) > 1:
                self._size -= self._values.popitem(last=False)[1][1]
        return value

    def __len__(self) -> int:
        return len(self._values)


def _size(value: object) -> int:
    """One, and the documents of each document set ``value`` holds (in a tuple or list)."""
    if isinstance(value, docsets.DocSets):
        return 1 + len(value)
    if isinstance(value, tuple | list):
        return 1 + sum(_size(part) for part in value)
    return 1


_memos: weakref.WeakKeyDictionary[Searcher, Memo] = weakref.WeakKeyDictionary()
_memos_lock = threading.Lock()


def memo(searcher: Searcher) -> Memo:
    """``searcher``'s memo (see :class:`Memo`), gone with the searcher."""
    with _memos_lock:
        found = _memos.get(searcher)
        if found is None:
            found = _memos[searcher] = Memo()
        return found


def drop_memos() -> None:
    """Forget what every searcher's memo kept: with ``docsets.drop_postings``, a search then
    starts cold (the benchmark's cold pass; a memo would answer it from memory)."""
    with _memos_lock:
        _memos.clear()
