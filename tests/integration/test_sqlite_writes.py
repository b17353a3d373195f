"""SQLite as configured: WAL, foreign keys, busy timeout, and writers that never lose an
update, even across processes or when one of them is killed mid-transaction."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select, text

from oer_portal.accounts.models import User
from oer_portal.extensions import db
from tests.conftest import make_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def sqlite_app(app, tmp_path):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite's own locking is what this file proves")
    return app


def _child(tmp_path: Path, uri: str, body: str) -> subprocess.Popen[str]:
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from oer_portal import create_app
        from oer_portal.core.uow import current_uow
        from oer_portal.extensions import db
        from sqlalchemy import text
        from tests.conftest import make_config
        from pathlib import Path
        app = create_app(make_config(Path({str(tmp_path)!r}), {uri!r}))
        with app.app_context():
    """) + textwrap.indent(textwrap.dedent(body), "    ")
    return subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT,
                            env={"OER_INSTANCE_PATH": str(tmp_path / "instance"),
                                 "PATH": "/usr/bin:/bin"})


def test_pragmas_are_set_on_every_connection(sqlite_app):
    with sqlite_app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 5000


def test_two_processes_incrementing_lose_no_update(sqlite_app, make_user, tmp_path):
    user = make_user("student", name="0")
    uri = sqlite_app.config["SQLALCHEMY_DATABASE_URI"]
    body = """
        user_id = USER_ID
        for _ in range(40):
            uow = current_uow()
            read = text("SELECT display_name FROM users WHERE id = :id")
            value = int(db.session.execute(read, {"id": user_id}).scalar())
            write = text("UPDATE users SET display_name = :v WHERE id = :id")
            db.session.execute(write, {"v": str(value + 1), "id": user_id})
            uow.commit()
    """.replace("USER_ID", str(user.id))
    children = [_child(tmp_path, uri, body) for _ in range(2)]
    for child in children:
        _out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
    with sqlite_app.app_context():
        assert db.session.get(User, user.id).display_name == "80"


def test_a_writer_killed_mid_transaction_leaves_nothing_and_blocks_no_one(sqlite_app, make_user,
                                                                          tmp_path):
    uri = sqlite_app.config["SQLALCHEMY_DATABASE_URI"]
    body = """
        db.session.execute(text("INSERT INTO user_roles (user_id, role, granted_at) "
                                "VALUES (1, 'admin', '2026-01-01')"))
        print("holding the write lock", flush=True)
        time.sleep(60)
    """
    make_user("student")
    child = _child(tmp_path, uri, body)
    assert child.stdout.readline().strip() == "holding the write lock"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    child.stdout.close()
    child.stderr.close()
    make_user("teacher")  # a new writer gets the lock
    with sqlite_app.app_context():
        assert set(db.session.scalars(select(User.id))) == {1, 2}
        assert db.session.get(User, 1).roles == {"student"}


def test_foreign_keys_are_enforced(sqlite_app):
    from sqlalchemy.exc import IntegrityError

    with sqlite_app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(text(
                "INSERT INTO user_roles (user_id, role, granted_at) VALUES (999, 'student', 'x')"))
            db.session.flush()
        db.session.rollback()


def test_reading_requests_use_deferred_transactions(sqlite_app, tmp_path, another_app):
    """A GET must not queue behind a writer: it runs while another process holds the lock."""
    uri = sqlite_app.config["SQLALCHEMY_DATABASE_URI"]
    body = """
        db.session.execute(text("UPDATE users SET locale = 'en'"))
        print("holding the write lock", flush=True)
        time.sleep(60)
    """
    config = make_config(tmp_path, uri, SQLITE_BUSY_TIMEOUT_SECONDS=0.2)
    quick = another_app(config)
    child = _child(tmp_path, uri, body)
    try:
        assert child.stdout.readline().strip() == "holding the write lock"
        assert quick.test_client().get("/people/1").status_code in (200, 404)
        with quick.app_context():
            from oer_portal.core.uow import current_uow

            with pytest.raises(Exception, match="locked"):
                db.session.execute(text("SELECT 1"))  # a write-intent transaction waits
                current_uow().commit()
    finally:
        child.kill()
        child.communicate(timeout=10)
