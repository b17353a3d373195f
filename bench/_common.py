"""Pieces both benchmarks use (run them as ``python bench/<name>.py``)."""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, create_engine, event, make_url, text

from oer_portal import create_app


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


def add_database_option(parser: argparse.ArgumentParser) -> None:
    """``--database-uri``: the PostgreSQL server ``database_uris`` creates databases on."""
    parser.add_argument("--database-uri", default=None, metavar="URI",
                        help="a PostgreSQL server to run against (fresh databases are created "
                             "on it and dropped); default: temporary SQLite files")


def benchmark_parser(doc: str, requests: int) -> argparse.ArgumentParser:
    """The options every page benchmark shares: ``--requests`` and ``--database-uri``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=requests,
                        help=f"timed requests per page, after warm-up (default {requests})")
    add_database_option(parser)
    return parser


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


FAST_HASHER = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


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
    })
    with app.app_context():
        upgrade()
    return app


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
