"""Import and export in the interchange format, through the CLI."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

import oer_portal
from oer_portal.extensions import db
from oer_portal.materials.models import Material, MaterialVersion, StoredFile

DEMO = Path(oer_portal.__file__).parent / "demo_content"
FRACTIONS = "demo-breuken-pizzapunten"


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    target = tmp_path / "source"
    shutil.copytree(DEMO, target, ignore=shutil.ignore_patterns("*.py", "README.md"))
    return target


def _import(runner, path: Path, email: str):
    return runner.invoke(args=["materials", "import", str(path), "--as", email])


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_import_is_idempotent_and_a_changed_source_makes_a_new_version(app, runner, make_user,
                                                                       source):
    admin = make_user("admin")
    first = _import(runner, source, admin.email)
    assert first.exit_code == 0, first.output
    assert "10 created, 0 updated, 0 unchanged, 0 failed" in first.output
    versions, files = _count(app, MaterialVersion), _count(app, StoredFile)

    second = _import(runner, source, admin.email)
    assert "0 created, 0 updated, 10 unchanged, 0 failed" in second.output
    assert (_count(app, MaterialVersion), _count(app, StoredFile)) == (versions, files)

    lesson = source / FRACTIONS / "material.md"
    lesson.write_text(lesson.read_text() + "\nEen extra oefening.\n", encoding="utf-8")
    third = _import(runner, source, admin.email)
    assert "0 created, 1 updated, 9 unchanged" in third.output
    with app.app_context():
        material = db.session.scalar(select(Material).where(Material.external_id == FRACTIONS))
        published = db.session.get(MaterialVersion, material.published_version_id)
        assert published.number == 2 and "Een extra oefening." in published.body
        assert len(published.attachments) == 1  # the PDF, shared with version 1
    assert _count(app, StoredFile) == files


def test_imported_materials_keep_authors_and_attribution(app, runner, make_user, source, client):
    admin = make_user("admin")
    meta_path = source / FRACTIONS / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["attribution"] = "“Breuken”, door Marieke Jansen, CC BY 4.0."
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    _import(runner, source, admin.email)
    with app.app_context():
        material_id = db.session.scalar(select(Material.id).where(
            Material.external_id == FRACTIONS))
    page = client.get(f"/materials/{material_id}", follow_redirects=True).get_data(as_text=True)
    for author in meta["authors"]:
        assert author in page
    assert "door Marieke Jansen, CC BY 4.0." in page


def test_a_teachers_import_waits_for_review(app, runner, make_user, source, new_client):
    teacher = make_user("teacher")
    assert _import(runner, source, teacher.email).exit_code == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Material).where(
            Material.published_version_id.is_not(None))) == 0
    assert "Breuken" not in new_client().get("/").get_data(as_text=True)


def test_import_from_a_zip(app, runner, make_user, source, tmp_path):
    archive = tmp_path / "lessen.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        for path in source.rglob("*"):
            if path.is_file():
                bundle.write(path, path.relative_to(source.parent))
    result = _import(runner, archive, make_user("admin").email)
    assert "10 created" in result.output, result.output


def test_a_bad_checksum_or_unsafe_path_fails_that_material_only(app, runner, make_user, source):
    meta_path = source / FRACTIONS / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["attachments"][0]["sha256"] = "0" * 64
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    other = source / "demo-ohms-law-torch" / "meta.json"
    other_meta = json.loads(other.read_text())
    other_meta["attachments"] = [{"filename": "x", "path": "../../../etc/hostname"}]
    other.write_text(json.dumps(other_meta), encoding="utf-8")
    result = _import(runner, source, make_user("admin").email)
    assert result.exit_code == 1
    assert "8 created" in result.output and "2 failed" in result.output
    assert "checksum" in result.output and "Unsafe file path" in result.output
    assert _count(app, Material) == 8


def test_export_then_import_elsewhere_gives_the_same_material(app, runner, make_user, source,
                                                              tmp_path):
    admin = make_user("admin")
    _import(runner, source, admin.email)
    with app.app_context():
        material_id = db.session.scalar(select(Material.id).where(
            Material.external_id == FRACTIONS))
    out = tmp_path / "export"
    result = runner.invoke(args=["materials", "export", str(material_id), str(out)])
    assert result.exit_code == 0, result.output
    folder = out / FRACTIONS
    meta = json.loads((folder / "meta.json").read_text())
    attachment = meta["attachments"][0]
    data = (folder / attachment["path"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == attachment["sha256"]
    assert (folder / "material.md").read_text() == (source / FRACTIONS / "material.md").read_text()
    again = _import(runner, folder, admin.email)
    assert "0 created, 0 updated, 1 unchanged" in again.output


def test_import_needs_a_known_account(runner, source):
    result = _import(runner, source, "nobody@example.org")
    assert result.exit_code == 1 and "No account" in result.output


def test_the_whole_corpus_imports_and_reimports_unchanged(app, runner, make_user):
    corpus = app.config.get("SHARED_DIR") and Path(app.config["SHARED_DIR"]) / "corpus"
    if not corpus or not (corpus / "materials").is_dir():
        pytest.skip("the shared corpus is not beside this checkout")
    admin = make_user("admin")
    first = _import(runner, corpus / "materials", admin.email)
    assert first.exit_code == 0, first.output[-2000:]
    assert "1160 created, 0 updated, 0 unchanged, 0 failed" in first.output
    second = _import(runner, corpus / "materials", admin.email)
    assert "0 created, 0 updated, 1160 unchanged, 0 failed" in second.output
    assert _count(app, MaterialVersion) == 1160


def test_an_import_killed_half_way_resumes_without_duplicates(app, runner, make_user, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from oer_portal.core.db import read_only

    admin = make_user("admin")
    source = tmp_path / "many"
    for n in range(150):
        folder = source / f"synthetic-{n:03d}"
        folder.mkdir(parents=True)
        (folder / "material.md").write_text(f"## Les {n}\n\nTekst van les {n}.\n")
        (folder / "meta.json").write_text(json.dumps({
            "id": f"synthetic-{n:03d}", "title": f"Les {n}", "language": "nl",
            "licence": "CC-BY-4.0", "subject": "mathematics", "level": "primary"}))
    env = {**os.environ, "OER_ENV": "development",
           "OER_INSTANCE_PATH": str(tmp_path / "cli-instance"),
           "OER_SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
           "OER_STORAGE_DIR": app.config["STORAGE_DIR"]}
    child = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "oer_portal", "materials", "import",
         str(source), "--as", admin.email], env=env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    with read_only():  # a reader must not queue behind the importing writer
        while _count(app, Material) < 20 and time.monotonic() < deadline:
            time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    done = _count(app, Material)
    assert 20 <= done < 150, "the kill should land half-way"

    again = _import(runner, source, admin.email)
    assert f"{150 - done} created, 0 updated, {done} unchanged, 0 failed" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count(func.distinct(Material.external_id)))) == 150
    assert _count(app, MaterialVersion) == 150
