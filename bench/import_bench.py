"""Benchmark: importing the shared corpus through the real code path, against Core inserts
with the same rendering and extraction in a plain loop.

What is measured (all in one run, on one machine, so only the ratios are meant to be compared):

1. **Real import** of ``<corpus>/materials`` (1,160 material folders) into a fresh, migrated
   portal, exactly as ``flask materials import --as <admin>`` does it: an admin created with
   ``accounts.service.create_user(..., [Role.ADMIN])``, then
   ``materials.interchange.import_path(path, importer, commit=uow.commit,
   rollback=uow.rollback, publisher=importer)``, one commit per material, inside
   ``outbox.deferred()`` as the command runs it (the search index is filled by one drain at
   the end, timed apart and not part of the import's time).  That includes everything the
   services do: validation, the vocabulary look-ups, the content-addressed file store
   (fsyncs), upload inspection, text extraction and thumbnails for attachments, whatever is
   derived per version (at the time of writing: the body's Markdown rendered into
   ``body_html``), the audit log and the search outbox; rendering and extraction run in
   ``IMPORT_WORKERS`` processes (``--workers``; default one per CPU).
2. **Core baseline** into a second fresh database with the same migrated schema
   and the same engine set-up (SQLite pragmas, ``BEGIN IMMEDIATE``): per material folder read
   ``meta.json``, ``material.md`` and the attachments, compute their SHA-256, and insert the rows
   into ``materials``, ``material_versions``, ``stored_files`` (when not present yet),
   ``version_attachments`` and ``material_publications`` with ``connection.execute(table.insert(),
   ...)``, then point ``materials.latest_version_id``/``published_version_id`` at the version
   with an UPDATE of the material row (versions are immutable and are never updated).  One
   transaction per material, like the real import, in a plain loop in one process; the body
   is rendered with the same renderer (``core.markdown.prerender``, its cache emptied first)
   into ``body_html``, and each new file's text and thumbnail are made with the same
   function (``materials.derivation.compute``) into ``stored_files``; no validation, no file
   storage, no audit log, no outbox.
3. **Re-import** of the same folders into the portal of step 1, in a new app context (as a second
   CLI invocation would be): idempotent, so every material should come out ``unchanged``.

The headline is the ratio *real import time / Core baseline time* (how many times longer
the real path takes for the same folders and the same rendering and extraction; the target
of issue 17 is at most 2x); materials per second and SQL statements per material are printed
too.  This is a benchmark, not a test: nothing passes or fails.

Run from the repository root (the whole corpus took about 2 minutes on a shared 2-CPU machine)::

    PYTHONPATH=. .venv/bin/python bench/import_bench.py
    .venv/bin/python bench/import_bench.py --limit 100          # a quick run
    .venv/bin/python bench/import_bench.py --corpus /path/to/corpus
    .venv/bin/python bench/import_bench.py --workers 1          # the serial import
    .venv/bin/python bench/import_bench.py \\
        --database-uri postgresql+psycopg://postgres@127.0.0.1:5432/postgres

``--corpus`` defaults to ``../shared/corpus`` beside the repository.  Everything is written in a
temporary folder (databases, file store, instance folder) that is removed afterwards.  With
``--database-uri`` (a PostgreSQL server) two throwaway databases are created on that server and
dropped at the end.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import (
    ADMIN_EMAIL,
    StatementCounter,
    add_corpus_option,
    add_database_option,
    benchmark_parser,
    build_portal,
    corpus_materials,
    create_admin,
    database_uris,
    import_root,
    material_folders,
    progress_printer,
)
from flask import Flask
from sqlalchemy import Connection, make_url, select

from oer_portal.extensions import db

#: meta.json keys mapped onto columns or known ``meta`` entries by the baseline.
BASELINE_KEYS = {"id", "title", "description", "subject", "subjects", "level", "levels",
                 "language", "licence", "keywords", "objectives", "authors", "source_url",
                 "attribution", "attachments", "resource_type"}
#: Categories the upload check gives (``materials.uploads``) where the media type's first
#: half is not one: the extractor and the thumbnail maker choose by them.
CATEGORY_OF = {"application/pdf": "pdf"}


# -- the real import ---------------------------------------------------------------------------


@dataclass
class RealRun:
    seconds: float
    #: The search outbox's drain when ``deferred()`` ended (not part of ``seconds``).
    drain_seconds: float
    statements: int
    created: int
    updated: int
    unchanged: int
    failed: list[tuple[str, str]]

    @property
    def processed(self) -> int:
        return self.created + self.updated + self.unchanged + len(self.failed)


def real_import(app: Flask, root: Path, total: int, label: str, new_user: bool,
                workers: int | None) -> RealRun:
    """``import_path`` as the CLI calls it, inside ``outbox.deferred()``.  The first run
    uses the admin object returned by ``create_admin`` (created and committed in the same
    app context); the re-import looks the admin up by e-mail in a new app context, as
    ``flask materials import --as`` does."""
    from oer_portal.accounts.service import find_by_email
    from oer_portal.core.outbox import deferred
    from oer_portal.core.uow import current_uow
    from oer_portal.materials.interchange import import_path

    with app.app_context():
        uow = current_uow()
        if new_user:
            importer = create_admin()
        else:
            importer = find_by_email(ADMIN_EMAIL)
            assert importer is not None
        with StatementCounter(db.engine) as counter:
            start = time.perf_counter()
            with deferred():
                summary = import_path(root, importer, commit=uow.commit, rollback=uow.rollback,
                                      publisher=importer, workers=workers,
                                      progress=progress_printer(label, total))
                seconds = time.perf_counter() - start
            drain_seconds = time.perf_counter() - start - seconds
    return RealRun(seconds, drain_seconds, counter.count, summary.created, summary.updated,
                   summary.unchanged, summary.failed)


# -- the Core baseline -------------------------------------------------------------------------


def _codes(meta: dict[str, Any], single: str, plural: str) -> list[str]:
    raw = meta.get(plural) or ([meta[single]] if meta.get(single) else [])
    return [str(value).strip().lower().replace(" ", "-") for value in raw]


def baseline_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """Roughly what ``VersionFields.meta()`` stores, without any checking."""
    out: dict[str, Any] = {
        "subjects": _codes(meta, "subject", "subjects"),
        "levels": _codes(meta, "level", "levels"),
        "keywords": list(meta.get("keywords") or ()),
        "objectives": list(meta.get("objectives") or ()),
        "resource_type": meta.get("resource_type"),
        "authors": list(meta.get("authors") or ()),
        "source_url": meta.get("source_url"),
        "attribution": meta.get("attribution"),
        "extra": {k: v for k, v in meta.items() if k not in BASELINE_KEYS},
    }
    return {k: v for k, v in out.items() if v not in (None, "", [], {})}


def core_insert_material(connection: Connection, folder: Path, owner_id: int,
                         own_hosts: frozenset[str]) -> None:
    """Write one material folder's rows with Core inserts (the caller's transaction), its
    body rendered and its new files' text and thumbnail made as the real import does."""
    from oer_portal.core.markdown import prerender
    from oer_portal.core.types import utcnow
    from oer_portal.materials.derivation import compute
    from oer_portal.materials.service import slugify

    tables = db.metadata.tables
    materials, versions = tables["materials"], tables["material_versions"]
    stored, attachments = tables["stored_files"], tables["version_attachments"]
    publications = tables["material_publications"]

    meta = json.loads((folder / "meta.json").read_bytes().decode("utf-8"))
    body = (folder / "material.md").read_bytes().decode("utf-8")
    files = []
    paths: dict[str, Path] = {}
    for item in meta.get("attachments") or ():
        data = (folder / item["path"]).read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        paths.setdefault(sha, folder / item["path"])
        files.append((sha, len(data), item.get("filename") or Path(item["path"]).name))
    now = utcnow()
    title = str(meta.get("title") or "")
    body_html = prerender(body, own_hosts).rendered.html
    material_id = connection.execute(materials.insert(), {
        "kind": "lesson" if body.strip() or not files else "file", "slug": slugify(title),
        "owner_id": owner_id, "status": "published", "external_id": str(meta["id"]),
        "created_at": now, "updated_at": now, "published_at": now,
    }).inserted_primary_key[0]
    version_id = connection.execute(versions.insert(), {
        "material_id": material_id, "number": 1, "title": title,
        "description": str(meta.get("description") or ""), "body": body, "body_html": body_html,
        "language": str(meta.get("language") or ""), "licence": str(meta.get("licence") or ""),
        "link_url": None, "meta": baseline_meta(meta), "author_id": owner_id,
        "created_at": now, "summary": "Imported", "base_version_id": None,
        "reverted_from_id": None, "merged": False,
    }).inserted_primary_key[0]
    if files:
        hashes = {sha for sha, _size, _name in files}
        present = set(connection.scalars(select(stored.c.sha256)
                                         .where(stored.c.sha256.in_(hashes))))
        new_files: dict[str, dict[str, Any]] = {}
        for sha, size, name in files:
            if sha not in present and sha not in new_files:
                media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
                category = CATEGORY_OF.get(media_type, media_type.split("/")[0])
                derived = compute(paths[sha], media_type, category)
                new_files[sha] = {"sha256": sha, "size": size, "media_type": media_type,
                                  "category": category, "text": derived.text,
                                  "has_thumbnail": derived.thumbnail is not None,
                                  "created_at": now, "derived_at": now}
        if new_files:
            connection.execute(stored.insert(), list(new_files.values()))
        connection.execute(attachments.insert(), [
            {"version_id": version_id, "position": position, "sha256": sha, "filename": name}
            for position, (sha, _size, name) in enumerate(files, start=1)])
    connection.execute(publications.insert(), [
        {"material_id": material_id, "version_id": version_id, "published_at": now,
         "published_by_id": owner_id}])
    connection.execute(materials.update().where(materials.c.id == material_id).values(
        latest_version_id=version_id, published_version_id=version_id))


