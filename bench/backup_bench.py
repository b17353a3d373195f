"""Benchmark: ``backup create`` and ``backup verify`` against copying the same data bare.

Set-up (not timed): a fresh, migrated portal (SQLite, or PostgreSQL with
``--database-uri``) with the corpus imported (``--limit`` materials, all by default) and
``--files`` extra lessons, each with a PNG of random pixels of ``--kb`` kilobytes stored
through the upload service, so the file store holds real weight.

What is measured, in turns, each into a fresh folder:

* **backup create**: ``backup.service.create``, the code behind ``flask backup create``:
  the database snapshot, every referenced blob copied and hashed, the manifest with the
  facts read back from the snapshot;
* **bare copy**: the same database copied with SQLite's online backup API (or ``pg_dump
  --format=custom``) and the same blob files copied with ``shutil.copyfile``, nothing
  hashed, nothing checked: the ratio is the price of a backup that can be verified;
* **backup verify** against **bare hashing**: ``backup.service.verify_backup`` of one of
  the backups, against SHA-256 of every file in it.

This is a benchmark, not a test: nothing passes or fails.  Run from the repository root::

    .venv/bin/python bench/backup_bench.py
    .venv/bin/python bench/backup_bench.py --limit 50 --files 20 --runs 3    # a quick run
"""

from __future__ import annotations

import hashlib
import io
import shutil
import sqlite3
import statistics
import subprocess  # pg_dump for the PostgreSQL baseline  # nosec B404
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import (
    add_corpus_option,
    add_database_option,
    benchmark_parser,
    build_portal,
    corpus_materials,
    create_teacher_and_moderator,
    database_uris,
    folder_size,
    import_corpus,
    import_root,
    material_folders,
    mb,
    ms,
    progress,
    ratio,
)
from export_bench import noise_png
from flask import Flask
from sqlalchemy import make_url


def add_files(app: Flask, count: int, kilobytes: int) -> None:
    """``count`` published lessons, each with one PNG stored through the upload service."""
    from oer_portal.core.uow import current_uow
    from oer_portal.extensions import db
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.attachments import Upload, store_upload
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind, MaterialVersion

    with app.app_context():
        owner, moderator = create_teacher_and_moderator()
        for n in range(count):
            ref = store_upload(Upload(io.BytesIO(noise_png(kilobytes, n)), f"kaart {n}.png"))
            lesson = service.create_material(owner, MaterialKind.LESSON, VersionFields(
                title=f"Kaart {n + 1}", body="Een kaart.", licence="CC-BY-4.0"), [ref])
            db.session.flush()
            lifecycle.publish(lesson, db.session.get(MaterialVersion, lesson.latest_version_id),
                              moderator)
        current_uow().commit()


def referenced_files(app: Flask) -> list[Path]:
    """The store's paths of every blob the database references (what a backup copies)."""
    from oer_portal.backup.references import referenced_blobs
    from oer_portal.core.storage import file_store
    from oer_portal.extensions import db

    with app.app_context():
        store = file_store()
        return [store.path(sha) for sha in sorted(referenced_blobs(db.session.connection()))]


def bare_copy(app: Flask, files: list[Path]) -> Callable[[Path], None]:
    uri = make_url(app.config["SQLALCHEMY_DATABASE_URI"])

    def copy(target: Path) -> None:
        target.mkdir()
        if uri.get_backend_name() == "sqlite":
            with sqlite3.connect(uri.database) as source, \
                    sqlite3.connect(target / "db.sqlite") as copy_to:
                source.backup(copy_to)
            copy_to.close()
        else:
            subprocess.run(["pg_dump", "--format=custom", "--file", str(target / "db.dump"),  # noqa: S603, S607  # nosec B603 B607
                            "--host", uri.host or "127.0.0.1", "--port", str(uri.port or 5432),
                            "--username", uri.username or "postgres", uri.database or ""],
                           check=True)
        for path in files:
            shutil.copyfile(path, target / path.name)
    return copy


def backup_create(app: Flask) -> Callable[[Path], None]:
    from oer_portal.backup import service

    def create(target: Path) -> None:
        with app.app_context():
            service.create(target)
    return create


def bare_hashing(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as file:
                hashlib.file_digest(file, "sha256")


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(__doc__)
    add_corpus_option(parser)
    add_database_option(parser)
    parser.add_argument("--limit", type=int, default=None, help="corpus materials (all)")
    parser.add_argument("--files", type=int, default=40,
                        help="extra lessons with a file each (default 40)")
    parser.add_argument("--kb", type=int, default=500, help="KB per file (default 500)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs each (default 5)")
    args = parser.parse_args(argv)
    materials = corpus_materials(args.corpus)

    with tempfile.TemporaryDirectory(prefix="oer-backup-bench-") as tmp_name, \
            database_uris(args.database_uri, Path(tmp_name), ["backup"]) as (uri,):
        tmp = Path(tmp_name)
        app = build_portal(tmp, uri)
        folders = material_folders(materials, args.limit)
        imported = import_corpus(app, import_root(materials, folders, tmp), len(folders),
                                 "Importing")
        add_files(app, args.files, args.kb)
        files = referenced_files(app)
        progress(f"Set-up: {imported.created} corpus materials, {args.files} lessons with "
                 f"a file; {len(files)} referenced blobs, "
                 f"{mb(sum(p.stat().st_size for p in files))}")

        from oer_portal.backup import service

        runs: dict[str, list[float]] = {"create": [], "bare": [], "verify": [], "hash": []}
        create, bare = backup_create(app), bare_copy(app, files)
        for n in range(args.runs):
            for name, run in (("create", create), ("bare", bare)):
                target = tmp / f"{name}-{n}"
                start = time.perf_counter()
                run(target)
                runs[name].append(time.perf_counter() - start)
            backup = tmp / f"create-{n}"
            with app.app_context():
                start = time.perf_counter()
                report = service.verify_backup(backup)
                runs["verify"].append(time.perf_counter() - start)
            if not report.clean:
                sys.exit(f"verify found differences in {backup}")
            start = time.perf_counter()
            bare_hashing(backup)
            runs["hash"].append(time.perf_counter() - start)
            shutil.rmtree(tmp / f"bare-{n}")
            progress(f"run {n + 1}/{args.runs}")

        median = {name: statistics.median(values) for name, values in runs.items()}
        print(f"backup size: {mb(folder_size(tmp / 'create-0'))}")
        print(f"backup create  {ms(median['create'])} ms = "
              f"{ratio(median['create'], median['bare'])} the bare copy "
              f"({ms(median['bare'])} ms)")
        print(f"backup verify  {ms(median['verify'])} ms = "
              f"{ratio(median['verify'], median['hash'])} bare hashing of the backup "
              f"({ms(median['hash'])} ms)")


if __name__ == "__main__":
    main()
