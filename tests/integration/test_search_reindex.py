"""A full reindex built by several processes (``indexer.reindex``) holds exactly what one
process builds, with the same position; run twice it gives the same index; and when a
building process fails, the new index is thrown away and the live one stays."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from oer_portal.search import indexer, service
from oer_portal.search.schema import POSITION_ID


@pytest.fixture()
def materials(app, make_user, make_material):
    teacher, moderator = make_user("teacher"), make_user("moderator")
    ids = [make_material(teacher, title=f"Les {n} over energie", body=f"Water en licht {n}.\n",
                         language="nl" if n % 2 else "en", publish_by=moderator)
           for n in range(7)]
    make_material(teacher, title="Concept over energie", body="niet gepubliceerd\n")
    return ids


def _contents(app) -> tuple[list[dict[str, object]], int]:
    """Every stored document but the position one (in id order), and the position."""
    with app.app_context():
        ix = indexer.open_index()
        with ix.searcher() as searcher:
            documents = sorted((dict(d) for d in searcher.all_stored_fields()
                                if d.get("id") != POSITION_ID), key=lambda d: str(d["id"]))
        return documents, indexer.applied_position(ix)


def _segments(app) -> int:
    with app.app_context(), indexer.open_index().searcher() as searcher:
        return len(searcher.reader().leaf_readers())


def test_reindex_in_processes_equals_reindex_in_one(app, materials, monkeypatch):
    monkeypatch.setattr(indexer, "REINDEX_JOB", 2)  # four jobs: both processes get some
    with app.app_context():
        assert indexer.reindex(processes=1) == len(materials)
    one = _contents(app)
    assert _segments(app) == 1
    with app.app_context():
        assert indexer.reindex(processes=2) == len(materials)
    two = _contents(app)
    assert _segments(app) >= 2  # the processes' segments and the position's
    with app.app_context():
        assert indexer.reindex(processes=2) == len(materials)  # idempotent
        assert indexer.check().clean
        results = service.search(service.SearchRequest(query="energie", per_page=50))
    assert two == one == _contents(app)
    assert sorted(hit.material_id for hit in results.hits) == sorted(materials)
    assert one[1] > 0


def test_a_failing_building_process_leaves_the_live_index(app, materials, monkeypatch):
    monkeypatch.setattr(indexer, "REINDEX_JOB", 2)
    with app.app_context():
        indexer.reindex(processes=1)
        live = os.path.realpath(Path(app.config["INDEX_DIR"]) / "live")
    before = _contents(app)
    failing = materials[3]
    real = indexer.document_for

    def document_for(material):  # in the building process, which inherits this by fork
        if material.id == failing:
            raise RuntimeError("a broken material")
        return real(material)

    monkeypatch.setattr(indexer, "document_for", document_for)
    with app.app_context(), pytest.raises(indexer.ReindexFailed):
        indexer.reindex(processes=2)
    assert os.path.realpath(Path(app.config["INDEX_DIR"]) / "live") == live
    assert _contents(app) == before
    generations = list(Path(app.config["INDEX_DIR"]).glob(f"{indexer.GENERATION_PREFIX}*"))
    assert [str(g) for g in generations] == [live]  # the failed build was removed