@dataclass
class CoreRun:
    seconds: float
    statements: int
    inserted: int


def core_import(app: Flask, folders: list[Path]) -> CoreRun:
    with app.app_context():
        owner_id = create_admin().id
    report = progress_printer("Core baseline", len(folders))
    from oer_portal.core import markdown

    markdown._render.cache_clear()  # nothing rendered by the real import is reused
    with app.app_context():
        engine = db.engine
        own_hosts = markdown.current_own_hosts()
        with StatementCounter(engine) as counter:
            start = time.perf_counter()
            for folder in folders:
                with engine.begin() as connection:
                    core_insert_material(connection, folder, owner_id, own_hosts)
                report(folder.name)
            seconds = time.perf_counter() - start
        engine.dispose()
    return CoreRun(seconds, counter.count, len(folders))


# -- report ------------------------------------------------------------------------------------


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def print_failures(failed: list[tuple[str, str]], shown: int = 10) -> None:
    for name, reason in failed[:shown]:
        print(f"    failed: {name}: {reason}")
    if len(failed) > shown:
        print(f"    ... and {len(failed) - shown} more")


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(__doc__)
    add_corpus_option(parser)
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="import only the first N materials (a quick run)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="processes rendering and extracting during the real import "
                             "(IMPORT_WORKERS; default one per CPU, 1: serial)")
    add_database_option(parser)
    args = parser.parse_args(argv)

    materials = corpus_materials(args.corpus)
    folders = material_folders(materials, args.limit)
    if not folders:
        sys.exit(f"No material folders (with meta.json) in {materials}.")

    with tempfile.TemporaryDirectory(prefix="oer-import-bench-") as tmp_name:
        tmp = Path(tmp_name)
        root = import_root(materials, folders, tmp)
        with database_uris(args.database_uri, tmp, ["real", "core"]) as (real_uri, core_uri):
            real_app = build_portal(tmp, real_uri, "real")
            core_app = build_portal(tmp, core_uri, "core")
            dialect = make_url(real_uri).get_backend_name()
            print(f"Corpus: {materials} ({len(folders)} materials); database: {dialect}",
                  file=sys.stderr)

            first = real_import(real_app, root, len(folders), "real import", new_user=True,
                                workers=args.workers)
            core = core_import(core_app, folders)
            again = real_import(real_app, root, len(folders), "re-import", new_user=False,
                                workers=args.workers)
            for app in (real_app, core_app):
                with app.app_context():
                    db.engine.dispose()

    from oer_portal.materials.preparation import worker_count

    n = len(folders)
    real_rate, core_rate = rate(first.processed, first.seconds), rate(n, core.seconds)
    again_rate = rate(again.processed, again.seconds)
    print()
    print(f"Import benchmark: {n} materials from {materials} ({dialect}); "
          f"import workers: {worker_count(args.workers)}")
    print(f"  {'':30}{'seconds':>9}{'materials/s':>13}{'SQL/material':>14}")
    for label, run_seconds, run_rate, statements in (
            ("real import", first.seconds, real_rate, first.statements),
            ("Core + render + extract (base)", core.seconds, core_rate, core.statements),
            ("re-import (unchanged)", again.seconds, again_rate, again.statements)):
        print(f"  {label:<30}{run_seconds:>9.2f}{run_rate:>13.1f}{statements / n:>14.1f}")
    print(f"  search drain after the import: {first.drain_seconds:.2f} s "
          f"(re-import: {again.drain_seconds:.2f} s), not in the times above")
    print()
    print(f"  RATIO real import / baseline:  {first.seconds / core.seconds:.2f}x the time "
          f"(target <= 2x)")
    print(f"  re-import / baseline:          {again.seconds / core.seconds:.2f}x the time")
    print(f"  re-import / real import:       {again.seconds / first.seconds:.2f}x the time")
    print()
    print(f"  real import: {first.created} created, {first.updated} updated, "
          f"{first.unchanged} unchanged, {len(first.failed)} failed")
    print_failures(first.failed)
    print(f"  re-import:   {again.created} created, {again.updated} updated, "
          f"{again.unchanged} unchanged, {len(again.failed)} failed")
    print_failures(again.failed)
    print(f"  baseline:    {core.inserted} inserted")


if __name__ == "__main__":
    main()
