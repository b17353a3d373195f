"""Index replicas: several indexes follow one database's outbox (``flask search follow``),
each registered with its position; the outbox is pruned only below the slowest live
follower, and a follower that comes back after rows it needed were pruned rebuilds.

Against the machine's real PostgreSQL (a database of this module's own, in the SQLite run
too), with real Whoosh indexes on disk; the last test checks the rules on the run's own
database (SQLite or PostgreSQL).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from sqlalchemy import func, select

from oer_portal import create_app
from oer_portal.core import outbox
from oer_portal.core.outbox import OutboxEntry
from oer_portal.core.types import utcnow
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.search import followers, indexer
from oer_portal.search.followers import IndexFollower, SearchFollower
from tests.conftest import (
    make_config,
    migrate_to_head,
    own_postgres_database,
    truncate_all,
)

ROOT = Path(__file__).resolve().parents[2]
#: How long a subprocess follower may take to catch up before the test gives up (a guard
#: against hanging, not a timing assertion: on a quiet machine it takes a second).
PATIENCE = 120
#: SEARCH_FOLLOWER_TIMEOUT_SECONDS's default, which these tests keep.
TIMEOUT = timedelta(seconds=600)


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's own migrated database on the PostgreSQL server."""
    with own_postgres_database() as uri:
        migrate_to_head(tmp_path_factory.mktemp("followers"), uri)
        yield uri


class Portal:
    """Apps on one database, each with an index directory of its own (one per machine)."""

    def __init__(self, uri: str, tmp_path: Path) -> None:
        self.uri, self.tmp_path = uri, tmp_path
        self.apps: list[Flask] = []
        self.publisher = self.machine("publisher")
        self.teacher_id, self.moderator_id = self._people()

    def machine(self, name: str) -> Flask:
        app = create_app(make_config(self.tmp_path, self.uri,
                                     INDEX_DIR=str(self.index_dir(name))))
        self.apps.append(app)
        return app

    def index_dir(self, name: str) -> Path:
        return self.tmp_path / f"index-{name}"

    def _people(self) -> tuple[int, int]:
        from oer_portal.accounts import service
        from oer_portal.accounts.models import Role

        with self.publisher.app_context():
            teacher = service.create_user("leraar@example.org", "Leraar", "x" * 12,
                                          [Role.TEACHER])
            moderator = service.create_user("moderator@example.org", "Moderator", "x" * 12,
                                            [Role.MODERATOR])
            current_uow().commit()
            return teacher.id, moderator.id

    def publish(self, count: int, prefix: str = "Les") -> list[int]:
        """``count`` materials, each published in a transaction of its own; the publisher's
        own index is not drained (the followers do the indexing)."""
        from oer_portal.accounts.models import User
        from oer_portal.materials import lifecycle, service
        from oer_portal.materials.metadata import VersionFields
        from oer_portal.materials.models import MaterialKind, MaterialVersion

        ids = []
        with self.publisher.app_context():
            for n in range(count):
                with outbox.deferred():
                    owner = db.session.get(User, self.teacher_id)
                    material = service.create_material(
                        owner, MaterialKind.LESSON,
                        VersionFields(title=f"{prefix} {n} over breuken",
                                      body=f"Tekst {n} over breuken en kommagetallen."))
                    db.session.flush()
                    lifecycle.publish(material, db.session.get(
                        MaterialVersion, material.latest_version_id),
                        db.session.get(User, self.moderator_id))
                    current_uow().commit()
                    ids.append(material.id)
                    g.outbox_pending = False
        return ids

    def withdraw(self, material_id: int) -> None:
        from oer_portal.accounts.models import User
        from oer_portal.materials import lifecycle
        from oer_portal.materials.models import Material

        with self.publisher.app_context(), outbox.deferred():
            lifecycle.withdraw(db.session.get(User, self.teacher_id),
                               db.session.get(Material, material_id), "Verouderd")
            current_uow().commit()
            g.outbox_pending = False

    def outbox_ids(self) -> list[int]:
        with self.publisher.app_context():
            ids = list(db.session.scalars(select(OutboxEntry.id).order_by(OutboxEntry.id)))
            db.session.rollback()
            return ids

    def newest(self) -> int:
        with self.publisher.app_context():
            newest = db.session.scalar(select(func.max(OutboxEntry.id))) or 0
            db.session.rollback()
            return newest

    def registered(self) -> dict[str, int]:
        with self.publisher.app_context():
            rows = db.session.execute(select(SearchFollower.name, SearchFollower.position))
            found = {name: position for name, position in rows}
            db.session.rollback()
            return found


