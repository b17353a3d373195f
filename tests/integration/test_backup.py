"""Backup and restore (issue 16): a backup taken while a writer saves versions and uploads
files restores to a portal whose ``backup verify`` and ``search check`` are clean and whose
materials equal the source's at the backup's moment; and every check says what differs.

Runs on SQLite, and on PostgreSQL with ``OER_SQLALCHEMY_DATABASE_URI`` set.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from oer_portal.accounts.models import User
from oer_portal.core.storage import file_store
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import service
from oer_portal.materials.attachments import Upload, refs_of, store_upload
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialVersion
from tests.conftest import (
    create_postgres_database,
    drop_postgres_database,
    make_config,
    postgres_uri_from_env,
)
from tests.fixtures.exports import png_bytes

#: How long a wait for the writer may take before the test gives up (never an assertion
#: about speed: a loaded machine only makes the test slower).
PATIENCE = 120
ROOT = Path(__file__).resolve().parents[2]


class Writer(threading.Thread):
    """Saves new versions with a newly uploaded file each, committing each, until stopped.

    One writer only: ids are then committed in order, so "rows with id ≤ the snapshot's
    largest id" is exactly what the snapshot saw."""

    def __init__(self, app: Flask, owner_id: int, material_ids: list[int]) -> None:
        super().__init__(daemon=True)
        self.app, self.owner_id, self.material_ids = app, owner_id, material_ids
        self.stopping = threading.Event()
        self.saved = 0
        self.error: BaseException | None = None
        self._changed = threading.Condition()

    def run(self) -> None:
        try:
            with self.app.app_context():
                while not self.stopping.is_set():
                    self._save_one(self.saved + 1)
                    with self._changed:
                        self.saved += 1
                        self._changed.notify_all()
        except BaseException as error:  # reported by the test
            self.error = error
            with self._changed:
                self._changed.notify_all()

    def _save_one(self, n: int) -> None:
        material_id = self.material_ids[n % len(self.material_ids)]
        material = db.session.get(Material, material_id)
        head = db.session.get(MaterialVersion, material.latest_version_id)
        ref = store_upload(Upload(io.BytesIO(f"Bijlage {n}: werkblad\n".encode()),
                                  f"werkblad-{n}.txt"))
        fields = replace(VersionFields.of(head), title=f"Les {material_id} versie {n}",
                         body=f"Regel {n}\n")
        service.save_version(db.session.get(User, self.owner_id), material_id, head.id,
                             fields, [*refs_of(head.attachments)[-2:], ref], summary=f"#{n}")
        current_uow().commit()
        db.session.remove()

    def wait_for(self, saved: int) -> None:
        with self._changed:
            assert self._changed.wait_for(
                lambda: self.saved >= saved or self.error is not None, timeout=PATIENCE)
        assert self.error is None, self.error

    def finish(self) -> None:
        self.stopping.set()
        self.join(PATIENCE)
        assert self.error is None, self.error


def _state(app: Flask, max_material: int, max_version: int) -> dict[int, Any]:
    """Each material (id ≤ max_material) with its latest version among ids ≤ max_version:
    number, title, body hash and attachments' hashes; and every such version."""
    with app.app_context():
        state: dict[int, Any] = {}
        for material in db.session.scalars(select(Material).where(
                Material.id <= max_material).order_by(Material.id)):
            versions = db.session.scalars(select(MaterialVersion).where(
                MaterialVersion.material_id == material.id,
                MaterialVersion.id <= max_version).order_by(MaterialVersion.id)).all()
            state[material.id] = {
                "status": material.status,
                "versions": [(v.id, v.number, v.title, hashlib.sha256(v.body.encode()).hexdigest(),
                              [a.sha256 for a in v.attachments]) for v in versions],
                "latest": versions[-1].id,
            }
        db.session.remove()
        return state


def _latest_ids(app: Flask) -> dict[int, int]:
    with app.app_context():
        rows = db.session.execute(select(Material.id, Material.latest_version_id)).all()
        db.session.remove()
        return dict(rows)


@pytest.fixture()
def target_uri(tmp_path: Path) -> Iterator[str]:
    """An empty database for the restored portal (a new one on the PostgreSQL server)."""
    server = postgres_uri_from_env()
    if server is None:
        yield f"sqlite:///{tmp_path / 'restored' / 'portal.db'}"
        return
    uri = create_postgres_database(server)
    yield uri
    drop_postgres_database(server, uri)


