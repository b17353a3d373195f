"""Each thread's searcher on the live index, reopened when the index changed.

Opening an index costs far more than a search (about 130 ms here), so a searcher is kept per
thread; it is not shared, because Whoosh's readers are not thread-safe.
"""

from __future__ import annotations

import os
import threading

from whoosh.searching import Searcher

from oer_portal.search import docsets, indexer

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
