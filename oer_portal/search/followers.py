"""Index replicas: each machine's index follows the database outbox and says how far it got.

``flask search follow`` runs :func:`follow_forever` beside the portal on every machine that
keeps its own index.  Each loop of a follower

1. *registers* it in ``search_followers`` (name, the position its index had applied, a
   heartbeat) and checks that no row it still needs was pruned;
2. *drains* the outbox into its index (``indexer.drain``: the position stored in the index
   itself stays the truth for what the index holds);
3. records the new position and *prunes*: outbox rows every live follower has applied are
   deleted, and a follower silent for longer than ``SEARCH_FOLLOWER_TIMEOUT_SECONDS`` is
   dropped from the table first, so that it no longer holds pruning back.

Pruning is done by followers only.  Where no follower is registered (the embedded server's
in-request and background drains, ``search worker``) nothing is ever deleted, exactly as
before replicas existed: an index that does not follow cannot say what it still needs.  A
deployment that runs followers must therefore run one for every index it keeps.

A follower that was dropped, or whose index was left behind, can come back to an outbox
that no longer reaches back to its position.  ``search_outbox_horizon`` remembers the
highest id pruned; a follower whose position is below it rebuilds its index
(``indexer.reindex``) instead of silently missing those changes.  The position it compares
is the lowest it may still depend on: the one it last registered (kept in memory and, for
a restart, in ``follower.json`` beside the index) or the index's own, whichever is lower —
while a follower was stopped, the web processes' drains may have carried its index across
pruned rows.

The follower's bookkeeping transactions are serialised (a transaction-scoped advisory lock
on PostgreSQL; SQLite's writing transactions start with ``BEGIN IMMEDIATE`` and are serial
anyway), so a follower registering can never race a prune that drops the rows it needs.
Pruning deletes the rows *below* the lowest position and keeps the one at it, so the newest
row always stays: SQLite would otherwise hand out used ids again.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import String, delete, func, select, text, update
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from oer_portal.core import public_state
from oer_portal.core.outbox import OutboxEntry
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.search import indexer

log = logging.getLogger(__name__)

#: The key of PostgreSQL's transaction-scoped advisory lock that serialises registration
#: and pruning ("oer_sfol" in ASCII).
LOCK_KEY = 0x6F65725F73666F6C
#: Beside the index (not inside a generation, which a rebuild replaces): the position the
#: follower last registered, for the check after a restart.
POSITION_FILE = "follower.json"
NAME_LENGTH = 255


class SearchFollower(db.Model):
    """A machine's index following the outbox."""

    __tablename__ = "search_followers"

    #: ``hostname:index directory`` unless ``--name`` says otherwise.
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    #: The last outbox id its index had applied when it last reported.
    position: Mapped[int] = mapped_column()
    #: Its last heartbeat: once every loop.
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxHorizon(db.Model):
    """One row (``id`` 1), written by the first prune: outbox rows up to ``pruned_through``
    may be gone, so an index below it cannot catch up by draining."""

    __tablename__ = "search_outbox_horizon"

    id: Mapped[int] = mapped_column(primary_key=True)
    pruned_through: Mapped[int] = mapped_column()
    pruned_at: Mapped[datetime] = mapped_column(UTCDateTime)


def default_name() -> str:
    """``hostname:/absolute/index/dir``: one follower per index per machine."""
    name = f"{socket.gethostname()}:{indexer.index_root().resolve()}"
    return name[-NAME_LENGTH:]


def timeout() -> timedelta:
    return timedelta(seconds=current_app.config["SEARCH_FOLLOWER_TIMEOUT_SECONDS"])


def clock() -> datetime:
    """Now, by the database's clock on PostgreSQL: heartbeats written by one machine are
    judged by another, so their clocks must not differ (SQLite has one machine anyway)."""
    if db.session.get_bind().dialect.name == "postgresql":
        now = db.session.scalar(select(func.now()))
        if now is not None:
            return now
    return utcnow()


