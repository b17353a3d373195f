"""Benchmark: harvesting 10,000 records over OAI-PMH, against a bare lxml serialisation loop.

Set-up (not timed): a fresh, migrated portal (``_common.build_portal``) with a teacher and a
moderator, and ``--records`` (10,000) published materials written with bulk INSERTs that fill
the columns the models and the lifecycle would (a material, its one version, the pointers to
it, ``published_at`` and ``oai_datestamp``; datestamps spread over a year, a few hundred of
them shared by several records so keyset ties are exercised).  Every 20th material is a remix
of an earlier one, every 100th an arrangement of three earlier ones and every 50th withdrawn
(a deleted record).  Subjects, levels, keywords and languages come from the vocabularies.

What is measured:

* **harvest**: the portal served by werkzeug's WSGI server in a *separate process* (the app
  as ``create_app`` builds it, ``OAI_PAGE_SIZE`` = ``--page-size``), harvested over HTTP with
  ``ListRecords`` from the first request to the empty resumption token, once in ``oai_dc`` and
  once in ``lom``; the client only reads each response and cuts the token out of it.
  Records per second = records received / wall time of the whole harvest.  Harvests and bare
  loops alternate for ``--rounds`` rounds (3) and each reports its best round, so the load
  of whatever else runs on the machine hits both alike and is left out of both.
* **WSGI harvest**: the same harvest called on the app in this process through Flask's test
  client: every request whole (routing, hooks, session, queries, tokens, streaming), without
  the socket, the dev server and the second process (which the HTTP figure adds: on a busy
  machine that is a good part of its time).
* **bare loop (baseline)**: in this process, the same rows read with one SELECT (the
  provider's own ``records.batch`` without a limit, so one more for the arrangements' parts),
  and for each the header and the metadata built with the provider's own lxml writers
  (``oer_portal.oai.formats``) and serialised with ``etree.tostring``; both the reading and
  the writing are timed: the work itself, without protocol, paging, tokens, HTTP or WSGI.
* the ratios HTTP / bare and WSGI / bare per format (issue 14's target: at least 0.5), and
  the serving process's **peak resident memory** (``VmHWM`` from ``/proc/<pid>/status``,
  read before it is stopped; its RSS after start-up is printed too, so the harvest's own
  growth is visible).
  Pages stream: the server writes each batch of records (``oai.service.BATCH``) as it is
  read.

This is a benchmark, not a test: nothing passes or fails.  Run from the repository root::

    .venv/bin/python bench/oai_bench.py
    PYTHONPATH=. .venv/bin/python bench/oai_bench.py  # from a git worktree: its own code
    .venv/bin/python bench/oai_bench.py --records 2000            # a quick run
    .venv/bin/python bench/oai_bench.py \\
        --database-uri postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import (
    FAST_HASHER,
    add_database_option,
    benchmark_parser,
    build_portal,
    create_teacher_and_moderator,
    database_uris,
    progress,
    ratio,
)

from oer_portal.config import Defaults

TOKEN = re.compile(rb"<resumptionToken[^>]*?(?:/>|>([^<]*)</resumptionToken>)")
RECORD = re.compile(rb"<record[ >]")
WORDS = ("breuk", "cel", "energie", "rivier", "getal", "klimaat", "spanning", "taal",
         "verhaal", "grafiek", "kaart", "atoom", "plant", "stroom", "lijn", "vorm")


# -- the portal --------------------------------------------------------------------------------


def fill(app: Any, total: int, seed: int = 14) -> None:
    """``total`` published materials, inserted in bulk (see the module's docstring)."""
    from sqlalchemy import insert, update

    from oer_portal.arrangements.models import ArrangementNode
    from oer_portal.core.uow import current_uow
    from oer_portal.extensions import db
    from oer_portal.materials.metadata import vocabularies
    from oer_portal.materials.models import Material, MaterialVersion

    rng = random.Random(seed)
    with app.app_context():
        teacher, moderator = create_teacher_and_moderator()
        current_uow().commit()
        vocab = vocabularies()
        subjects, levels = list(vocab["subject"]), list(vocab["level"])
        start = datetime(2026, 1, 1, tzinfo=UTC)
        materials, versions, nodes = [], [], []
        for n in range(1, total + 1):
            title = " ".join(rng.choice(WORDS) for _ in range(4)).capitalize() + f" {n}"
            # Several records share a second now and then (keyset ties).
            stamp = start + timedelta(seconds=(n // 3) * 3000 if n % 37 == 0 else n * 3000)
            kind = "arrangement" if n % 100 == 0 and n > 3 else "lesson"
            withdrawn = n % 50 == 0
            materials.append({
                "id": n, "kind": kind, "slug": f"les-{n}", "owner_id": teacher.id,
                "status": "withdrawn" if withdrawn else "published",
                "created_at": stamp, "updated_at": stamp, "published_at": stamp,
                "withdrawn_at": stamp if withdrawn else None,
                "withdrawn_by_id": teacher.id if withdrawn else None,
                "withdrawn_reason": "Verouderd." if withdrawn else None,
                "withdrawn_by_moderation": False, "oai_datestamp": stamp})
            versions.append({
                "id": n, "material_id": n, "number": 1, "title": title,
                "description": " ".join(rng.choice(WORDS) for _ in range(30)).capitalize() + ".",
                "body": "Tekst.\n", "body_html": "<p>Tekst.</p>",
                "language": "nl" if n % 4 else "en", "licence": "CC-BY-4.0",
                "meta": {"subjects": rng.sample(subjects, 2), "levels": rng.sample(levels, 2),
                         "keywords": rng.sample(WORDS, 3), "resource_type": "lesson"},
                "author_id": teacher.id, "created_at": stamp, "summary": "",
                "merged": False})
            if kind == "arrangement":
                nodes += [{"version_id": n, "position": p, "depth": 0, "kind": "material",
                           "title": "", "body": "", "body_html": "", "material_id": n - p - 1}
                          for p in range(3)]
        db.session.execute(insert(Material), materials)
        db.session.execute(insert(MaterialVersion), versions)
        if nodes:
            db.session.execute(insert(ArrangementNode), nodes)
        db.session.execute(update(Material).values(latest_version_id=Material.id,
                                                   published_version_id=Material.id)
                           .execution_options(synchronize_session=False))
        # Remixes: every 20th derives from the version of the material seven before it.
        db.session.execute(update(Material).where(Material.id % 20 == 0, Material.id > 7)
                           .values(derived_from_version_id=Material.id - 7)
                           .execution_options(synchronize_session=False))
        current_uow().commit()
        del moderator


# -- the server process ------------------------------------------------------------------------


def serve(uri: str, tmp: str, page_size: int) -> None:
    """Run in the child: the portal on a free port, which is printed; serves until killed."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from oer_portal import create_app

    class Quiet(WSGIRequestHandler):
        #: TCP_NODELAY, as production servers set it: werkzeug writes the status line, the
        #: headers and each chunk apart, and Nagle's algorithm with delayed ACKs would hold
        #: such small writes back for up to 40 ms each, which measures the dev server.
        disable_nagle_algorithm = True

        def log_request(self, *_args: Any) -> None:
            pass

    os.environ["OER_ENV"] = "development"
    os.environ["OER_INSTANCE_PATH"] = str(Path(tmp) / "instance")
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "STORAGE_DIR": str(Path(tmp) / "files"),
                      "INDEX_DIR": str(Path(tmp) / "index"), "PASSWORD_HASHER": FAST_HASHER,
                      "SEARCH_BACKGROUND_DRAIN": False, "USAGE_WRITE_AT_EXIT": False,
                      "OAI_PAGE_SIZE": page_size})
    server = make_server("127.0.0.1", 0, app, threaded=False, request_handler=Quiet)
    print(server.server_port, flush=True)
    server.serve_forever()


def rss_of(pid: int) -> tuple[float, float]:
    """The process's (current, peak) resident set size in MB (Linux)."""
    fields = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return (int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024)


def harvest(base: str, prefix: str) -> tuple[int, float, int]:
    """Harvest every record; returns (records, seconds, pages)."""
    records = pages = 0
    query = {"verb": "ListRecords", "metadataPrefix": prefix}
    start = time.perf_counter()
    while True:
        with urllib.request.urlopen(f"{base}?{urllib.parse.urlencode(query)}") as response:  # noqa: S310
            body = response.read()
        pages += 1
        records += len(RECORD.findall(body))
        match = TOKEN.search(body)
        token = match.group(1).decode() if match and match.group(1) else None
        if not token:
            break
        query = {"verb": "ListRecords", "resumptionToken": token}
    return records, time.perf_counter() - start, pages


def harvest_wsgi(app: Any, prefix: str) -> tuple[int, float, int]:
    """The same harvest called on the WSGI app in this process (Flask's test client): the
    whole request (routing, hooks, session, queries, streaming) without a socket."""
    client = app.test_client()
    records = pages = 0
    query = {"verb": "ListRecords", "metadataPrefix": prefix}
    start = time.perf_counter()
    while True:
        body = client.get("/oai", query_string=query).data
        pages += 1
        records += len(RECORD.findall(body))
        match = TOKEN.search(body)
        token = match.group(1).decode() if match and match.group(1) else None
        if not token:
            break
        query = {"verb": "ListRecords", "resumptionToken": token}
    return records, time.perf_counter() - start, pages


# -- the baseline ------------------------------------------------------------------------------


def bare(app: Any, prefix: str) -> tuple[int, float]:
    """The same rows read at once (one SELECT, and one for the arrangements' parts) and
    serialised with lxml by the provider's own writers; reading and writing are timed."""
    from lxml import etree

    from oer_portal.oai import records as oai_records
    from oer_portal.oai.formats import WRITERS, Context
    from oer_portal.oai.protocol import Range, format_datestamp

    with app.test_request_context("/oai"):
        from oer_portal.materials.metadata import vocabularies

        context = Context("oer-portal.local", "OER-portaal",
                          lambda i, slug: f"http://localhost/materials/{i}-{slug}",
                          vocabularies())
        start = time.perf_counter()
        rows = oai_records.batch(Range(), None, None, 10**9)
        oai = "{http://www.openarchives.org/OAI/2.0/}"
        writer = WRITERS[prefix]
        size = 0
        for row in rows:
            record = etree.Element(f"{oai}record", nsmap={None: oai[1:-1]})
            header = etree.SubElement(record, f"{oai}header")
            etree.SubElement(header, f"{oai}identifier").text = context.identifier(
                row.material_id)
            etree.SubElement(header, f"{oai}datestamp").text = format_datestamp(row.datestamp)
            for spec in row.set_specs:
                etree.SubElement(header, f"{oai}setSpec").text = spec
            if not row.deleted:
                etree.SubElement(record, f"{oai}metadata").append(writer(row, context))
            size += len(etree.tostring(record, encoding="utf-8"))
        return len(rows), time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    if argv is None and len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = benchmark_parser(__doc__, requests=None)
    parser.add_argument("--records", type=int, default=10_000,
                        help="published materials in the portal (default 10000)")
    parser.add_argument("--page-size", type=int, default=Defaults.OAI_PAGE_SIZE,
                        help="OAI_PAGE_SIZE of the server (default: the portal's, "
                             f"{Defaults.OAI_PAGE_SIZE})")
    parser.add_argument("--rounds", type=int, default=3,
                        help="harvest/bare rounds; the best of each is reported (default 3)")
    add_database_option(parser)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="oer-oai-bench-") as tmp_name, \
            database_uris(args.database_uri, Path(tmp_name), ["oai"]) as (uri,):
        tmp = Path(tmp_name)
        app = build_portal(tmp, uri)
        start = time.perf_counter()
        fill(app, args.records)
        progress(f"set-up: {args.records} materials in {time.perf_counter() - start:.1f} s")
        child = subprocess.Popen(  # noqa: S603
            [sys.executable, __file__, "--serve", uri, str(tmp / "server"),
             str(args.page_size)], stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout is not None
            port = int(child.stdout.readline())
            base = f"http://127.0.0.1:{port}/oai"
            with urllib.request.urlopen(  # noqa: S310 (warm-up: imports, first queries)
                    f"{base}?verb=ListRecords&metadataPrefix=lom") as response:
                response.read()
            rss_start, _ = rss_of(child.pid)
            # Harvest and bare loop alternate, round after round, and each keeps its best
            # round: the machine's other load then hits both alike and is left out of both.
            app.config["OAI_PAGE_SIZE"] = args.page_size
            results: dict[str, tuple[int, float, int]] = {}
            in_process: dict[str, tuple[int, float, int]] = {}
            baseline: dict[str, tuple[int, float]] = {}
            for round_ in range(1, args.rounds + 1):
                for prefix in ("oai_dc", "lom"):
                    real = harvest(base, prefix)
                    if prefix not in results or real[1] < results[prefix][1]:
                        results[prefix] = real
                    wsgi = harvest_wsgi(app, prefix)
                    if prefix not in in_process or wsgi[1] < in_process[prefix][1]:
                        in_process[prefix] = wsgi
                    plain = bare(app, prefix)
                    if prefix not in baseline or plain[1] < baseline[prefix][1]:
                        baseline[prefix] = plain
                    progress(f"round {round_}, {prefix}: HTTP {real[0] / real[1]:.0f} rec/s, "
                             f"WSGI {wsgi[0] / wsgi[1]:.0f} rec/s, "
                             f"bare {plain[0] / plain[1]:.0f} rec/s")
            rss_now, rss_peak = rss_of(child.pid)
        finally:
            child.terminate()
            child.wait()

    database = "PostgreSQL" if args.database_uri else "SQLite"
    print(f"OAI-PMH ListRecords, {args.records} published materials ({database}), "
          f"OAI_PAGE_SIZE={args.page_size}, best of {args.rounds} rounds")
    print(f"{'format':8} {'records':>8} {'pages':>6} {'HTTP rec/s':>11} {'WSGI rec/s':>11} "
          f"{'bare rec/s':>11} {'HTTP/bare':>10} {'WSGI/bare':>10}")
    for prefix in ("oai_dc", "lom"):
        count, seconds, pages = results[prefix]
        wsgi_count, wsgi_seconds, _pages = in_process[prefix]
        bare_count, bare_seconds = baseline[prefix]
        real_rate, wsgi_rate = count / seconds, wsgi_count / wsgi_seconds
        bare_rate = bare_count / bare_seconds
        print(f"{prefix:8} {count:8d} {pages:6d} {real_rate:11.0f} {wsgi_rate:11.0f} "
              f"{bare_rate:11.0f} {ratio(real_rate, bare_rate):>10} "
              f"{ratio(wsgi_rate, bare_rate):>10}")
    print(f"serving process: RSS {rss_start:.0f} MB after warm-up, {rss_now:.0f} MB after "
          f"the harvests, peak (VmHWM) {rss_peak:.0f} MB")


if __name__ == "__main__":
    main()
