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

from oer_portal.search import docsets, indexer, ranking

T = TypeVar("T")

#: The document sets one searcher's memo holds at most, in documents (a set entry weighs
#: one more than its documents; a set costs 42 bytes a document): some 45 MB at most, per
#: searcher (one per thread).  The sets of a page of searches at 100,000 materials (16
#: queries with a facet each, ``bench/load.py``) weigh 700,000: half of this let them
#: push each other out, round after round.
MEMO_CAPACITY = 1_000_000
#: The other values one searcher's memo holds at most (hits with their snippets, queries,
#: corrections): some 30 MB at most.  They are kept apart from the sets, so that a few
#: large sets never push out hundreds of small values that are dear to work out again (a
#: correction compares the word with every word of the index: 80 ms at 100,000 materials).
MEMO_ENTRIES = 20_000

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
    the least recently used dropped first: values holding document sets by their documents
    (``capacity``), the others by their number (``entries``).

    It belongs to the searcher (:func:`memo`), so it lives exactly as long as the commit
    of the index that searcher reads: :func:`current` opens a new searcher, with an empty
    memo, as soon as the index changed (a publication, a withdrawal, a rebuilt index), and
    a searcher on another index never sees this one's.  A value must never be changed once
    kept (document sets are combined into new ones, never updated in place).
    """

    def __init__(self, capacity: int = MEMO_CAPACITY, entries: int = MEMO_ENTRIES) -> None:
        self.capacity, self.entries = capacity, entries
        #: Values with document sets, and their weights; the other values.
        self._sets: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self._small: OrderedDict[Hashable, Any] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The value kept for ``key``, else ``compute()``'s (then kept)."""
        with self._lock:
            if key in self._small:
                self._small.move_to_end(key)
                return self._small[key]  # type: ignore[no-any-return]
            if key in self._sets:
                self._sets.move_to_end(key)
                return self._sets[key][0]  # type: ignore[no-any-return]
        value = compute()
        size = _size(value)
        with self._lock:
            if key in self._small or key in self._sets:
                return value
            if size == 1:
                self._small[key] = value
                while len(self._small) > self.entries:
                    self._small.popitem(last=False)
            else:
                self._sets[key] = (value, size)
                self._size += size
                while self._size > self.capacity and len(self._sets) > 1:
                    self._size -= self._sets.popitem(last=False)[1][1]
        return value

    def __len__(self) -> int:
        return len(self._small) + len(self._sets)


def _size(value: object) -> int:
    """One, and the documents of each document set ``value`` holds (in a tuple or list);
    a ranked order weighs two fifths of its documents (17 bytes a document, a set 42)."""
    if isinstance(value, docsets.DocSets):
        return 1 + len(value)
    if isinstance(value, ranking.Order):
        return 1 + 2 * len(value) // 5
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