def _serialise() -> None:
    """Make this transaction the only one registering or pruning until it ends."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def pruned_through() -> int:
    """The highest outbox id that may have been pruned (0: nothing was ever pruned)."""
    return db.session.scalar(select(OutboxHorizon.pruned_through)
                             .where(OutboxHorizon.id == 1)) or 0


def register(name: str, position: int, since: int, now: datetime | None = None) -> bool:
    """Record the heartbeat of follower ``name`` whose index is at ``position``; ``since``
    is the lowest position it may still depend on.  Returns whether rows it needs were
    pruned: then its index must be rebuilt, and until then it holds pruning at the
    horizon."""
    now = now or clock()
    _serialise()
    horizon = pruned_through()
    gap = since < horizon
    recorded = horizon if gap else position
    follower = db.session.get(SearchFollower, name)
    if follower is None:
        db.session.add(SearchFollower(name=name, position=recorded, last_seen=now,
                                      registered_at=now))
    else:
        follower.position, follower.last_seen = recorded, now
    current_uow().commit()
    return gap


def report(name: str, position: int, now: datetime | None = None) -> int:
    """Record that follower ``name`` applied everything up to ``position``, then prune;
    returns the rows pruned.  A follower that was dropped meanwhile is not registered
    again here: its next :func:`register` checks what it missed."""
    now = now or clock()
    _serialise()
    db.session.execute(update(SearchFollower).where(SearchFollower.name == name)
                       .values(position=position, last_seen=now))
    return _prune(now)


def prune(now: datetime | None = None) -> int:
    """Drop silent followers, then delete the outbox rows every live follower has applied;
    returns how many rows went."""
    _serialise()
    return _prune(now or clock())


def _prune(now: datetime) -> int:
    silent = db.session.scalars(select(SearchFollower.name).where(
        SearchFollower.last_seen < now - timeout())).all()
    if silent:
        log.warning("search followers silent for longer than %s dropped: %s", timeout(),
                    ", ".join(silent))
        db.session.execute(delete(SearchFollower).where(SearchFollower.name.in_(silent)))
    lowest = db.session.scalar(select(func.min(SearchFollower.position)))
    horizon = pruned_through()
    if lowest is None or lowest - 1 <= horizon:
        current_uow().commit()
        return 0
    pruned = db.session.execute(delete(OutboxEntry).where(OutboxEntry.id < lowest)).rowcount
    row = db.session.get(OutboxHorizon, 1)
    if row is None:
        db.session.add(OutboxHorizon(id=1, pruned_through=lowest - 1, pruned_at=now))
    else:
        row.pruned_through, row.pruned_at = lowest - 1, now
    current_uow().commit()
    return pruned or 0


def _live(now: datetime | None = None) -> ColumnElement[bool]:
    return SearchFollower.last_seen >= (now or clock()) - timeout()


def lags(now: datetime | None = None) -> dict[str, int]:
    """Outbox entries each live follower has not applied yet (for the metrics endpoint)."""
    rows = db.session.execute(
        select(SearchFollower.name, func.count(OutboxEntry.id))
        .outerjoin(OutboxEntry, OutboxEntry.id > SearchFollower.position)
        .where(_live(now)).group_by(SearchFollower.name).order_by(SearchFollower.name)).all()
    return {name: count for name, count in rows}


def followers(now: datetime | None = None) -> list[tuple[SearchFollower, bool]]:
    """Every registered follower, and whether it is live."""
    cutoff = (now or clock()) - timeout()
    rows = db.session.scalars(select(SearchFollower).order_by(SearchFollower.name)).all()
    return [(row, row.last_seen >= cutoff) for row in rows]


def _remembered(name: str) -> int | None:
    try:
        stored = json.loads((indexer.index_root() / POSITION_FILE).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("name") != name:
        return None
    position = stored.get("position")
    return position if isinstance(position, int) else None


def _remember(name: str, position: int) -> None:
    root = indexer.index_root()
    temporary = root / f".{POSITION_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps({"name": name, "position": position}))
    os.replace(temporary, root / POSITION_FILE)


@dataclass(frozen=True)
class Step:
    applied: int  # outbox entries drained into the index
    rebuilt: bool  # rows it needed were pruned: the index was rebuilt
    pruned: int  # outbox rows deleted


class IndexFollower:
    """One index following the outbox; :meth:`step` is one loop."""

    def __init__(self, app: Flask, name: str | None = None) -> None:
        self.app = app
        with app.app_context():
            self.name = name or default_name()
        #: The lowest position the index may still depend on (None: not known yet).
        self.since: int | None = None
        self.rebuilds = 0

    def step(self, lock_timeout: float = 1.0, now: datetime | None = None) -> Step:
        with self.app.app_context():
            position = indexer.applied_position(indexer.open_index())
            if self.since is None:
                self.since = min(position, self._remembered_position(position))
            rebuilt = register(self.name, position, self.since, now)
            if rebuilt:
                log.warning("search follower %s: outbox rows after %d were pruned while it was"
                            " away; rebuilding its index", self.name, self.since)
                indexer.reindex()
                self.rebuilds += 1
                position = indexer.applied_position(indexer.open_index())
                register(self.name, position, position, now)
            self.since = position
            _remember(self.name, position)
            applied = indexer.drain(lock_timeout=lock_timeout).applied
            position = indexer.applied_position(indexer.open_index())
            pruned = report(self.name, position, now)
            self.since = position
            _remember(self.name, position)
            return Step(applied, rebuilt, pruned)

    def _remembered_position(self, position: int) -> int:
        """What the follower last registered before a restart: the file beside the index,
        or its row if it is still registered."""
        remembered = _remembered(self.name)
        row = db.session.get(SearchFollower, self.name)
        db.session.rollback()
        known = [p for p in (remembered, row.position if row else None) if p is not None]
        return min(known, default=position)


def follow_forever(app: Flask, name: str | None, interval: float,
                   stop: threading.Event | None = None) -> IndexFollower:
    """Follow the outbox every ``interval`` seconds until ``stop`` is set (SIGTERM and
    SIGINT set it when this runs in the main thread)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda _signum, _frame: stop.set())
    follower = IndexFollower(app, name)
    log.info("search follower %s following the outbox every %.1f s", follower.name, interval)
    while not stop.is_set():
        try:
            follower.step(lock_timeout=interval)
        except Exception:
            log.exception("search follower %s: loop failed; retrying in %.1f s",
                          follower.name, interval)
            with app.app_context():
                db.session.rollback()
        stop.wait(interval)
    return follower

public_state.never_shown(SearchFollower)
public_state.never_shown(OutboxHorizon)
