"""What every benchmark here needs and none of them measures.

Run the benchmarks as ``python bench/<name>.py``; this module is imported by them, not run.

A benchmark script should read as what it measures; the set-up and the arithmetic around it
live here, once, so that the benchmarks set up a portal and import the corpus the same way and
a change to how that is done is made in one place:

* the command line: one parser shape, ``--corpus`` and ``--database-uri``;
* the portal: fresh databases (SQLite files or throwaway PostgreSQL ones), a portal migrated
  with the real Alembic migrations, a working folder, the benchmark's users;
* the corpus: its material folders, a subset of them as symlinks, the real import as
  ``flask materials import --as <admin>`` runs it;
* figures: progress lines on stderr, SQL statement counts, percentiles, peak and current RSS,
  folder sizes and the formatting of times, sizes and ratios.

The synthetic lessons of the search benchmark are in ``_generator.py``.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from sqlalchemy import Engine, create_engine, event, make_url, text

from oer_portal import create_app

if TYPE_CHECKING:
    from oer_portal.accounts.models import User

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus"

ADMIN_EMAIL = "bench-admin@example.org"
#: Every benchmark user's password.
PASSWORD = "a benchmark password that is long enough"  # noqa: S105
#: Still argon2id, but cheap (as in the test suite).
FAST_HASHER = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


# -- the command line --------------------------------------------------------------------------


def benchmark_parser(doc: str, requests: int | None = None) -> argparse.ArgumentParser:
    """A parser described by the first paragraph of the benchmark's docstring (``--help``
    shows the rest as written); with ``requests``, the options every page benchmark shares:
    ``--requests`` and ``--database-uri``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    if requests is not None:
        parser.add_argument("--requests", type=int, default=requests,
                            help=f"timed requests per page, after warm-up (default {requests})")
        add_database_option(parser)
    return parser


def add_database_option(parser: argparse.ArgumentParser) -> None:
    """``--database-uri``: the PostgreSQL server ``database_uris`` creates databases on."""
    parser.add_argument("--database-uri", default=None, metavar="URI",
                        help="a PostgreSQL server to run against (fresh databases are created "
                             "on it and dropped); default: temporary SQLite files")


def add_corpus_option(parser: argparse.ArgumentParser) -> None:
    """``--corpus``: the shared corpus folder, ``../shared/corpus`` beside the repository."""
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help=f"the shared corpus folder (default: {DEFAULT_CORPUS})")


def corpus_materials(corpus: Path) -> Path:
    """``<corpus>/materials``, or the end of the run with a word on ``--corpus``."""
    materials = corpus / "materials"
    if not materials.is_dir():
        sys.exit(f"No corpus at {materials}: pass --corpus <folder containing materials/> "
                 f"(default {DEFAULT_CORPUS}).")
    return materials


# -- the portal --------------------------------------------------------------------------------


@contextmanager
def database_uris(server_uri: str | None, tmp: Path, names: list[str]) -> Iterator[list[str]]:
    """One fresh database per name: SQLite files in ``tmp``, or throwaway PostgreSQL
    databases on ``server_uri`` that are dropped afterwards."""
    if server_uri is None:
        yield [f"sqlite:///{tmp / f'{name}.db'}" for name in names]
        return
    url = make_url(server_uri)
    if not url.drivername.startswith("postgresql"):
        sys.exit(f"--database-uri must name a PostgreSQL server, not {url.drivername!r} "
                 "(SQLite is the default and needs no option).")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    created: list[str] = []
    try:
        with admin.connect() as connection:
            for name in names:
                database = f"oer_bench_{name}_{uuid.uuid4().hex[:8]}"
                connection.execute(text(f'CREATE DATABASE "{database}"'))
                created.append(database)
        yield [url.set(database=d).render_as_string(hide_password=False) for d in created]
    finally:
        with admin.connect() as connection:
            for database in created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def build_portal(tmp: Path, uri: str, name: str = "") -> Flask:
    """A portal on ``uri`` with its instance folder, file store and index under ``tmp``
    (suffixed with ``-name`` when several portals share ``tmp``), migrated to head with the
    real Alembic migrations."""
    from flask_migrate import upgrade

    suffix = f"-{name}" if name else ""
    os.environ["OER_ENV"] = "development"
    os.environ["OER_INSTANCE_PATH"] = str(tmp / f"instance{suffix}")
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": uri,
        "STORAGE_DIR": str(tmp / f"files{suffix}"),
        "INDEX_DIR": str(tmp / f"index{suffix}"),
        "PASSWORD_HASHER": FAST_HASHER,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SEARCH_BACKGROUND_DRAIN": False,
        # The benchmark's database is removed before the interpreter exits: the usage
        # counts its page views make are not written then.
        "USAGE_WRITE_AT_EXIT": False,
    })
    with app.app_context():
        upgrade()
    return app


@contextmanager
def workdir(kept: Path | None, prefix: str) -> Iterator[Path]:
    """The folder a benchmark builds in: ``kept`` (made if missing, left afterwards, so a
    build can be measured again), or a temporary one named ``prefix…`` that is removed."""
    if kept is not None:
        kept.mkdir(parents=True, exist_ok=True)
        yield kept.resolve()
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as name:
        yield Path(name)


