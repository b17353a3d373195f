"""Sessions of their own: the profile lists them, each ends alone, "log out everywhere
else" ends the others (issue 16)."""

from __future__ import annotations

import re

from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from oer_portal.extensions import db
from tests.conftest import PASSWORD, Client

FIREFOX = ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")


def _login(client: Client, email: str, agent: str = FIREFOX, remember: bool = False) -> None:
    data = {"email": email, "password": PASSWORD, **({"remember": "y"} if remember else {})}
    response = client.post("/account/login", data, headers={"User-Agent": agent})
    assert response.status_code == 302


def _rows(app: Flask, user_id: int) -> list:
    from oer_portal.accounts.sessions import UserSession

    with app.app_context():
        return list(db.session.scalars(select(UserSession).where(UserSession.user_id == user_id)))


def test_each_login_is_a_session_row_without_the_token_or_an_address(app, client, make_user):
    user = make_user("student")
    _login(client, user.email)
    [row] = _rows(app, user.id)
    assert (row.browser, row.platform) == ("Firefox", "Linux")
    cookie = client.raw.get_cookie("oer_session").value
    assert row.token_hash not in cookie and len(row.token_hash) == 64
    assert not hasattr(row, "ip_address")


def test_logout_ends_only_this_session(app, client, new_client, make_user):
    user = make_user("student")
    laptop, phone = client, new_client()
    _login(laptop, user.email)
    _login(phone, user.email, IPHONE)
    laptop.logout()
    assert laptop.get("/account/profile").status_code == 302
    assert phone.get("/account/profile").status_code == 200
    assert len(_rows(app, user.id)) == 1


def test_the_profile_lists_the_sessions_and_marks_this_browser(client, new_client, make_user):
    user = make_user("student")
    _login(new_client(), user.email, IPHONE)
    _login(client, user.email)
    page = client.get("/account/profile").get_data(as_text=True)
    assert "Firefox on Linux" in page and "Safari on iOS" in page
    assert page.count("This browser") == 1


def test_log_out_everywhere_else_keeps_this_session(app, client, new_client, make_user):
    user = make_user("student")
    phone, tablet = new_client(), new_client()
    _login(phone, user.email, IPHONE)
    _login(tablet, user.email, remember=True)
    remembered = tablet.raw.get_cookie("remember_token").value
    _login(client, user.email)
    assert client.post("/account/sessions/end-others").status_code == 302
    assert client.get("/account/profile").status_code == 200
    assert phone.get("/account/profile").status_code == 302
    assert tablet.get("/account/profile").status_code == 302
    replay = new_client()
    replay.raw.set_cookie("remember_token", remembered)
    assert replay.get("/account/profile").status_code == 302
    assert len(_rows(app, user.id)) == 1
    from tests.integration.test_accounts import _audit_actions
    assert "sessions.ended_others" in _audit_actions(app)


def test_one_other_session_can_be_ended_from_the_list(app, client, new_client, make_user):
    user = make_user("student")
    phone = new_client()
    _login(phone, user.email, IPHONE)
    _login(client, user.email)
    [phone_row] = [row for row in _rows(app, user.id) if row.platform == "iOS"]
    page = client.get("/account/profile").get_data(as_text=True)
    assert f"/account/sessions/{phone_row.id}/end" in page
    assert client.post(f"/account/sessions/{phone_row.id}/end").status_code == 302
    assert phone.get("/account/profile").status_code == 302
    assert client.get("/account/profile").status_code == 200


def test_nobody_ends_another_users_session(app, client, new_client, make_user):
    owner, other = make_user("student"), make_user("student")
    victim = new_client()
    _login(victim, owner.email)
    [row] = _rows(app, owner.id)
    _login(client, other.email)
    assert client.post(f"/account/sessions/{row.id}/end").status_code == 404
    assert victim.get("/account/profile").status_code == 200


def test_log_out_everywhere_ends_every_session(client, new_client, make_user):
    user = make_user("student")
    phone = new_client()
    _login(phone, user.email, IPHONE)
    _login(client, user.email)
    assert client.post("/account/logout-everywhere").status_code == 302
    assert client.get("/account/profile").status_code == 302
    assert phone.get("/account/profile").status_code == 302


def test_an_idle_session_expires_and_is_pruned(app, client, make_user):
    from datetime import timedelta

    from oer_portal.accounts.sessions import UserSession
    from oer_portal.core.types import utcnow

    user = make_user("student")
    _login(client, user.email)
    with app.app_context():
        row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
        row.last_seen_at = utcnow() - app.config["SESSION_IDLE_TIMEOUT"] - timedelta(minutes=1)
        db.session.commit()
    assert client.get("/account/profile").status_code == 302
    result = app.test_cli_runner().invoke(args=["users", "prune-sessions"])
    assert result.exit_code == 0, result.output
    assert _rows(app, user.id) == []


def test_last_seen_is_not_written_on_every_page(app, client, make_user):
    user = make_user("student")
    _login(client, user.email)
    [before] = _rows(app, user.id)
    for _ in range(3):
        client.get("/account/profile")
    [after] = _rows(app, user.id)
    assert after.last_seen_at == before.last_seen_at


def test_sessions_of_gives_plain_data_for_the_privacy_export(app, client, make_user):
    from oer_portal.accounts import sessions
    from oer_portal.accounts.models import User

    user = make_user("student")
    _login(client, user.email, remember=True)
    with app.app_context(), force_locale("en"):
        [entry] = sessions.sessions_of(db.session.get(User, user.id))
    assert entry["device"] == "Firefox on Linux" and entry["remember"] is True
    assert set(entry) == {"created_at", "last_seen_at", "device", "remember"}
    assert re.match(r"\d{4}-\d\d-\d\dT", entry["created_at"])


def test_a_cookie_of_the_old_form_is_not_a_session(app, client, make_user):
    user = make_user("student")
    _login(client, user.email)
    with app.app_context():
        from oer_portal.accounts.models import User
        from oer_portal.accounts.service import load_session_user

        token = db.session.get(User, user.id).session_token
        assert load_session_user(f"{user.id}:{token}") is None


def test_last_seen_is_refreshed_once_it_is_older_than_the_interval(app, client, make_user):
    from oer_portal.accounts.sessions import UserSession
    from oer_portal.core.types import utcnow

    user = make_user("student")
    _login(client, user.email)
    stale = utcnow() - app.config["SESSION_TOUCH_INTERVAL"] * 2
    with app.app_context():
        row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
        row.last_seen_at = stale
        db.session.commit()
    assert client.get("/account/profile").status_code == 200
    [after] = _rows(app, user.id)
    assert after.last_seen_at > stale