@pytest.fixture()
def source(app, make_user, make_material):
    teacher = make_user("teacher")
    moderator = make_user("moderator")
    ids = [make_material(teacher, title=f"Les {n}", publish_by=moderator) for n in range(3)]
    ids.append(make_material(teacher, title="Concept"))
    return teacher, ids


def test_backup_during_writes_restores_the_portal_as_it_was(
        app, runner, source, tmp_path, target_uri, another_app):
    teacher, material_ids = source
    writer = Writer(app, teacher.id, material_ids)
    writer.start()
    try:
        writer.wait_for(3)
        backup = tmp_path / "backup"
        result = runner.invoke(args=["backup", "create", str(backup)])
        assert result.exit_code == 0, result.output
        writer.wait_for(writer.saved + 2)  # some writes certainly after the snapshot
    finally:
        writer.finish()

    manifest = json.loads((backup / "manifest.json").read_text())
    max_material = manifest["tables"]["materials"]["max_id"]
    max_version = manifest["tables"]["material_versions"]["max_id"]
    expected = _state(app, max_material, max_version)
    assert sum(len(m["versions"]) for m in expected.values()) == \
        manifest["tables"]["material_versions"]["rows"]
    newest = _latest_ids(app)
    assert any(newest[m] > max_version for m in expected), "no write after the snapshot"

    restored = another_app(make_config(tmp_path / "restored", target_uri))
    restored_runner = restored.test_cli_runner()
    result = restored_runner.invoke(args=["backup", "restore", str(backup)])
    assert result.exit_code == 0, result.output

    assert _state(restored, 10**9, 10**9) == expected
    assert _latest_ids(restored) == {m: expected[m]["latest"] for m in expected}
    for command in (["backup", "verify"], ["backup", "verify", str(backup)],
                    ["search", "check"]):
        result = restored_runner.invoke(args=command)
        assert result.exit_code == 0, (command, result.output)
    assert "0 missing, 0 stale, 0 pending" in result.output
    with restored.app_context():
        store = file_store()
        for material in expected.values():
            for *_version, attachments in material["versions"]:
                for sha256 in attachments:
                    assert hashlib.sha256(store.path(sha256).read_bytes()).hexdigest() == sha256


def _attach(app: Flask, make_user, make_material) -> str:
    """A published material with a text file and a picture (which gets a thumbnail);
    returns the text file's hash."""
    teacher = make_user("teacher")
    with app.app_context():
        ref = store_upload(Upload(io.BytesIO(b"Antwoorden bij les 1\n"), "antwoorden.txt"))
        picture = store_upload(Upload(io.BytesIO(png_bytes()), "kaart.png"))
        current_uow().commit()
        assert file_store().derived_path(picture.sha256, "thumb.png").is_file()
    make_material(teacher, publish_by=make_user("moderator"), attachments=[ref, picture])
    return ref.sha256


@pytest.fixture()
def backup(app, runner, make_user, make_material, tmp_path) -> tuple[Path, str]:
    sha256 = _attach(app, make_user, make_material)
    path = tmp_path / "backup"
    result = runner.invoke(args=["backup", "create", str(path)])
    assert result.exit_code == 0, result.output
    assert runner.invoke(args=["backup", "verify", str(path)]).exit_code == 0
    return path, sha256


def _blob(path: Path, sha256: str) -> Path:
    return path / "files" / sha256[:2] / sha256[2:4] / sha256


def test_the_manifest_describes_the_backup(backup):
    path, sha256 = backup
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["format_version"] == 1
    assert manifest["created_at"].endswith("Z")
    assert manifest["app"]["schema_revision"] == manifest["app"]["head"]
    assert manifest["tables"]["materials"] == {"rows": 1, "max_id": 1}
    assert manifest["tables"]["version_attachments"]["rows"] == 2
    entry = {"path": f"files/{sha256[:2]}/{sha256[2:4]}/{sha256}",
             "size": len(b"Antwoorden bij les 1\n"), "sha256": sha256}
    assert entry in manifest["files"]
    thumbnails = [f["path"] for f in manifest["files"] if f["path"].endswith("/thumb.png")]
    assert len(thumbnails) == 1 and thumbnails[0].startswith("files/derived/")
    dump = path / manifest["database"]["file"]
    assert manifest["database"]["sha256"] == hashlib.sha256(dump.read_bytes()).hexdigest()


def test_verify_finds_a_changed_file(runner, backup):
    path, sha256 = backup
    _blob(path, sha256).write_bytes(b"Andere antwoorden\n")
    result = runner.invoke(args=["backup", "verify", str(path)])
    assert result.exit_code == 1
    assert f"Changed file (checksum differs): files/{sha256[:2]}/{sha256[2:4]}/{sha256}" \
        in result.output


