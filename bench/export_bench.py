"""Benchmark: exporting a large arrangement as a Common Cartridge, against a plain ZIP loop.

Set-up (not timed): a fresh, migrated portal with ``--attachments`` published lessons (50 by
default), each with one real PNG of random pixels (``--kb`` kilobytes, 300 by default;
random pixels do not compress, like photos) stored through the upload service, and one
published arrangement of 200 parts: those lessons (every third pinned to its version) and
own pages of synthetic Dutch-looking text (~600 words, from ``pages_bench``), in sections.

What is measured, in turns after a warm-up, writing to a file on disk:

* **export**: ``arrangements.web.write_export("imscc", PUBLIC, …)``, the code behind the
  download button and ``flask materials export --format imscc``: reading the outline and
  the included materials with the visibility rules, credits, rendering every page and the
  manifest, streaming the attachments from the file store;
* **plain loop (same entries)**: ``zipfile`` writing exactly the entries the export wrote,
  from bytes prepared before timing and the attachments from the store with ``zf.write``,
  with the export's choice per entry (text deflated, images stored): the ratio is the cost
  of working out the export;
* **plain loop (all deflated)**: the same loop deflating everything, the naive way;
* peak memory (``tracemalloc``, Python allocations) of one export and of the plain loop, in
  separate untimed runs, and once more with attachments twice as large: streamed files do
  not add to it.

This is a benchmark, not a test: nothing passes or fails.  Run from the repository root::

    .venv/bin/python bench/export_bench.py
    .venv/bin/python bench/export_bench.py --runs 3 --kb 100    # a quick run
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

from _common import (
    benchmark_parser,
    build_portal,
    create_teacher_and_moderator,
    database_uris,
    mb,
    ms,
    ratio,
)
from flask import Flask
from pages_bench import synthetic_body

PARTS = 200
SECTIONS = 10


def noise_png(kilobytes: int, seed: int) -> bytes:
    """A PNG of random pixels of about ``kilobytes`` KB (it does not compress)."""
    from PIL import Image

    side = max(16, int((kilobytes * 1024 / 3) ** 0.5))
    pixels = (seed.to_bytes(4, "big") + os.urandom(side * side * 3))[:side * side * 3]
    buffer = io.BytesIO()
    Image.frombytes("RGB", (side, side), pixels).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def create_arrangement(app: Flask, attachments: int, kilobytes: int) -> int:
    """The published arrangement of ``PARTS`` parts, ``attachments`` of them lessons with a
    file each."""
    from oer_portal.arrangements import service as arrangements
    from oer_portal.arrangements.structure import Node, NodeKind
    from oer_portal.core.uow import current_uow
    from oer_portal.extensions import db
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.attachments import Upload, store_upload
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind, MaterialVersion

    with app.app_context():
        owner, moderator = create_teacher_and_moderator()
        db.session.flush()
        body = synthetic_body(600)
        lessons: list[tuple[int, int]] = []
        for n in range(attachments):
            ref = store_upload(Upload(io.BytesIO(noise_png(kilobytes, n)), f"kaart {n}.png"))
            lesson = service.create_material(owner, MaterialKind.LESSON, VersionFields(
                title=f"Les {n + 1}", body=body, licence="CC-BY-4.0"), [ref])
            db.session.flush()
            lifecycle.publish(lesson, db.session.get(MaterialVersion, lesson.latest_version_id),
                              moderator)
            lessons.append((lesson.id, lesson.latest_version_id))
        current_uow().commit()
        # The lessons spread evenly among the pages, the leaves split over the sections.
        pages = PARTS - SECTIONS - attachments
        leaves: list[Node] = []
        for n in range(pages + attachments):
            lesson = n * attachments // (pages + attachments)
            if len(lessons) > lesson and (n + 1) * attachments // (pages + attachments) > lesson:
                material_id, version_id = lessons[lesson]
                leaves.append(Node(NodeKind.MATERIAL, 1, material_id=material_id,
                                   pinned_version_id=version_id if lesson % 3 == 0 else None))
            else:
                leaves.append(Node(NodeKind.PAGE, 1, f"Pagina {n + 1}", body=body))
        outline: list[Node] = []
        per_section = -(-len(leaves) // SECTIONS)
        for section in range(SECTIONS):
            outline.append(Node(NodeKind.SECTION, 0, f"Hoofdstuk {section + 1}"))
            outline.extend(leaves[section * per_section:(section + 1) * per_section])
        arrangement = arrangements.create_arrangement(owner, VersionFields(
            title="Groot arrangement", body="Welkom.", licence="CC-BY-4.0"), outline)
        db.session.flush()
        lifecycle.publish(arrangement, arrangement.latest_version, moderator)
        current_uow().commit()
        return arrangement.id


def export_once(app: Flask, arrangement_id: int, target: Path) -> None:
    from oer_portal.accounts.policy import PUBLIC
    from oer_portal.arrangements.web import write_export

    with app.app_context(), target.open("wb") as file:
        write_export("imscc", PUBLIC, arrangement_id, None, file)


def plain_loop(entries: list[tuple[str, bytes | Path, int]]) -> Callable[[Path], None]:
    """A ZIP of ``entries`` (name, bytes or a stored file's path, compression)."""
    def write(target: Path) -> None:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content, compression in entries:
                if isinstance(content, Path):
                    archive.write(content, name, compress_type=compression)
                else:
                    archive.writestr(name, content, compress_type=compression)
    return write


def same_entries(app: Flask, exported: Path, deflate_all: bool
                 ) -> list[tuple[str, bytes | Path, int]]:
    """The export's entries, ready to write: texts as bytes, attachments as their path in
    the file store (found by content), each with the export's compression or deflated."""
    import hashlib

    from oer_portal.core.storage import file_store

    entries: list[tuple[str, bytes | Path, int]] = []
    with app.app_context(), zipfile.ZipFile(exported) as archive:
        store = file_store()
        for info in archive.infolist():
            data = archive.read(info)
            compression = zipfile.ZIP_DEFLATED if deflate_all else info.compress_type
            if "/files/" in info.filename:
                entries.append((info.filename, store.path(hashlib.sha256(data).hexdigest()),
                                compression))
            else:
                entries.append((info.filename, data, compression))
    return entries


def timed(run: Callable[[Path], None], target: Path) -> float:
    start = time.perf_counter()
    run(target)
    return time.perf_counter() - start


def peak_memory(run: Callable[[Path], None], target: Path) -> int:
    tracemalloc.start()
    try:
        run(target)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--attachments", type=int, default=50,
                        help="included lessons, each with one file (default 50)")
    parser.add_argument("--kb", type=int, default=300,
                        help="size of each file in KB (default 300)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs each (default 7)")
    args = parser.parse_args(argv)
    if not 0 < args.attachments <= PARTS - SECTIONS - 1 or args.runs < 1:
        sys.exit(f"--attachments must be 1..{PARTS - SECTIONS - 1} and --runs at least 1.")

    with tempfile.TemporaryDirectory(prefix="oer-export-bench-") as tmp_name, \
            database_uris(None, Path(tmp_name), ["export", "large"]) as (uri, large_uri):
        tmp = Path(tmp_name)
        app = build_portal(tmp, uri)
        app.config["PORTAL_URL"] = "https://oer.example.nl"
        start = time.perf_counter()
        arrangement_id = create_arrangement(app, args.attachments, args.kb)
        print(f"Set-up: {args.attachments} lessons with files and the arrangement in "
              f"{time.perf_counter() - start:.1f} s", file=sys.stderr)
        exported = tmp / "export.imscc"

        def export(target: Path) -> None:
            export_once(app, arrangement_id, target)

        export(exported)  # warm-up, and the entries the loops write
        with zipfile.ZipFile(exported) as archive:
            entry_count = len(archive.namelist())
            attachment_bytes = sum(i.file_size for i in archive.infolist()
                                   if "/files/" in i.filename)
        runs = {"export": export,
                "plain loop (same entries)": plain_loop(same_entries(app, exported, False)),
                "plain loop (all deflated)": plain_loop(same_entries(app, exported, True))}
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.runs):
            for name, run in runs.items():
                times[name].append(timed(run, tmp / "timed.zip"))
        memory = {name: peak_memory(run, tmp / "memory.zip") for name, run in runs.items()}
        size = exported.stat().st_size

        # Twice the bytes per file, on a second portal: the export's peak should not move.
        large = build_portal(tmp, large_uri, "large")
        large.config["PORTAL_URL"] = "https://oer.example.nl"
        large_id = create_arrangement(large, args.attachments, args.kb * 2)
        large_peak = peak_memory(lambda target: export_once(large, large_id, target),
                                 tmp / "large.zip")
        for each in (app, large):
            with each.app_context():
                from oer_portal.extensions import db

                db.engine.dispose()

    median = {name: statistics.median(values) for name, values in times.items()}
    print()
    print(f"Common Cartridge export: {PARTS} parts ({args.attachments} lessons with one "
          f"~{args.kb} KB file each), {entry_count} entries, {mb(attachment_bytes)} of files, "
          f"archive {mb(size)}; {args.runs} runs each (SQLite)")
    print(f"  {'':30}{'median ms':>10}{'min ms':>9}{'export/this':>13}{'peak memory':>13}")
    for name in runs:
        print(f"  {name:30}{ms(median[name]):>10}{ms(min(times[name])):>9}"
              f"{ratio(median['export'], median[name]):>13}{mb(memory[name]):>13}")
    print(f"  export with files twice as large: peak memory {mb(large_peak)} "
          f"(vs {mb(memory['export'])})")


if __name__ == "__main__":
    main()
