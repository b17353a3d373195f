"""Engine set-up: SQLite pragmas and write transactions that take the lock up front.

SQLite's default *deferred* transactions let two processes both read, then both try to
write; one of them loses its update even with a busy timeout (measured in RECIPES.md).  A
transaction that intends to write therefore starts with ``BEGIN IMMEDIATE``, which waits (up
to the busy timeout) for the single writer slot before it reads anything.  Read-only requests
(GET, HEAD, OPTIONS) keep deferred transactions so they never queue behind writers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, event

#: Whether the transaction about to begin may write.  CLI commands and tests write by default.
_write_intent: ContextVar[bool] = ContextVar("write_intent", default=True)


@contextmanager
def read_only() -> Iterator[None]:
    """Run the block's transactions as deferred (readers never wait for the writer slot)."""
    token = _write_intent.set(False)
    try:
        yield
    finally:
        _write_intent.reset(token)


def set_write_intent(writes: bool) -> Any:
    """Declare whether the current request writes; the token undoes it."""
    return _write_intent.set(writes)


def reset_write_intent(token: Any) -> None:
    _write_intent.reset(token)


def configure_engine(engine: Engine, busy_timeout_seconds: float) -> None:
    """Install the SQLite pragmas and transaction mode on ``engine`` (no-op elsewhere)."""
    if engine.dialect.name != "sqlite":
        return
    timeout_ms = int(busy_timeout_seconds * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that the "begin" hook decides.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {timeout_ms}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
