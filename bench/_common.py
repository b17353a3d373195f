"""Pieces both benchmarks use (run them as ``python bench/<name>.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event


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