def test_verify_finds_a_missing_file(runner, backup):
    path, sha256 = backup
    _blob(path, sha256).unlink()
    result = runner.invoke(args=["backup", "verify", str(path)])
    assert result.exit_code == 1
    assert f"Missing file: files/{sha256[:2]}/{sha256[2:4]}/{sha256}" in result.output


def test_verify_finds_a_changed_database_dump(runner, backup):
    path, _sha256 = backup
    manifest = json.loads((path / "manifest.json").read_text())
    with (path / manifest["database"]["file"]).open("ab") as dump:
        dump.write(b"\0")
    result = runner.invoke(args=["backup", "verify", str(path)])
    assert result.exit_code == 1
    assert "has changed: its checksum differs from the manifest's" in result.output


def test_verify_finds_counts_that_differ_and_files_the_database_needs(runner, backup):
    path, sha256 = backup
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["tables"]["materials"]["rows"] = 2
    manifest["files"] = [f for f in manifest["files"] if f["sha256"] != sha256]
    (path / "manifest.json").write_text(json.dumps(manifest))
    result = runner.invoke(args=["backup", "verify", str(path)])
    assert result.exit_code == 1
    assert "Table materials: the manifest says 2 rows" in result.output
    assert f"The database refers to file {sha256}, which the backup does not hold" \
        in result.output
    assert f"File not in the manifest: files/{sha256[:2]}" in result.output


def test_a_directory_without_manifest_is_no_backup(runner, backup):
    path, _sha256 = backup
    (path / "manifest.json").unlink()
    for command in ("verify", "restore"):
        result = runner.invoke(args=["backup", command, str(path)])
        assert result.exit_code == 1
        assert "has no manifest" in result.output


def test_restore_refuses_a_target_with_data(app, runner, backup):
    path, _sha256 = backup
    result = runner.invoke(args=["backup", "restore", str(path)])
    assert result.exit_code == 1
    assert "already holds portal data" in result.output
    with app.app_context():
        assert db.session.scalar(select(Material.id)) == 1


def test_restore_refuses_a_damaged_backup_and_touches_nothing(
        runner, backup, tmp_path, target_uri, another_app):
    path, sha256 = backup
    _blob(path, sha256).unlink()
    restored = another_app(make_config(tmp_path / "restored", target_uri))
    result = restored.test_cli_runner().invoke(args=["backup", "restore", str(path)])
    assert result.exit_code == 1
    assert "does not match its manifest; nothing was restored" in result.output
    assert not (tmp_path / "restored" / "files").exists()


def test_create_refuses_an_existing_backup(runner, backup):
    path, _sha256 = backup
    before = sorted(p.name for p in path.iterdir())
    result = runner.invoke(args=["backup", "create", str(path)])
    assert result.exit_code == 1
    assert "already exists and is not empty" in result.output
    assert sorted(p.name for p in path.iterdir()) == before