@pytest.fixture()
def portal(postgres: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Portal]:
    monkeypatch.setenv("OER_INSTANCE_PATH", str(tmp_path / "instance"))
    built = Portal(postgres, tmp_path)
    yield built
    truncate_all(built.publisher)
    for app in built.apps:
        with app.app_context():
            db.engine.dispose()


def check(app: Flask) -> indexer.Drift:
    with app.app_context():
        return indexer.check()


def generation(index_dir: Path) -> str:
    """The index generation ``live`` points at: a rebuild makes a new one."""
    return os.readlink(index_dir / "live")


def _follow_command(name: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "oer_portal", "search", "follow",
            "--name", name, "--interval", "0.2"]


def _env(portal: Portal, name: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "LANG": "en_GB.UTF-8", "OER_ENV": "development",
            "OER_INSTANCE_PATH": str(portal.tmp_path / "instance"),
            "OER_SQLALCHEMY_DATABASE_URI": portal.uri,
            "OER_STORAGE_DIR": str(portal.tmp_path / "files"),
            "OER_INDEX_DIR": str(portal.index_dir(name)),
            "OER_HARVEST_INTERVAL_SECONDS": "0"}


def _wait_for(portal: Portal, children: list[Any], done: Any, what: str) -> None:
    """Until ``done(registered followers)`` holds (bounded by PATIENCE)."""
    stop = threading.Event()
    deadline = utcnow() + timedelta(seconds=PATIENCE)
    while utcnow() < deadline:
        for child in children:
            assert child.poll() is None, child.communicate()
        if done(portal.registered()):
            return
        stop.wait(0.1)
    pytest.fail(f"{what}: {portal.registered()}")


def _stop(children: list[subprocess.Popen[str]]) -> list[tuple[int, str]]:
    """SIGTERM each follower: it finishes its loop and exits."""
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    stopped = []
    for child in children:
        try:
            out, err = child.communicate(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
        stopped.append((child.returncode, out + err))
    return stopped


@pytest.mark.postgres
def test_two_followers_converge_while_materials_are_published(portal):
    """Two machines' follow loops (real ``flask search follow`` processes) keep their own
    indexes while another thread publishes and withdraws; both end up clean, and the
    outbox they both applied is pruned."""
    names = ["machine-a", "machine-b"]
    children = [subprocess.Popen(_follow_command(name), cwd=ROOT,
                                 env=_env(portal, name), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for name in names]
    errors: list[BaseException] = []

    def publish() -> None:
        try:
            ids = portal.publish(20, "Gelijktijdig")
            portal.withdraw(ids[3])
            portal.publish(5, "Daarna")
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)

    try:
        _wait_for(portal, children, lambda found: set(found) == set(names),
                  "the followers did not register")
        publisher = threading.Thread(target=publish)
        publisher.start()
        publisher.join()
        assert not errors, errors
        newest = portal.newest()
        _wait_for(portal, children,
                  lambda found: all(found.get(name) == newest for name in names),
                  f"the followers did not catch up with {newest}")
    finally:
        stopped = _stop(children)
    for name, (returncode, output) in zip(names, stopped, strict=True):
        assert returncode == 0 and "Traceback" not in output, output
        app = portal.machine(name)
        drift = check(app)
        assert drift.clean, (name, drift)
        with app.app_context(), indexer.open_index().searcher() as searcher:
            assert searcher.doc_count() == 24 + 1  # the published ones, the position
    # Both applied everything: everything below the newest row was pruned.
    assert portal.outbox_ids() == [portal.newest()]
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "oer_portal", "search", "check"], cwd=ROOT,
        env=_env(portal, "machine-b"), capture_output=True, text=True, timeout=PATIENCE,
        check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.postgres
