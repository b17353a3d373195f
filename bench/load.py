"""Benchmark: the portal under a realistic mix of traffic, served by gunicorn on PostgreSQL.

One command, bounded in time, all traffic to 127.0.0.1::

    .venv/bin/python bench/load.py                       # ~3,000 materials, a few minutes
    .venv/bin/python bench/load.py --materials 100000    # the worker RSS at 100,000 materials
    .venv/bin/python bench/load.py --duration 10 --phase 5 --corpus-limit 200   # a quick look
    .venv/bin/python bench/load.py --materials 100000 --keep DIR   # seed once, keep it ...
    .venv/bin/python bench/load.py --reuse DIR                     # ... and measure it again

Set-up (not timed): a fresh database on the PostgreSQL server (``--database-uri``, default
127.0.0.1:5432; dropped at the end), migrated with the real migrations; the corpus
(``--corpus``, default ``../shared/corpus``) imported as ``flask materials import`` does it;
synthetic published lessons written with Core inserts (``_generator.py``) up to
``--materials``; a published arrangement of 30 lessons by a teacher (who is also the writer
below); the search index rebuilt.  Then two servers start, each ``gunicorn -w 2`` on the same
database, index and configuration (``_load_app.py``): the **real** portal, and the
**ceiling** — the same app whose ``/ceiling/<path>`` renders the page's template from the
context the real view computed once (the work a page cannot avoid).

A separate process drives them (``--concurrency`` threads, ``http.client``, closed loop):

1. **the mix** for ``--duration`` seconds against the real portal: 60 % search with a
   facet (a query of ``queries-dev.tsv`` with a subject, level or language), 25 % material
   pages, 10 % arrangement pages (the arrangement and its parts), 5 % teacher writes (a
   logged-in teacher opens the edit form of one of their lessons and saves a new version
   through it, CSRF token included; each thread edits its own lesson).  Printed: requests
   per second, p50/p95/p99 per endpoint, and the errors (any status ≥ 400, a write that
   is not a redirect, a refused connection): there must be none.
2. **each page alone**, ``--phase`` seconds against the real portal and then as long
   against the ceiling, on the same addresses in the same order: each page's throughput as
   a fraction of its ceiling's (the target is 0.5 or more).

Last, the resident memory (VmRSS) of each real worker after the run, at this many materials
(the target at 100,000 is 600 MB or less).  The rate limiter stays on, in memory (none of
the mix's endpoints has a limit; the login throttle sees one login per client thread).

This is a benchmark, not a test: nothing passes or fails (but errors are printed first).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: The mix: endpoint → share of the requests.
MIX = {"search": 60, "material": 25, "arrangement": 10, "write": 5}
#: Addresses per read page for the per-page phases (each warmed before timing).
PHASE_URLS = 16
PASSWORD = "a benchmark password that is long enough"  # noqa: S105 - _common.PASSWORD
SECRET = "a-load-benchmark-secret-key-that-is-long-enough-0123456789"  # noqa: S105


# -- the driver (a process of its own) ----------------------------------------------------------


class _Form(HTMLParser):
    """The fields of each form on a page (inputs, text areas, selects), form by form."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside, self.forms = False, []
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside, self.fields = True, []
            self.forms.append(self.fields)
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("file", "submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None
        elif tag == "select":
            self._select = None


class _Browser:
    """One connection with its cookies (keep-alive where the server keeps it)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection = HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None
                ) -> tuple[int, dict[str, str], bytes]:
        headers = {"Host": f"127.0.0.1:{self.port}", "Accept-Language": "nl"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (ConnectionError, OSError):
                self.connection.close()
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data


def _csrf(html: bytes) -> str:
    match = re.search(rb'name="csrf_token"[^>]*?value="([^"]+)"', html)
    assert match, "no CSRF token"
    return match.group(1).decode()


def _login(browser: _Browser, email: str) -> None:
    status, _h, page = browser.request("GET", "/account/login")
    body = urllib.parse.urlencode({"csrf_token": _csrf(page), "email": email,
                                   "password": PASSWORD}).encode()
    status, _h, _b = browser.request("POST", "/account/login", body)
    if status not in (302, 303):
        raise RuntimeError(f"login answered {status}")


def _write(browser: _Browser, material_id: int, n: int, record: Any) -> str | None:
    """Open the edit form and save a new version through it; what went wrong, if anything."""
    path = f"/materials/{material_id}/edit"
    start = time.perf_counter()
    status, _h, page = browser.request("GET", path)
    record("edit form", time.perf_counter() - start, status < 400)
    parser = _Form()
    parser.feed(page.decode())
    fields = next((dict(form) for form in parser.forms
                   if any(name == "base_version_id" for name, _v in form)), {})
    fields["body"] = fields.get("body", "") + f"\n\nAanvulling {n}: een extra alinea.\n"
    fields["summary"] = f"Aanvulling {n}"
    start = time.perf_counter()
    status, headers, answer = browser.request("POST", path, urllib.parse.urlencode(
        [(k, v) for k, v in fields.items()]).encode())
    saved = status in (302, 303) and "/edit" not in headers.get("location", "")
    record("write", time.perf_counter() - start, saved)
    if saved:
        return None
    problems = re.findall(rb'class="[^"]*(?:error|invalid)[^"]*"[^>]*>([^<]{0,80})', answer)
    return f"answered {status} {headers.get('location', '')} {problems[:2]!r}"


def drive(plan: dict[str, Any]) -> dict[str, Any]:
    """Run ``plan`` (one phase) and return each endpoint's latencies and errors."""
    port, seconds, kinds = plan["port"], plan["seconds"], plan["kinds"]
    urls: dict[str, list[str]] = plan["urls"]
    prefix = plan.get("prefix", "")
    latencies: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    lock = threading.Lock()

    def record(endpoint: str, elapsed: float, ok: bool) -> None:
        with lock:
            latencies.setdefault(endpoint, []).append(elapsed)
            if not ok:
                errors[endpoint] = errors.get(endpoint, 0) + 1

    deadline = time.perf_counter() + seconds
    started = time.perf_counter()

    def worker(index: int) -> None:
        rng = random.Random(plan["seed"] * 1000 + index)
        browser = _Browser(port)
        writer: _Browser | None = None
        own = plan["writable"][index % len(plan["writable"])] if plan["writable"] else None
        weights = [kinds[k] for k in kinds]
        names = list(kinds)
        n = 0
        while time.perf_counter() < deadline:
            endpoint = rng.choices(names, weights)[0]
            n += 1
            try:
                if endpoint == "write":
                    if writer is None:
                        writer = _Browser(port)
                        _login(writer, plan["writer"])
                    problem = _write(writer, own, n, record)
                    if problem:
                        with lock:
                            errors.setdefault(f"write {problem}"[:200], 0)
                    continue
                path = prefix + rng.choice(urls[endpoint])
                start = time.perf_counter()
                status, _h, _b = browser.request("GET", path)
                record(endpoint, time.perf_counter() - start, status < 400)
            except Exception as error:  # every failure is an error to count
                record(endpoint, 0.0, False)
                with lock:
                    errors.setdefault(f"{endpoint}: {type(error).__name__}: {error}"[:120], 0)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(plan["concurrency"])]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": time.perf_counter() - started, "latencies": latencies, "errors": errors}