def test_create_fails_cleanly_when_the_database_is_unreachable(tmp_path, another_app, app,
                                                                runner):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    broken = (f"sqlite:///{tmp_path / 'nowhere' / 'portal.db'}" if uri.startswith("sqlite")
              else uri.rsplit("/", 1)[0] + "/no_such_database")
    portal = another_app(make_config(tmp_path / "broken", broken))
    path = tmp_path / "backup"
    result = portal.test_cli_runner().invoke(args=["backup", "create", str(path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert not path.exists()


def test_live_verify_finds_a_missing_blob(app, runner, make_user, make_material):
    sha256 = _attach(app, make_user, make_material)
    assert runner.invoke(args=["backup", "verify"]).exit_code == 0
    with app.app_context():
        file_store().path(sha256).unlink()
    result = runner.invoke(args=["backup", "verify"])
    assert result.exit_code == 1
    assert f"Missing file: {sha256}" in result.output


def test_live_verify_finds_a_damaged_blob_and_only_mentions_unreferenced_ones(
        app, runner, make_user, make_material):
    sha256 = _attach(app, make_user, make_material)
    with app.app_context():
        stray = file_store().put_bytes(b"an upload whose form failed\n").sha256
        result = runner.invoke(args=["backup", "verify"])
        assert result.exit_code == 0, result.output
        assert "1 stored files are not referenced" in result.output, result.output
        file_store().path(sha256).write_bytes(b"bit rot\n")
    result = runner.invoke(args=["backup", "verify"])
    assert result.exit_code == 1
    assert f"Damaged file (content does not match its name): {sha256}" in result.output
    assert stray not in result.output


def _limit_file_size(limit: int) -> None:
    """In the child: writes past ``limit`` bytes fail with EFBIG, as on a full disk."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_create_fails_cleanly_when_the_disk_is_full(app, make_user, make_material, tmp_path):
    """A real write failure (the file-size limit of the process: EFBIG, which the store
    counts as "full", like ENOSPC) while the files are copied: exit 1, a message, and no
    backup left behind."""
    teacher = make_user("teacher")
    with app.app_context():
        ref = store_upload(Upload(io.BytesIO(b"Een lange tekst.\n" * 250_000), "lang.txt"))
        current_uow().commit()
    make_material(teacher, attachments=[ref])
    config = app.config
    path = tmp_path / "backup"
    child = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "oer_portal", "backup", "create", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=PATIENCE, check=False,
        preexec_fn=lambda: _limit_file_size(3 * 1024 * 1024),
        env={"PATH": os.environ["PATH"], "LANG": "en_GB.UTF-8", "OER_ENV": "development",
             "OER_INSTANCE_PATH": str(tmp_path / "instance"),
             "OER_SQLALCHEMY_DATABASE_URI": config["SQLALCHEMY_DATABASE_URI"],
             "OER_STORAGE_DIR": config["STORAGE_DIR"], "OER_INDEX_DIR": config["INDEX_DIR"]})
    assert child.returncode == 1, child.stdout + child.stderr
    assert "The disk is full" in child.stderr
    assert "Traceback" not in child.stderr
    assert not path.exists()


def test_restore_force_replaces_the_data_of_a_portal(app, runner, backup, make_user,
                                                      make_material):
    path, _sha256 = backup
    make_material(make_user("teacher"), title="Na de back-up", publish_by=make_user("moderator"))
    result = runner.invoke(args=["backup", "restore", "--force", str(path)])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalars(select(Material.id)).all() == [1]
        db.session.remove()
        derived = Path(app.config["STORAGE_DIR"]) / "derived"
        shutil.rmtree(derived)
    result = runner.invoke(args=["backup", "restore", "--force", str(path)])
    assert result.exit_code == 0, result.output
    assert len(list(derived.rglob("thumb.png"))) == 1
    for command in (["backup", "verify"], ["search", "check"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, (command, result.output)


def test_restore_upgrades_the_schema_of_an_older_backup(tmp_path, another_app, target_uri,
                                                        app, runner):
    """A backup made at an older revision is restored and brought up to the code's head."""
    from flask_migrate import upgrade

    server = postgres_uri_from_env()
    old_uri = (create_postgres_database(server) if server
               else f"sqlite:///{tmp_path / 'old.db'}")
    try:
        old = another_app(make_config(tmp_path / "old", old_uri))
        with old.app_context():
            upgrade(revision="0019_collections")
            db.engine.dispose()
        path = tmp_path / "old-backup"
        result = old.test_cli_runner().invoke(args=["backup", "create", str(path)])
        assert result.exit_code == 0, result.output
        manifest = json.loads((path / "manifest.json").read_text())
        assert manifest["app"]["schema_revision"] == "0019_collections"
        assert manifest["app"]["head"] != "0019_collections"
        restored = another_app(make_config(tmp_path / "restored", target_uri))
        result = restored.test_cli_runner().invoke(args=["backup", "restore", str(path)])
        assert result.exit_code == 0, result.output
        with restored.app_context():
            revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
            db.session.remove()
        assert revision == manifest["app"]["head"]
    finally:
        if server:
            drop_postgres_database(server, old_uri)


def test_restore_refuses_a_backup_of_a_newer_schema(app, backup, tmp_path, another_app,
                                                    target_uri):
    path, _sha256 = backup
    manifest = json.loads((path / "manifest.json").read_text())
    if manifest["database"]["kind"] != "sqlite":
        pytest.skip("rewriting a dump by hand is done on the SQLite file")
    dump = path / manifest["database"]["file"]
    with sqlite3.connect(dump) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    connection.close()
    manifest["app"]["schema_revision"] = "9999_from_the_future"
    manifest["database"]["size"] = dump.stat().st_size
    manifest["database"]["sha256"] = hashlib.sha256(dump.read_bytes()).hexdigest()
    (path / "manifest.json").write_text(json.dumps(manifest))
    restored = another_app(make_config(tmp_path / "restored", target_uri))
    runner = restored.test_cli_runner()
    assert runner.invoke(args=["backup", "verify", str(path)]).exit_code == 0
    result = runner.invoke(args=["backup", "restore", str(path)])
    assert result.exit_code == 1
    assert "9999_from_the_future, which this version of the portal does not know" \
        in result.output
