"""Counting uses in memory and writing the sums now and then.

A page view must not add a write to its request's transaction (every reader would queue for
SQLite's single writer slot).  So each process keeps a dictionary ``(material, UTC day,
kind) -> n`` behind a lock and writes it out in one transaction of its own, with one upsert
statement (``INSERT ... ON CONFLICT DO UPDATE SET count = count + excluded.count``, on
SQLite and PostgreSQL alike) per 500 rows: ``USAGE_FLUSH_SECONDS`` (default 10) after the
first count that is not written yet, by a timer thread (``timer_thread``), so a quiet site
writes its last view too; by the first request that ends more than that interval after the
last write; and when the process exits (``atexit``).

**What a crash loses:** the counts of that one process since its last write: at most
``USAGE_FLUSH_SECONDS`` of its uses (plus those counted while a write is under way), on a
busy site and a quiet one alike, because the timer starts with the first unwritten count.
A write that fails (the database busy beyond its timeout) puts its counts back and the
timer tries again an interval later, so an error loses nothing; only the process dying
does.  ``tests/integration/test_usage_counts.py`` proves the restart, the loss bound and
the timer.

Each app has its own counter (``app.extensions["usage"]``), so an app per test counts alone;
tests run without the timer (a late write would land in the next test's database).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from oer_portal.core.db import reset_write_intent, set_write_intent
from oer_portal.materials.models import Material
from oer_portal.usage.models import UsageCount

log = logging.getLogger(__name__)

#: Seconds between writes, unless ``USAGE_FLUSH_SECONDS`` says otherwise.
DEFAULT_FLUSH_SECONDS = 10.0
#: Rows per upsert statement (SQLite allows 32,766 parameters; four per row).
ROWS_PER_STATEMENT = 500

Key = tuple[int, date, str]
#: Starts ``action`` after ``delay`` seconds, without waiting for it.
Schedule = Callable[[float, Callable[[], None]], None]


def utc_today() -> date:
    return datetime.now(UTC).date()


def timer_thread(delay: float, action: Callable[[], None]) -> None:
    """Run ``action`` in a daemon thread after ``delay`` seconds (the exit write, not the
    thread, writes what is left when the process ends)."""
    timer = threading.Timer(delay, action)
    timer.daemon = True
    timer.name = "usage-counts-write"
    timer.start()


class UsageCounter:
    """The uses of one process not written yet, and the writing of them."""

    def __init__(self, engine: Engine, interval: float = DEFAULT_FLUSH_SECONDS,
                 clock: Callable[[], float] = time.monotonic,
                 schedule: Schedule | None = None) -> None:
        self.engine = engine
        self.interval = interval
        self._clock = clock
        self._counts: dict[Key, int] = {}
        self._lock = threading.Lock()
        #: Held while writing, so two requests ending together do not both write.
        self._writing = threading.Lock()
        self._last_flush = clock()
        #: Starts the write an interval after the first unwritten count (``timer_thread``
        #: in production; ``None``: only requests and the exit write).
        self._schedule = schedule
        #: A scheduled write is waiting (one at a time).
        self._scheduled = False

    def add(self, material_id: int, kind: str, day: date | None = None, n: int = 1) -> None:
        """Count ``n`` uses (in memory only); the first unwritten one starts the timer."""
        key = (material_id, day or utc_today(), kind)
        with self._lock:
            self._counts[key] = self._counts.get(key, 0) + n
            start = self._claim_schedule()
        if start:
            self._start_timer()

    def _claim_schedule(self) -> bool:
        """Whether the caller is to start the timer (called holding ``_lock``)."""
        if self._schedule is None or self._scheduled or not self._counts:
            return False
        self._scheduled = True
        return True

    def _start_timer(self) -> None:
        schedule = self._schedule
        if schedule is None:  # _claim_timer said yes only with a scheduler
            return
        try:
            schedule(self.interval, self.write_scheduled)
        except Exception:  # no thread to be had: requests and the exit still write
            log.exception("usage counts: the timer could not be started")
            with self._lock:
                self._scheduled = False

    def write_scheduled(self) -> None:
        """The timer's write: everything not written yet; never raises.  What is left
        afterwards (counted meanwhile, or kept by a failed write) starts the timer again."""
        with self._lock:
            self._scheduled = False
        with self._writing:
            try:
                self._flush()
            except Exception:
                log.exception("usage counts could not be written; kept for the next write")
        with self._lock:
            start = self._claim_schedule()
        if start:
            self._start_timer()

    def pending(self, material_id: int | None = None) -> dict[Key, int]:
        """The counts not written yet (of one material, or all)."""
        with self._lock:
            return {key: n for key, n in self._counts.items()
                    if material_id is None or key[0] == material_id}

    def due(self) -> bool:
        return self._clock() - self._last_flush >= self.interval

    def flush_if_due(self) -> None:
        """Write the counts when the interval has passed; never raises (a request's end)."""
        if not self.due() or not self._writing.acquire(blocking=False):
            return
        try:
            self._flush()
        except Exception:
            log.exception("usage counts could not be written; kept for the next write")
        finally:
            self._writing.release()

    def flush(self) -> int:
        """Write every count now; returns the rows written.  On an error the counts are
        kept for the next write and the error is raised."""
        with self._writing:
            return self._flush()

    def _flush(self) -> int:
        with self._lock:
            taken, self._counts = self._counts, {}
            self._last_flush = self._clock()
        if not taken:
            return 0
        try:
            return write(self.engine, taken)
        except Exception:
            with self._lock:
                for key, n in taken.items():
                    self._counts[key] = self._counts.get(key, 0) + n
            raise


def write(engine: Engine, counts: dict[Key, int]) -> int:
    """Add ``counts`` to the table in one transaction of its own (taking SQLite's writer
    slot up front); uses of materials deleted meanwhile are dropped."""
    token = set_write_intent(True)
    try:
        with engine.begin() as connection:
            existing = set(connection.scalars(select(Material.id).where(
                Material.id.in_({key[0] for key in counts}))))
            rows = [{"material_id": m, "day": d, "kind": k, "count": n}
                    for (m, d, k), n in sorted(counts.items()) if m in existing]
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                connection.execute(_upsert(engine.dialect.name,
                                           rows[start:start + ROWS_PER_STATEMENT]))
            return len(rows)
    finally:
        reset_write_intent(token)


def _upsert(dialect: str, rows: Iterable[dict[str, object]]) -> Insert:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = UsageCount.__table__
    statement = insert(table).values(list(rows))
    return statement.on_conflict_do_update(
        index_elements=[table.c.material_id, table.c.day, table.c.kind],
        set_={"count": table.c.count + statement.excluded.count})


def _flush_at_exit(reference: weakref.ReferenceType[UsageCounter]) -> None:
    counter = reference()
    if counter is None:
        return
    try:
        counter.flush()
    except Exception:
        log.exception("usage counts lost at exit")


def install(app_extensions: dict[str, object], engine: Engine, interval: float,
            at_exit: bool = True, timer: bool = True) -> UsageCounter:
    """A new counter for one app, written by a timer an interval after the first unwritten
    count and at exit too (held weakly: an app that is gone has nothing to write).  Tests
    pass ``at_exit=False`` and ``timer=False``: their databases are gone by the time the
    interpreter exits, and a timer's late write would land in the next test's database
    (``_flush_at_exit`` and the timer are proven on their own)."""
    counter = UsageCounter(engine, interval, schedule=timer_thread if timer else None)
    app_extensions["usage"] = counter
    if at_exit:
        atexit.register(_flush_at_exit, weakref.ref(counter))
    return counter