def create_admin() -> User:
    """The benchmark's admin (``ADMIN_EMAIL``), created with ``accounts.service.create_user``
    and committed; call it in an app context."""
    from oer_portal.accounts.models import Role
    from oer_portal.accounts.service import create_user
    from oer_portal.core.uow import current_uow

    admin = create_user(ADMIN_EMAIL, "Bench Admin", PASSWORD, [Role.ADMIN])
    current_uow().commit()
    return admin


def create_teacher_and_moderator() -> tuple[User, User]:
    """A teacher who writes the materials and a moderator who publishes them, not committed
    (the caller commits with its materials); call it in an app context."""
    from oer_portal.accounts.models import Role
    from oer_portal.accounts.service import create_user

    teacher = create_user("bench-teacher@example.org", "Anne de Vries", PASSWORD,
                          [Role.TEACHER])
    moderator = create_user("bench-moderator@example.org", "Bram Jansen", PASSWORD,
                            [Role.MODERATOR])
    return teacher, moderator


# -- the corpus --------------------------------------------------------------------------------


def material_folders(materials: Path, limit: int | None = None) -> list[Path]:
    """The material folders (those with a ``meta.json``) in the order
    ``interchange.discover`` visits them; the first ``limit`` with a limit."""
    folders = sorted(p for p in materials.iterdir() if (p / "meta.json").is_file())
    return folders[:limit] if limit else folders


def import_root(materials: Path, folders: list[Path], tmp: Path) -> Path:
    """The folder handed to ``import_path``: the corpus itself, or (for the first N
    materials) a folder of symlinks to them in ``tmp``, so the corpus is never copied."""
    if len(folders) == len(material_folders(materials)):
        return materials
    subset = tmp / "corpus-subset"
    subset.mkdir()
    for folder in folders:
        (subset / folder.name).symlink_to(folder.resolve(), target_is_directory=True)
    return subset


@dataclass
class CorpusImport:
    """What the real import of the corpus did, and how long it and its index drain took."""

    seconds: float
    #: The drain of the search outbox when ``deferred()`` ended.
    drain_seconds: float
    created: int
    updated: int
    unchanged: int
    failed: list[tuple[str, str]]
    admin_id: int


def import_corpus(app: Flask, root: Path, total: int, label: str) -> CorpusImport:
    """The material folders under ``root`` imported as ``flask materials import --as
    <admin>`` does it (``materials.interchange.import_path``, one commit per material,
    published at once) by a new admin, inside ``core.outbox.deferred()``, so that the search
    index is filled by one drain at the end; the import and that drain are timed apart (the
    admin's creation is in neither)."""
    from oer_portal.core.outbox import deferred
    from oer_portal.core.uow import current_uow
    from oer_portal.materials.interchange import import_path

    with app.app_context():
        uow = current_uow()
        admin = create_admin()
        admin_id = admin.id
        start = time.perf_counter()
        with deferred():
            summary = import_path(root, admin, commit=uow.commit, rollback=uow.rollback,
                                  publisher=admin, progress=progress_printer(label, total))
            seconds = time.perf_counter() - start
        drain_seconds = time.perf_counter() - start - seconds
    return CorpusImport(seconds, drain_seconds, summary.created, summary.updated,
                        summary.unchanged, summary.failed, admin_id)


# -- progress ----------------------------------------------------------------------------------


def progress(message: str) -> None:
    """A progress line on stderr (the results go to stdout)."""
    print(f"  {message}", file=sys.stderr, flush=True)


def progress_printer(label: str, total: int) -> Callable[[str], None]:
    """A progress callback for ``import_path``: a line on stderr every 200 materials."""
    done = 0
    start = time.perf_counter()

    def report(_name: str) -> None:
        nonlocal done
        done += 1
        if done % 200 == 0 or done == total:
            print(f"  {label}: {done}/{total} ({time.perf_counter() - start:.1f} s)",
                  file=sys.stderr, flush=True)

    return report


# -- figures -----------------------------------------------------------------------------------


class StatementCounter:
    """Counts SQL statements sent on an engine (``before_cursor_execute``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0

    def _count(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile: the smallest value with at least ``p`` % of the
    values at or below it (a value that was measured, never one between two)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def peak_rss_mb() -> float:
    """The process's peak resident set size so far: VmHWM on Linux (``ru_maxrss`` is carried
    over from the parent across fork and exec, so a child would report the benchmark's),
    else ``ru_maxrss`` (macOS reports bytes)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def memory_now() -> str:
    """Current resident memory split into anonymous (heap) and file-backed pages (Whoosh
    reads segments through mmap, so open index files count as RSS); Linux only."""
    try:
        fields = dict(line.split(":", 1) for line in
                      Path("/proc/self/status").read_text().splitlines() if ":" in line)
    except OSError:
        return ""
    values = {key: int(fields[key].split()[0]) / 1024 for key in ("RssAnon", "RssFile")
              if key in fields}
    return (f" (now {values['RssAnon']:.0f} anon + {values['RssFile']:.0f} file-backed)"
            if len(values) == 2 else "")


def folder_size(path: Path) -> int:
    """The bytes of all files below ``path``."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def ratio(a: float, b: float) -> str:
    """``a / b`` as ``1.23x``, or ``-`` when there is nothing to divide by."""
    return f"{a / b:.2f}x" if b else "-"