def test_a_restarted_follower_catches_up_without_a_rebuild(portal):
    """Stopped while the other follower goes on and prunes, restarted within the timeout:
    it drains what it missed; its index generation is the same one (no rebuild)."""
    portal.publish(5)
    a = IndexFollower(portal.machine("a"), "a")
    b = IndexFollower(portal.machine("b"), "b")
    a.step(), b.step()
    a.step(), b.step()  # both reported the newest position: the outbox is pruned to it
    before = generation(portal.index_dir("b"))
    position = portal.registered()["b"]
    assert portal.outbox_ids() == [position]

    # b stops (its process ends); a goes on while materials are published.
    del b
    ids = portal.publish(7, "Terwijl b stil stond")
    portal.withdraw(ids[0])
    a.step(), a.step()
    # a cannot prune past b: b still holds its old position.
    missed = [i for i in portal.outbox_ids() if i > position]
    assert portal.outbox_ids() == [position, *missed]

    restarted = IndexFollower(portal.machine("b"), "b")
    step = restarted.step()
    assert not step.rebuilt and restarted.rebuilds == 0
    assert step.applied == len(missed)  # the publications and the withdrawal, drained
    assert generation(portal.index_dir("b")) == before
    assert check(portal.machine("b")).clean
    a.step()
    assert portal.outbox_ids() == [portal.newest()]


@pytest.mark.postgres
def test_pruning_waits_for_the_slowest_live_follower(portal):
    portal.publish(4)
    fast = IndexFollower(portal.machine("fast"), "fast")
    slow = IndexFollower(portal.machine("slow"), "slow")
    fast.step(), slow.step()
    slow_position = portal.registered()["slow"]
    ids = portal.publish(6, "Nieuw")
    portal.withdraw(ids[1])
    fast.step(), fast.step()
    assert portal.registered()["fast"] == portal.newest()
    # Every row the slow follower has not applied is kept; below it, pruned.
    kept = portal.outbox_ids()
    assert kept[0] == slow_position
    assert kept[-1] == portal.newest()
    with portal.publisher.app_context():
        assert followers.lags() == {"fast": 0, "slow": len(kept) - 1}
        db.session.rollback()
    slow.step()  # catches up, reports and prunes
    assert portal.outbox_ids() == [portal.newest()]
    assert check(portal.machine("slow")).clean and check(portal.machine("fast")).clean
    with portal.publisher.app_context():
        assert followers.lags() == {"fast": 0, "slow": 0}


@pytest.mark.postgres
def test_a_silent_follower_is_dropped_and_rebuilds_when_it_returns(portal):
    portal.publish(3)
    live = IndexFollower(portal.machine("live"), "live")
    silent = IndexFollower(portal.machine("silent"), "silent")
    live.step(), silent.step()
    silent_position = portal.registered()["silent"]
    ids = portal.publish(5, "Tijdens de stilte")
    portal.withdraw(ids[2])
    live.step()
    assert portal.outbox_ids()[0] == silent_position  # still held back by the silent one

    # Time passes beyond the timeout: the live follower's next loop drops the silent one
    # and prunes what it alone still needed.
    later = utcnow() + TIMEOUT + timedelta(seconds=1)
    live.step(now=later)
    live.step(now=later)
    assert set(portal.registered()) == {"live"}
    assert portal.outbox_ids() == [portal.newest()]
    with portal.publisher.app_context():
        assert followers.lags(now=later) == {"live": 0}
        db.session.rollback()

    # The silent follower returns (a restart: nothing in memory) to an outbox that no
    # longer reaches back to its position: it rebuilds rather than miss those changes.
    before = generation(portal.index_dir("silent"))
    returned = IndexFollower(portal.machine("silent"), "silent")
    step = returned.step(now=later)
    assert step.rebuilt and returned.rebuilds == 1
    assert generation(portal.index_dir("silent")) != before
    assert check(portal.machine("silent")).clean
    assert portal.registered()["silent"] == portal.newest()


@pytest.mark.postgres
def test_a_follower_dropped_while_the_web_drained_its_index_still_rebuilds(portal):
    """While a machine's follower is stopped, its web processes' in-request drains go on
    into the same index and carry its position across rows that were pruned meanwhile:
    the position remembered beside the index says what the follower may have missed."""
    portal.publish(2)
    live = IndexFollower(portal.machine("live"), "live")
    web = portal.machine("web")
    stopped = IndexFollower(web, "web")
    live.step(), stopped.step()
    ids = portal.publish(4, "Later")
    portal.withdraw(ids[0])
    later = utcnow() + TIMEOUT + timedelta(seconds=1)
    live.step(now=later), live.step(now=later)  # drops "web", prunes
    with web.app_context():
        indexer.drain(lock_timeout=5)  # a web process's drain: it cannot see the gap
    returned = IndexFollower(portal.machine("web"), "web")
    assert returned.step(now=later).rebuilt
    assert check(portal.machine("web")).clean


