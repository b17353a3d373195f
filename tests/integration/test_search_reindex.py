"""A full reindex built by several processes (``indexer.reindex``) holds exactly what one
process builds, with the same position; run twice it gives the same index; and when a
building process fails, the new index is thrown away and the live one stays."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event, select

from oer_portal.accounts.models import User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials.models import Material
from oer_portal.search import indexer, service
from oer_portal.search.documents import document_for, documents_for
from oer_portal.search.schema import POSITION_ID

ROOT = Path(__file__).resolve().parents[2]

#: A reindex in a process of its own: building processes are forked only from a process of
#: one thread (``whoosh_compat.can_build_in_processes``), and a test process may hold
#: others (a browser test's live server, say).  Jobs of two materials, so that both
#: building processes get some; ``failing``: a material whose document cannot be built.
REINDEX = """
import json, sys
from pathlib import Path

import pytest
from tests.conftest import make_config
from oer_portal import create_app
from oer_portal.search import indexer
tmp, uri, processes, failing = sys.argv[1:5]
app = create_app(make_config(Path(tmp), uri))
indexer.REINDEX_JOB = 2
real = indexer.documents_for
def documents_for(materials):
    if any(str(material.id) == failing for material in materials):
        raise RuntimeError("a broken material")
    return real(materials)
indexer.documents_for = documents_for
with app.app_context():
    try:
        print(json.dumps({"count": indexer.reindex(processes=int(processes))}))
    except indexer.ReindexFailed:
        print(json.dumps({"failed": True}))
"""


def reindex(app, tmp_path: Path, processes: int, failing: int | None = None) -> dict:
    answer = subprocess.run(
        [sys.executable, "-c", REINDEX, str(tmp_path), app.config["SQLALCHEMY_DATABASE_URI"],
         str(processes), str(failing or "-")],
        capture_output=True, text=True, check=False, timeout=300, cwd=ROOT)
    assert answer.returncode == 0, answer.stderr[-3000:]
    return json.loads(answer.stdout.strip().splitlines()[-1])


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


def test_reindex_in_processes_equals_reindex_in_one(app, materials, tmp_path):
    assert reindex(app, tmp_path, 1) == {"count": len(materials)}
    one = _contents(app)
    assert _segments(app) == 1
    assert reindex(app, tmp_path, 2) == {"count": len(materials)}
    two = _contents(app)
    assert _segments(app) >= 2  # the processes' segments and the position's
    assert reindex(app, tmp_path, 2) == {"count": len(materials)}  # idempotent
    with app.app_context():
        assert indexer.check().clean
        results = service.search(service.SearchRequest(query="energie", per_page=50))
    assert two == one == _contents(app)
    assert sorted(hit.material_id for hit in results.hits) == sorted(materials)
    assert one[1] > 0


def test_a_failing_building_process_leaves_the_live_index(app, materials, tmp_path):
    assert reindex(app, tmp_path, 1) == {"count": len(materials)}
    live = os.path.realpath(Path(app.config["INDEX_DIR"]) / "live")
    before = _contents(app)
    assert reindex(app, tmp_path, 2, failing=materials[3]) == {"failed": True}
    assert os.path.realpath(Path(app.config["INDEX_DIR"]) / "live") == live
    assert _contents(app) == before
    generations = list(Path(app.config["INDEX_DIR"]).glob(f"{indexer.GENERATION_PREFIX}*"))
    assert [str(g) for g in generations] == [live]  # the failed build was removed


def _statements_of(app, read) -> tuple[object, int]:
    """What ``read()`` returns and how many statements it ran."""
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        return read(), len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_a_batch_of_documents_is_read_in_a_fixed_number_of_statements(app, materials,
                                                                       make_user):
    """``documents_for`` (a reindex's read) gives each material the document ``document_for``
    gives it alone, owner's name and ratings included, in as many statements for seven
    materials as for two."""
    from oer_portal.community import service as community

    with app.app_context():
        student = db.session.get(User, make_user("student").id)
        community.rate(student, materials[2], 4)
        current_uow().commit()
        owner_name = db.session.get(Material, materials[0]).owner.stored_name
        all_ids = [*materials, max(materials) + 1]  # the draft after them

        def batch(ids: list[int]):
            return lambda: documents_for(db.session.scalars(
                select(Material).where(Material.id.in_(ids))).all())

        _two, few = _statements_of(app, batch(all_ids[:2]))
        db.session.expunge_all()
        every, many = _statements_of(app, batch(all_ids))
        db.session.expunge_all()
        alone = {i: document_for(db.session.get(Material, i)) for i in all_ids}
    assert many == few
    assert every == alone
    assert every[all_ids[-1]] is None  # the unpublished draft
    assert every[materials[2]]["rating_count"] == 1
    assert every[materials[2]]["rating_average"] == 4
    assert owner_name and every[materials[0]]["authors_any"] == owner_name
