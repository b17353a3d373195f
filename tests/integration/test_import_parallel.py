"""The import's pool of processes (``materials/preparation.py``): it writes what the serial
import writes, a worker process that dies fails only its own material, and
``IMPORT_WORKERS=1`` prepares nothing in other processes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

import oer_portal
from oer_portal.core import markdown
from oer_portal.core.storage import file_store
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import preparation
from oer_portal.materials.derivation import compute
from oer_portal.materials.interchange import ImportSummary, import_path
from oer_portal.materials.models import Material, MaterialVersion, StoredFile

DEMO = Path(oer_portal.__file__).parent / "demo_content"
FRACTIONS = "demo-breuken-pizzapunten"  # has a PDF
DOOMED = "demo-ohms-law-torch"


def _copy(target: Path, suffix: str = "") -> Path:
    """The demo materials under ``target``, their ids ending in ``suffix``."""
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("*.py", "README.md"))
    if suffix:
        for meta_path in target.glob("*/meta.json"):
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            meta["id"] = f"{meta['id']}{suffix}"
            meta_path.write_text(json.dumps(meta), encoding="utf-8")
    return target


def _import(app: Flask, email: str, path: Path, **kwargs: Any) -> ImportSummary:
    from oer_portal.accounts.service import find_by_email

    with app.app_context():
        admin = find_by_email(email)
        uow = current_uow()
        return import_path(path, admin, commit=uow.commit, rollback=uow.rollback,
                           publisher=admin, **kwargs)


def _written(external_id: str) -> dict[str, Any]:
    material = db.session.scalar(select(Material).where(Material.external_id == external_id))
    version = db.session.get(MaterialVersion, material.latest_version_id)
    return {
        "kind": material.kind, "status": material.status,
        "published": material.published_version_id == version.id, "number": version.number,
        "title": version.title, "body": version.body, "body_html": version.body_html,
        "meta": version.meta, "licence": version.licence, "language": version.language,
        "attachments": [(a.sha256, a.filename, a.file.text, a.file.has_thumbnail,
                         a.file.derived_at is not None) for a in version.attachments],
    }


def crash_on_doomed(job: preparation.Job) -> preparation.Prepared:
    """A worker that dies (as on a crash in a C library) on one material, raises on
    another, and prepares the rest as always (imported by name in the spawned workers)."""
    if job.name == DOOMED:
        os._exit(70)
    if job.name == FRACTIONS:
        raise RuntimeError("a bug in a worker")
    return preparation.prepare(job)


def always_crash(job: preparation.Job) -> preparation.Prepared:
    os._exit(70)


def test_parallel_import_writes_what_the_serial_import_writes(app, make_user, tmp_path):
    admin = make_user("admin")
    with app.app_context():
        markdown._render.cache_clear()
    parallel = _import(app, admin.email, _copy(tmp_path / "parallel", "-parallel"), workers=2)
    # Every body was rendered by a worker: this process rendered nothing itself.
    assert markdown._render.cache_info().misses == 0
    serial = _import(app, admin.email, _copy(tmp_path / "serial"), workers=1)
    assert (parallel.created, parallel.failed) == (serial.created, serial.failed) == (10, [])

    with app.app_context():
        ids = db.session.scalars(select(Material.external_id).where(
            Material.external_id.not_like("%-parallel"))).all()
        assert len(ids) == 10
        for external_id in ids:
            assert _written(f"{external_id}-parallel") == _written(external_id), external_id
        # The files' text came from the workers (the serial import found them derived):
        # it is what deriving them here gives.
        store = file_store()
        files = db.session.scalars(select(StoredFile)).all()
        assert any(row.category == "pdf" and row.text for row in files)
        for row in files:
            made = compute(store.path(row.sha256), row.media_type, row.category)
            assert (row.text, row.has_thumbnail) == (made.text, made.thumbnail is not None)
            assert row.derived_at is not None

    again = _import(app, admin.email, tmp_path / "parallel", workers=2)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)


def test_a_worker_process_that_dies_fails_its_material_only(app, make_user, tmp_path):
    admin = make_user("admin")
    source = _copy(tmp_path / "source")
    summary = _import(app, admin.email, source, workers=2, prepare=crash_on_doomed)
    assert summary.created == 9
    assert [name for name, _reason in summary.failed] == [DOOMED]
    assert "proces" in summary.failed[0][1]  # "the process that did it" (nl: "het proces")
    with app.app_context():
        assert db.session.scalar(select(Material.id).where(
            Material.external_id == DOOMED)) is None
        # The material whose worker raised was imported without help, PDF text and all.
        fractions = _written(FRACTIONS)
        assert fractions["body_html"] and fractions["attachments"][0][2]

    rerun = _import(app, admin.email, source, workers=1)
    assert (rerun.created, rerun.unchanged, rerun.failed) == (1, 9, [])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Material)) == 10


def test_one_import_worker_prepares_nothing_in_other_processes(app, make_user, tmp_path):
    admin = make_user("admin")
    app.config["IMPORT_WORKERS"] = 1
    summary = _import(app, admin.email, _copy(tmp_path / "source"), prepare=always_crash)
    assert (summary.created, summary.failed) == (10, [])
    assert preparation.worker_count(None) == (os.cpu_count() or 1)
    assert preparation.worker_count(1) == 1


@pytest.mark.parametrize("configured", [0, -3])
def test_fewer_than_one_worker_is_one(configured):
    assert preparation.worker_count(configured) == 1
