"""The index's first use by several processes at once (gunicorn's workers on a new machine)."""

from __future__ import annotations

import multiprocessing
import traceback
from pathlib import Path
from typing import Any

from oer_portal.search import indexer

PROCESSES = 3


def _open(root: str, barrier: Any, answers: Any) -> None:
    barrier.wait()
    try:
        with indexer.open_index(Path(root)).searcher() as searcher:
            answers.put(f"ok {searcher.doc_count()}")
    except Exception:  # reported to the test, which fails with it
        answers.put(traceback.format_exc())


def test_workers_opening_a_new_index_at_once_all_get_one(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    for round_ in range(5):
        root = tmp_path / f"index-{round_}"
        barrier, answers = context.Barrier(PROCESSES), context.Queue()
        workers = [context.Process(target=_open, args=(str(root), barrier, answers))
                   for _ in range(PROCESSES)]
        for worker in workers:
            worker.start()
        results = [answers.get(timeout=120) for _ in workers]
        for worker in workers:
            worker.join(timeout=60)
        assert results == ["ok 0"] * PROCESSES, results
        generations = sorted(p.name for p in root.iterdir() if p.name != "live")
        assert generations == [(root / "live").readlink().name], \
            "one generation, the live one; the others' were removed"
