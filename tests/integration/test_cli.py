"""The command line: ``users create`` and ``demo load``."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from sqlalchemy import func, select

from oer_portal.accounts.models import User
from oer_portal.extensions import db
from oer_portal.materials.models import Material


def _users(app):
    with app.app_context():
        return {u.email: u.roles for u in db.session.scalars(select(User))}


def test_users_create_reads_the_password_from_stdin(app, runner, client):
    result = runner.invoke(args=["users", "create", "--email", "Mod@Example.org", "--name",
                                 "Mo Derator", "--role", "moderator", "--role", "teacher",
                                 "--password-stdin"], input="a long enough password\n")
    assert result.exit_code == 0, result.output
    assert _users(app) == {"mod@example.org": {"moderator", "teacher"}}
    assert client.login("mod@example.org", "a long enough password").status_code == 302


def test_users_create_refuses_a_duplicate_with_a_message(app, runner, make_user):
    make_user("student", email="dup@example.org")
    result = runner.invoke(args=["users", "create", "--email", "dup@example.org", "--name", "D",
                                 "--password-stdin"], input="a long enough password")
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert len(_users(app)) == 1


def test_users_create_refuses_a_short_password_and_an_unknown_role(app, runner):
    result = runner.invoke(args=["users", "create", "--email", "s@example.org", "--name", "S",
                                 "--password-stdin"], input="short")
    assert result.exit_code == 1 and "at least" in result.output
    result = runner.invoke(args=["users", "create", "--email", "s@example.org", "--name", "S",
                                 "--role", "king", "--password-stdin"], input="long password 1")
    assert result.exit_code == 2 and "king" in result.output
    assert _users(app) == {}


def test_demo_load_creates_the_accounts_once_and_keeps_the_passwords_private(app, runner,
                                                                             client):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert set(_users(app)) == {"admin@example.org", "teacher@example.org",
                                "student@example.org"}
    saved = Path(app.instance_path) / "demo-accounts.txt"
    assert stat.S_IMODE(os.stat(saved).st_mode) == 0o600
    line = next(li for li in saved.read_text().splitlines() if "teacher@example.org" in li)
    assert line.split()[-1] in first.output
    assert client.login("teacher@example.org", line.split()[-1]).status_code == 302

    assert "1 demo arrangement published." in first.output
    with app.app_context():
        arrangement = db.session.scalar(select(Material).where(Material.kind == "arrangement"))
        assert arrangement.published_version_id is not None
    page = client.get(f"/materials/{arrangement.id}-{arrangement.slug}").get_data(as_text=True)
    assert "Waterbeheer in Nederland" in page and "Waarom moeten we ons water beheren?" in page

    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "already has accounts" in second.output
    assert f"The demo accounts' passwords are in {saved}." in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 3


def test_commands_speak_dutch_in_a_dutch_or_neutral_shell(app, runner, monkeypatch, make_user):
    make_user("student", email="dup@example.org")
    for lang in ("nl_NL.UTF-8", "C.UTF-8"):
        monkeypatch.setenv("LANG", lang)
        result = runner.invoke(args=["users", "create", "--email", "dup@example.org", "--name",
                                     "D", "--password-stdin"], input="a long enough password")
        assert "Er bestaat al een account met dit e-mailadres." in result.output
