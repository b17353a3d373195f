"""Killing the indexing process at random points never corrupts the index or loses work:
after every kill the index opens, and a final drain leaves ``search check`` clean."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from oer_portal.core.uow import current_uow

ROOT = Path(__file__).resolve().parents[2]
KILLS = 25

CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from oer_portal import create_app
    from oer_portal.search import indexer
    from tests.conftest import make_config
    app = create_app(make_config(Path({tmp!r}), {uri!r}, INDEX_DIR={index!r}))
    indexer.BATCH = 7  # many small commits: more places for a kill to land
    with app.app_context():
        print("ready", flush=True)
        if sys.argv[1] == "reindex":
            indexer.reindex()
        else:
            indexer.drain(lock_timeout=5)
    print("done", flush=True)
""")


def _touch_all(app) -> None:
    """New outbox entries for every material, as if each had just changed."""
    from sqlalchemy import select

    from oer_portal.core import outbox
    from oer_portal.extensions import db
    from oer_portal.materials.models import Material

    with app.app_context(), outbox.deferred():
        for material_id in db.session.scalars(select(Material.id)):
            outbox.record_change("material", material_id)
        current_uow().commit()
        from flask import g
        g.outbox_pending = False


def _publish_many(app, make_user, count: int) -> None:
    from oer_portal.accounts.models import User
    from oer_portal.core import outbox
    from oer_portal.extensions import db
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind, MaterialVersion

    teacher, moderator = make_user("teacher"), make_user("moderator")
    with app.app_context(), outbox.deferred():
        owner, publisher = db.session.get(User, teacher.id), db.session.get(User, moderator.id)
        for n in range(count):
            material = service.create_material(
                owner, MaterialKind.LESSON,
                VersionFields(title=f"Les {n} over breuken", body=f"Tekst {n} " * 50))
            db.session.flush()
            lifecycle.publish(material, db.session.get(MaterialVersion,
                                                       material.latest_version_id), publisher)
        current_uow().commit()
        # Leave the outbox undrained: the children below do the work.
        from flask import g
        g.outbox_pending = False


def test_killing_the_indexer_at_random_points_leaves_the_index_consistent(
        app, runner, make_user, tmp_path):
    from oer_portal.search import indexer

    _publish_many(app, make_user, 120)
    script = CHILD.format(root=str(ROOT), tmp=str(tmp_path),
                          uri=app.config["SQLALCHEMY_DATABASE_URI"],
                          index=app.config["INDEX_DIR"])
    env = {"OER_INSTANCE_PATH": str(tmp_path / "instance"), "PATH": "/usr/bin:/bin"}
    rng = random.Random(2026)
    interrupted = attempts = 0
    while interrupted < KILLS and attempts < 4 * KILLS:
        attempts += 1
        mode = "reindex" if attempts % 4 == 0 else "drain"
        if mode == "drain":
            _touch_all(app)
        child = subprocess.Popen([sys.executable, "-c", script, mode], cwd=ROOT, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        time.sleep(rng.uniform(0, 0.15))
        child.send_signal(signal.SIGKILL)
        out, _err = child.communicate(timeout=30)
        interrupted += "done" not in out
        with app.app_context():  # the index still opens and answers after every kill
            ix = indexer.open_index()
            with ix.searcher() as searcher:
                searcher.doc_count()
    assert interrupted >= KILLS, f"only {interrupted} kills landed while the indexer worked"
    assert runner.invoke(args=["search", "drain"]).exit_code == 0
    check = runner.invoke(args=["search", "check"])
    assert check.exit_code == 0, check.output


def test_reindex_during_a_search_load_fails_no_search(app, make_user):
    import threading

    from oer_portal.search import indexer, service

    _publish_many(app, make_user, 40)
    with app.app_context():
        indexer.drain(lock_timeout=5)
    totals: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def searching() -> None:
        with app.app_context():
            while not stop.is_set():
                try:
                    totals.append(service.search(service.SearchRequest(query="breuken")).total)
                except BaseException as error:
                    errors.append(error)

    readers = [threading.Thread(target=searching) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        with app.app_context():
            for _ in range(3):
                indexer.reindex()
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=30)
    assert errors == []
    assert totals and set(totals) == {40}