# -- the set-up ---------------------------------------------------------------------------------


@dataclass
class Traffic:
    urls: dict[str, list[str]]
    writer: str
    writable: list[int]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _seed(args: argparse.Namespace, tmp: Path, uri: str) -> tuple[dict[str, Any], Traffic, int]:
    """The portal filled and indexed; its configuration for the servers, the addresses the
    traffic visits, and how many materials are published."""
    from _common import (
        build_portal,
        corpus_materials,
        import_corpus,
        import_root,
        material_folders,
        progress,
    )
    from _generator import insert_synthetic, make_generator
    from arrangement_bench import create_arrangement
    from sqlalchemy import select

    from oer_portal.extensions import db
    from oer_portal.materials.metadata import vocabularies
    from oer_portal.materials.models import Material, MaterialStatus, MaterialVersion
    from oer_portal.search import indexer

    app = build_portal(tmp, uri)
    folders = material_folders(corpus_materials(args.corpus), args.corpus_limit)
    corpus = import_corpus(app, import_root(corpus_materials(args.corpus), folders, tmp),
                           len(folders), "corpus import")
    with app.app_context():
        published = indexer.published_count()
    insert_synthetic(app, make_generator(app), max(0, args.materials - published - 31),
                     corpus.admin_id, "synthetic lessons")
    _advance_sequences(app)
    # The full build first: the synthetic rows' outbox entries are then behind the index's
    # position, so the arrangement's commit drains only its own (drained before, one by
    # one, they held the 100,000-material seed for most of an hour).
    progress("reindex ...")
    with app.app_context():
        indexer.reindex()
    arrangement_id, slug = create_arrangement(app, 30)
    _analyze(app)
    with app.app_context():
        published = indexer.published_count()
        rng = random.Random(17)
        rows = db.session.execute(
            select(Material.id, Material.slug, Material.kind, Material.owner_id)
            .where(Material.status == MaterialStatus.PUBLISHED)).all()
        teacher_id = next(r.owner_id for r in rows if r.id == arrangement_id)
        lessons = [r for r in rows if r.kind != "arrangement"]
        materials = [f"/materials/{r.id}-{r.slug}" for r in rng.sample(lessons,
                                                                        min(400, len(lessons)))]
        arrangements = [r for r in rows if r.kind == "arrangement"]
        parts = [f"/materials/{arrangement_id}-{slug}/parts/{n}" for n in range(1, 8)]
        arrangement_urls = [f"/materials/{r.id}-{r.slug}" for r in arrangements] + parts
        writable = [r.id for r in rows if r.owner_id == teacher_id and r.kind == "lesson"]
        terms = vocabularies()
        languages = sorted(set(db.session.scalars(select(MaterialVersion.language).distinct())))
        db.session.remove()
        db.engine.dispose()
    queries = [line.split("\t")[0] for line in
               (args.corpus / "queries-dev.tsv").read_text().splitlines()[1:] if line.strip()]
    facets = ([("subject", code) for code in terms["subject"]]
              + [("level", code) for code in terms["level"]]
              + [("language", code) for code in languages])
    search = [f"/search?{urllib.parse.urlencode([('q', rng.choice(queries)), rng.choice(facets)])}"
              for _ in range(400)]
    config = {
        "SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": SECRET,
        "STORAGE_DIR": str(tmp / "files"), "INDEX_DIR": str(tmp / "index"),
        "PASSWORD_HASHER": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        "RATELIMIT_STORAGE_URI": "memory://",
        "SEARCH_BACKGROUND_DRAIN": False, "USAGE_WRITE_AT_EXIT": False,
    }
    traffic = Traffic({"search": search, "material": materials,
                       "arrangement": arrangement_urls},
                      "bench-teacher@example.org", writable)
    return config, traffic, published