def test_without_followers_nothing_is_pruned(app, runner, make_user, make_material):
    """The rules on the run's own database (SQLite or PostgreSQL): no follower, no pruning
    (the single-process deployment keeps its outbox as before); a follower registering
    below the horizon is told to rebuild; a dropped follower stops holding rows back."""
    teacher, moderator = make_user("teacher"), make_user("moderator")
    for n in range(3):
        make_material(teacher, title=f"Les {n}", publish_by=moderator)
    with app.app_context():
        rows = db.session.scalars(select(OutboxEntry.id).order_by(OutboxEntry.id)).all()
        assert followers.prune() == 0
        assert followers.register("one", rows[-1], rows[-1]) is False
        assert followers.register("two", rows[0], rows[0]) is False
        assert followers.report("one", rows[-1]) == 0  # "two" holds everything back
        later = utcnow() + TIMEOUT + timedelta(seconds=1)
        followers.register("one", rows[-1], rows[-1], now=later)
        assert followers.prune(now=later) == len(rows) - 1  # "two" dropped
        assert db.session.scalars(select(OutboxEntry.id)).all() == [rows[-1]]
        assert followers.pruned_through() == rows[-1] - 1
        # "two" returns below the horizon: it must rebuild, and holds pruning meanwhile.
        assert followers.register("two", rows[0], rows[0], now=later) is True
        assert followers.register("three", rows[-1], rows[-1], now=later) is False
        assert followers.lags(now=later) == {"one": 0, "three": 0, "two": 1}
        assert followers.default_name() == (
            f"{socket.gethostname()}:{Path(app.config['INDEX_DIR']).resolve()}")
        followers.register("gone", rows[-1], rows[-1], now=utcnow() - 2 * TIMEOUT)
    listed = runner.invoke(args=["search", "followers"])
    assert listed.exit_code == 0, listed.output
    assert "two: position" in listed.output and "1 behind" in listed.output
    assert "gone: silent since" in listed.output


@pytest.mark.postgres
def test_a_row_committed_after_a_later_one_is_not_skipped(portal):
    """PostgreSQL hands out outbox ids at insert and shows rows at commit: a publication
    that commits after a later one must still reach the index (``indexer.safe_position``)."""
    from oer_portal.accounts.models import User
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind, MaterialVersion

    reader = portal.machine("reader")
    written, release, failures = threading.Event(), threading.Event(), []

    def slow_publication() -> None:
        try:
            with portal.publisher.app_context(), outbox.deferred():
                owner = db.session.get(User, portal.teacher_id)
                material = service.create_material(
                    owner, MaterialKind.LESSON,
                    VersionFields(title="Trage les over vulkanen", body="Magma en lava."))
                db.session.flush()
                lifecycle.publish(material, db.session.get(
                    MaterialVersion, material.latest_version_id),
                    db.session.get(User, portal.moderator_id))
                db.session.flush()  # its outbox row has its id now, unseen by others
                written.set()
                release.wait(PATIENCE)
                current_uow().commit()
                g.outbox_pending = False
        except BaseException as error:  # the test fails with it
            failures.append(error)
            written.set()

    thread = threading.Thread(target=slow_publication)
    thread.start()
    assert written.wait(PATIENCE) and not failures, failures
    portal.publish(1, "Snelle les")  # a later id, committed first
    with reader.app_context():
        indexer.drain()
        drift = indexer.check()
        assert len(drift.missing) == 0, "the slow one is not committed: nothing to miss yet"
        position = indexer.applied_position(indexer.open_index())
        db.session.rollback()
    assert position < portal.newest(), "the position stops before the missing id"
    release.set()
    thread.join(PATIENCE)
    assert not failures, failures
    with reader.app_context():
        indexer.drain()
        assert indexer.check().clean, "the slow publication reached the index"
        assert indexer.applied_position(indexer.open_index()) == portal.newest()
        db.session.rollback()
