"""Benchmark: the pages of a large arrangement, against a bare render of the same templates.

Set-up (not timed): a fresh, migrated portal with ``--materials`` published lessons (100 by
default; synthetic Dutch-looking text of ~600 words from ``pages_bench``) and one published
arrangement of ten sections, each holding an own page and its share of the lessons (every
third one pinned to its version, the rest following the newest), all written through the
real services (``arrangements.service.create_arrangement``, ``lifecycle.publish``).

What is measured, for an anonymous visitor through the Flask test client:

* **overview**: ``GET /materials/<id>-<slug>``: the material page with the table of contents
  and the credits of every included material;
* **material part** and **own page part**: ``GET …/parts/<n>``;
* **bare renders (baselines)**: for each page, an extra route on the *same* app that only
  calls ``render_template`` with the context the real view passed, captured once before
  timing (every attribute the template reads is loaded then, so the bare render does no
  database access); the ratio *real / bare* is the cost of our per-request work;
* real and bare are requested alternately after a warm-up; medians, p95 and SQL statements
  per request are printed, the median ratios are the headline.

This is a benchmark, not a test: nothing passes or fails.  Run from the repository root::

    .venv/bin/python bench/arrangement_bench.py
    .venv/bin/python bench/arrangement_bench.py --materials 30 --requests 50   # a quick run
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

from _common import benchmark_parser, build_portal, create_teacher_and_moderator, database_uris
from flask import Flask, render_template
from pages_bench import (
    WARM_UP,
    fetch,
    interleaved,
    p95,
    statements_per_request,
    synthetic_body,
)

SECTIONS = 10


def create_arrangement(app: Flask, materials: int) -> tuple[int, str]:
    """The published arrangement including ``materials`` published lessons."""
    from oer_portal.arrangements import service as arrangements
    from oer_portal.arrangements.structure import Node, NodeKind
    from oer_portal.core.uow import current_uow
    from oer_portal.extensions import db
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import Material, MaterialKind, MaterialVersion

    with app.app_context():
        owner, moderator = create_teacher_and_moderator()

        def publish(material: Material) -> None:
            db.session.flush()
            lifecycle.publish(material, db.session.get(MaterialVersion,
                                                       material.latest_version_id), moderator)

        lessons = []
        for n in range(materials):
            lesson = service.create_material(owner, MaterialKind.LESSON, VersionFields(
                title=f"Les {n + 1}", body=synthetic_body(600, seed=n), language="nl"))
            publish(lesson)
            lessons.append(lesson)
        outline: list[Node] = []
        per_section = -(-materials // SECTIONS)
        for s in range(SECTIONS):
            outline.append(Node(NodeKind.SECTION, 0, f"Hoofdstuk {s + 1}"))
            outline.append(Node(NodeKind.PAGE, 1, f"Inleiding {s + 1}",
                                body=synthetic_body(300, seed=1000 + s)))
            for n, lesson in enumerate(lessons[s * per_section:(s + 1) * per_section]):
                outline.append(Node(NodeKind.MATERIAL, 1, material_id=lesson.id,
                                    pinned_version_id=lesson.published_version_id
                                    if n % 3 == 0 else None))
        arrangement = arrangements.create_arrangement(owner, VersionFields(
            title="Rekenen in de onderbouw", body="Een arrangement.", language="nl"), outline)
        publish(arrangement)
        current_uow().commit()
        return arrangement.id, arrangement.slug


def captured_context(app: Flask, path: str, module: Any) -> tuple[str, dict[str, Any]]:
    """The template and context the real view renders for ``path`` (rendered once, so every
    attribute the template reads is loaded)."""
    captured: dict[str, Any] = {}

    def capture(template: str, **context: Any) -> str:
        captured.update(template=template, context=context)
        return render_template(template, **context)

    with app.test_request_context(path), mock.patch.object(module, "render_template", capture):
        adapter = app.url_map.bind("localhost")
        endpoint, values = adapter.match(path)
        app.view_functions[endpoint](**values)
    return captured["template"], captured["context"]


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(__doc__, requests=100)
    parser.add_argument("--materials", type=int, default=100,
                        help="published lessons included (default 100)")
    args = parser.parse_args(argv)
    if args.materials < SECTIONS or args.requests < 2:
        sys.exit(f"--materials must be at least {SECTIONS} and --requests at least 2.")

    from oer_portal.arrangements import views as arrangement_views
    from oer_portal.materials import views as material_views

    with tempfile.TemporaryDirectory(prefix="oer-arrangement-bench-") as tmp_name, \
            database_uris(args.database_uri, Path(tmp_name), ["arrangement"]) as (uri,):
        app = build_portal(Path(tmp_name), uri)
        bare: dict[str, tuple[str, dict[str, Any]]] = {}

        @app.route("/bench-bare/<name>")
        def bench_bare(name: str) -> str:
            template, context = bare[name]
            return render_template(template, **context)

        start = time.perf_counter()
        arrangement_id, slug = create_arrangement(app, args.materials)
        print(f"Set-up: {args.materials} lessons and the arrangement in "
              f"{time.perf_counter() - start:.1f} s", file=sys.stderr)
        overview = f"/materials/{arrangement_id}-{slug}"
        pages = {"overview": (overview, material_views),
                 "material part": (f"{overview}/parts/3", arrangement_views),
                 "own page part": (f"{overview}/parts/2", arrangement_views)}
        for name, (path, module) in pages.items():
            bare[name] = captured_context(app, path, module)

        client = app.test_client()
        pairs = {name: (path, f"/bench-bare/{name}") for name, (path, _m) in pages.items()}
        for real, base in pairs.values():
            for _ in range(WARM_UP):
                fetch(client, real)
                fetch(client, base)
        statements = {path: statements_per_request(app, client, path)
                      for pair in pairs.values() for path in pair}
        times: dict[str, list[float]] = {}
        for pair in pairs.values():
            times |= interleaved(client, pair, args.requests)
        with app.app_context():
            from oer_portal.extensions import db

            dialect = db.engine.dialect.name
            db.engine.dispose()

    print()
    print(f"Arrangement pages benchmark: {SECTIONS} sections, {args.materials} included "
          f"lessons, anonymous visitor, {args.requests} requests each ({dialect})")
    print(f"  {'':28}{'median ms':>10}{'p95 ms':>9}{'SQL/request':>13}{'real/bare':>11}")
    for name, (real, base) in pairs.items():
        ratio = statistics.median(times[real]) / statistics.median(times[base])
        for label, path in ((name, real), (f"  bare render of {name}", base)):
            print(f"  {label:<28}{statistics.median(times[path]):>10.2f}"
                  f"{p95(times[path]):>9.2f}{statements[path]:>13}"
                  + (f"{ratio:>10.2f}x" if path == real else ""))


if __name__ == "__main__":
    main()