@contextmanager
def seeded(args: argparse.Namespace) -> Iterator[tuple[Path, dict[str, Any], Traffic, int]]:
    """The seeded portal: fresh and thrown away, kept (``--keep``) or kept before
    (``--reuse``, upgraded to the current migrations)."""
    from _common import database_uris, workdir

    if args.reuse is not None:
        tmp = args.reuse.resolve()
        kept = json.loads((tmp / "seed.json").read_text())
        _upgrade(tmp, kept["config"])
        yield tmp, kept["config"], Traffic(**kept["traffic"]), kept["published"]
        return
    if args.keep is not None:
        tmp = args.keep.resolve()
        tmp.mkdir(parents=True, exist_ok=True)
        uri = _kept_database(args.database_uri, tmp.name)
        config, traffic, published = _seed(args, tmp, uri)
        (tmp / "seed.json").write_text(json.dumps({
            "config": config, "traffic": traffic.__dict__, "published": published}))
        yield tmp, config, traffic, published
        return
    with workdir(None, "oer-load-") as tmp, \
            database_uris(args.database_uri, tmp, ["load"]) as (uri,):
        config, traffic, published = _seed(args, tmp, uri)
        yield tmp, config, traffic, published


def _kept_database(server_uri: str, name: str) -> str:
    """A new database ``oer_load_<name>`` on the server, left after the run."""
    from sqlalchemy import create_engine, make_url, text

    database = "oer_load_" + re.sub(r"\W", "_", name)
    admin = create_engine(server_uri, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return make_url(server_uri).set(database=database).render_as_string(hide_password=False)


def _upgrade(tmp: Path, config: dict[str, Any]) -> None:
    """Bring a kept database to the current migrations (``flask db upgrade``)."""
    from flask_migrate import upgrade

    from oer_portal import create_app
    from oer_portal.extensions import db

    os.environ["OER_ENV"] = "development"
    os.environ["OER_INSTANCE_PATH"] = str(tmp / "instance")
    app = create_app(config)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    _analyze(app)


def _analyze(app: Any) -> None:
    """Give the planner its statistics, as autovacuum would on a production server soon
    after the seed's bulk inserts (this machine's server runs without it: unanalysed, a
    material page's remix query scanned all 100,000 materials, 20 ms a page)."""
    from oer_portal.extensions import db

    with app.app_context(), db.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
    with app.app_context():
        db.engine.dispose()


def _advance_sequences(app: Any) -> None:
    """The Core inserts chose their ids: move every id sequence past them, so the services
    that write next (the arrangement, the teacher's versions) get fresh ones."""
    from sqlalchemy import func, select

    from oer_portal.extensions import db

    with app.app_context(), db.engine.begin() as connection:
        for table in db.metadata.sorted_tables:
            if "id" in table.c:  # setval of no sequence (NULL) is NULL, not an error
                connection.execute(select(func.setval(
                    func.pg_get_serial_sequence(table.name, "id"),
                    func.coalesce(select(func.max(table.c.id)).scalar_subquery(), 0) + 1,
                    False)))


@contextmanager
def gunicorn(config: dict[str, Any], tmp: Path, factory: str, port: int, logs: Path
             ) -> Iterator[subprocess.Popen[bytes]]:
    """``gunicorn -w 2`` serving ``_load_app:<factory>()`` on 127.0.0.1:``port``, stopped
    (by its own process id) at the end."""
    env = {**os.environ, "BENCH_LOAD_CONFIG": json.dumps(config), "OER_ENV": "development",
           "OER_INSTANCE_PATH": str(tmp / "instance"),
           "PYTHONPATH": os.pathsep.join([str(REPO / "bench"), str(REPO)])}
    logs.mkdir(parents=True, exist_ok=True)
    log = (logs / f"gunicorn-{factory}.log").open("wb")
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--timeout", "120", f"_load_app:{factory}()"], env=env, cwd=REPO / "bench",
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn ({factory}) did not start: see "
                                       f"{logs / f'gunicorn-{factory}.log'}") from None
                time.sleep(0.3)
        yield server
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def worker_rss_mb(master: int) -> list[float]:
    """VmRSS of the gunicorn master's children (its workers), in MB."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def run_phase(plan: dict[str, Any]) -> dict[str, Any]:
    """One phase in the driver process (so the servers and the load share no interpreter)."""
    result = subprocess.run([sys.executable, __file__, "--drive", json.dumps(plan)],  # noqa: S603
                            capture_output=True, check=True, timeout=plan["seconds"] + 300)
    return dict(json.loads(result.stdout))


def _pct(values: list[float], p: float) -> float:
    from _common import percentile

    return percentile(values, p) if values else 0.0


def main(argv: list[str] | None = None) -> None:
    sys.path.insert(0, str(REPO / "bench"))
    sys.path.insert(1, str(REPO))
    from _common import add_corpus_option, progress

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_corpus_option(parser)
    parser.add_argument("--corpus-limit", type=int, default=None, metavar="N",
                        help="import only the first N corpus materials (default: all)")
    parser.add_argument("--materials", type=int, default=3000,
                        help="published materials in all: the corpus, then synthetic lessons "
                             "(default 3000; 100000 for the memory target)")
    parser.add_argument("--database-uri", default=DEFAULT_SERVER,
                        help=f"the PostgreSQL server (default {DEFAULT_SERVER})")
    parser.add_argument("--duration", type=float, default=30, help="seconds of the mix")
    parser.add_argument("--phase", type=float, default=8,
                        help="seconds of each page alone, real and ceiling each (default 8)")
    parser.add_argument("--concurrency", type=int, default=4,
                        help="driver threads (default 4)")
    parser.add_argument("--logs", type=Path, default=None, metavar="DIR",
                        help="keep the servers' logs in DIR (default: removed with the run)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="seed in DIR (new or empty) and keep it, with its database, to "
                             "measure again later with --reuse (at 100,000 the seeding is "
                             "most of the run)")
    parser.add_argument("--reuse", type=Path, default=None, metavar="DIR",
                        help="measure a portal kept with --keep again (its database is "
                             "upgraded to the current migrations; --materials is ignored)")
    args = parser.parse_args(argv)

    with seeded(args) as (tmp, config, traffic, published):
        real_port, ceiling_port = _free_port(), _free_port()
        common = {"concurrency": args.concurrency, "writer": traffic.writer,
                  "writable": traffic.writable}
        logs = args.logs or tmp
        with gunicorn(config, tmp, "real", real_port, logs) as real, \
                gunicorn(config, tmp, "ceiling", ceiling_port, logs):
            progress("warm-up ...")
            run_phase({**common, "port": real_port, "seconds": 5, "kinds": MIX,
                       "urls": traffic.urls, "seed": 1})
            progress(f"mix for {args.duration:.0f} s ...")
            mix = run_phase({**common, "port": real_port, "seconds": args.duration,
                             "kinds": MIX, "urls": traffic.urls, "seed": 2})
            pages: dict[str, tuple[float, float]] = {}
            for page in ("search", "material", "arrangement"):
                urls = {page: traffic.urls[page][:PHASE_URLS]}
                for port, prefix in ((real_port, ""), (ceiling_port, "/ceiling")):
                    # Every address a few times first: the ceiling works each out once
                    # per worker, the real portal warms its caches.
                    run_phase({**common, "port": port, "prefix": prefix, "seconds": 3,
                               "kinds": {page: 1}, "urls": urls, "seed": 3})
                progress(f"{page} alone, real and ceiling, {args.phase:.0f} s each ...")
                rates = []
                for port, prefix in ((real_port, ""), (ceiling_port, "/ceiling")):
                    result = run_phase({**common, "port": port, "prefix": prefix,
                                        "seconds": args.phase, "kinds": {page: 1},
                                        "urls": urls, "seed": 4})
                    done = len(result["latencies"].get(page, []))
                    if result["errors"]:
                        mix["errors"].update({f"{page} alone ({prefix or 'real'}): {k}": v
                                              for k, v in result["errors"].items()})
                    rates.append(done / result["seconds"])
                pages[page] = (rates[0], rates[1])
            rss = worker_rss_mb(real.pid)

    latencies: dict[str, list[float]] = mix["latencies"]
    total = sum(len(v) for v in latencies.values())
    error_count = sum(v for v in mix["errors"].values())
    print()
    print(f"Load benchmark: gunicorn -w 2 on PostgreSQL, {published} published materials, "
          f"{args.concurrency} client threads")
    print(f"Mix ({', '.join(f'{k} {v} %' for k, v in MIX.items())}), {mix['seconds']:.0f} s: "
          f"{total / mix['seconds']:.1f} requests/s, errors: {error_count}")
    for message, count in mix["errors"].items():
        print(f"  ERROR {message}: {count}")
    print(f"  {'endpoint':<14}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'p99 ms':>9}")
    for endpoint in ("search", "material", "arrangement", "edit form", "write"):
        values = latencies.get(endpoint, [])
        print(f"  {endpoint:<14}{len(values):>9}{len(values) / mix['seconds']:>8.1f}"
              f"{_pct(values, 50) * 1000:>9.1f}{_pct(values, 95) * 1000:>9.1f}"
              f"{_pct(values, 99) * 1000:>9.1f}")
    print("Each page alone, against its ceiling (the same templates from pre-fetched data, "
          "same stack):")
    print(f"  {'page':<14}{'req/s':>8}{'ceiling':>9}{'fraction':>10}  (target >= 0.5)")
    for page, (rate, ceiling) in pages.items():
        print(f"  {page:<14}{rate:>8.1f}{ceiling:>9.1f}{rate / ceiling:>10.2f}")
    print(f"Worker RSS after the run ({published} materials): "
          f"{', '.join(f'{size:.0f} MB' for size in rss)} (target <= 600 MB at 100,000)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--drive":
        print(json.dumps(drive(json.loads(sys.argv[2]))))
    else:
        main()
