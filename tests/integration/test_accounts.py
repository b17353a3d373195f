"""Registration, login, logout, password, profile: the account journeys through the pages."""

from __future__ import annotations

from sqlalchemy import func, select

from oer_portal.accounts.models import User
from oer_portal.core.audit import AuditEntry
from oer_portal.extensions import db
from tests.conftest import PASSWORD


def _user(app, email):
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def _audit_actions(app):
    with app.app_context():
        return [e.action for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_registration_creates_a_logged_in_student(app, client):
    response = client.post("/account/register", {
        "display_name": "  Jan   de Vries ", "email": "Jan@Example.org",
        "password": PASSWORD, "confirm": PASSWORD,
    })
    assert response.status_code == 302
    user = _user(app, "jan@example.org")
    assert user.display_name == "Jan de Vries"
    assert user.roles == {"student"}
    assert "Jan de Vries" in client.get("/account/profile").get_data(as_text=True)


def test_registration_refuses_a_taken_address_whatever_its_case(app, client, make_user):
    make_user("student", email="taken@example.org")
    response = client.post("/account/register", {
        "display_name": "Someone", "email": "TAKEN@example.org",
        "password": PASSWORD, "confirm": PASSWORD,
    })
    assert response.status_code == 200
    assert "already exists" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_registration_explains_each_bad_field(client):
    response = client.post("/account/register", {
        "display_name": "", "email": "not-an-address", "password": "short", "confirm": "other",
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'aria-invalid="true"' in page
    assert "at least 10 characters" in page.lower()
    assert "passwords do not match" in page
    assert 'value="not-an-address"' in page  # what was typed is kept


def test_the_stored_hash_is_argon2id(app, client):
    client.post("/account/register", {"display_name": "A", "email": "a@example.org",
                                       "password": PASSWORD, "confirm": PASSWORD})
    stored = _user(app, "a@example.org").password_hash
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_default_hasher_is_argon2id_with_library_defaults(app):
    from argon2 import PasswordHasher

    from oer_portal.accounts import passwords

    app.config["PASSWORD_HASHER"] = {}
    with app.app_context():
        digest = passwords.hash_password("x" * 5000)  # long passwords work
        defaults = PasswordHasher()
        assert digest.startswith(f"$argon2id$v=19$m={defaults.memory_cost},t={defaults.time_cost},"
                                 f"p={defaults.parallelism}$")
        assert passwords.verify_password(digest, "x" * 5000)
        assert not passwords.verify_password(digest, "x" * 4999)


def test_login_with_the_right_password(app, client, make_user):
    user = make_user("teacher")
    response = client.login(user.email)
    assert response.status_code == 302
    assert client.get("/account/profile").status_code == 200
    assert _user(app, user.email).last_login_at is not None
    assert "login.succeeded" in _audit_actions(app)


def test_login_with_a_wrong_password_says_so_and_is_audited(app, client, make_user):
    user = make_user("student")
    response = client.login(user.email, "wrong password!")
    assert response.status_code == 200
    assert "not correct" in response.get_data(as_text=True)
    assert client.get("/account/profile").status_code == 302
    assert _audit_actions(app)[-1] == "login.failed"


def test_login_follows_only_local_next_urls(client, make_user):
    user = make_user("student")
    token = client.csrf_token()
    response = client.raw.post("/account/login?next=//evil.example/x",
                               data={"csrf_token": token, "email": user.email,
                                     "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.logout()
    response = client.raw.post("/account/login?next=/account/password",
                               data={"csrf_token": client.csrf_token(), "email": user.email,
                                     "password": PASSWORD})
    assert response.headers["Location"] == "/account/password"


def test_login_starts_a_new_session(client, make_user):
    user = make_user("student")
    client.get("/")
    before = client.raw.get_cookie("oer_session").value
    client.login(user.email)
    after = client.raw.get_cookie("oer_session").value
    assert before != after


def test_a_session_cookie_replayed_after_logout_is_rejected(client, new_client, make_user):
    user = make_user("teacher")
    client.login(user.email)
    stolen = client.raw.get_cookie("oer_session").value
    assert client.get("/account/profile").status_code == 200

    client.logout()

    replay = new_client()
    replay.raw.set_cookie("oer_session", stolen)
    response = replay.get("/account/profile")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_logout_ends_the_sessions_on_other_devices_too(client, new_client, make_user):
    user = make_user("student")
    laptop, phone = client, new_client()
    laptop.login(user.email)
    phone.login(user.email)
    laptop.logout()
    assert phone.get("/account/profile").status_code == 302


def test_logout_needs_post(client, make_user):
    user = make_user("student")
    client.login(user.email)
    assert client.get("/account/logout").status_code == 405
    assert client.get("/account/profile").status_code == 200


def test_password_change_keeps_this_session_and_ends_the_others(app, client, new_client,
                                                                make_user):
    user = make_user("student")
    other_device = new_client()
    client.login(user.email)
    other_device.login(user.email)
    new_password = "a brand new passphrase"
    response = client.post("/account/password", {
        "current_password": PASSWORD, "new_password": new_password, "confirm": new_password,
    })
    assert response.status_code == 302
    assert client.get("/account/profile").status_code == 200
    assert other_device.get("/account/profile").status_code == 302
    client.logout()
    assert client.login(user.email, PASSWORD).status_code == 200  # old one no longer works
    assert client.login(user.email, new_password).status_code == 302
    assert "password.changed" in _audit_actions(app)


def test_password_change_with_a_wrong_current_password_changes_nothing(app, client, make_user):
    user = make_user("student")
    client.login(user.email)
    before = _user(app, user.email).password_hash
    response = client.post("/account/password", {
        "current_password": "not my password", "new_password": "a brand new passphrase",
        "confirm": "a brand new passphrase",
    })
    assert response.status_code == 200
    assert "not correct" in response.get_data(as_text=True)
    assert _user(app, user.email).password_hash == before


def test_profile_changes_name_and_language(app, client, make_user):
    user = make_user("student")
    client.login(user.email)
    response = client.post("/account/profile", {"display_name": "Nieuwe Naam", "locale": "en"})
    assert response.status_code == 302
    stored = _user(app, user.email)
    assert (stored.display_name, stored.locale) == ("Nieuwe Naam", "en")


def test_profile_refuses_an_unknown_language(app, client, make_user):
    user = make_user("student")
    client.login(user.email)
    before = _user(app, user.email)
    response = client.post("/account/profile", {"display_name": "X", "locale": "de"})
    assert response.status_code == 200
    after = _user(app, user.email)
    assert (after.locale, after.display_name) == (before.locale, before.display_name)


def test_public_profile_shows_the_name_but_never_the_address(client, make_user):
    user = make_user("teacher", name="Els Lerares")
    # The old address moved to /people/<id>-<name> (lists.profiles); it still leads there.
    response = client.get(f"/users/{user.id}", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.request.path == f"/people/{user.id}-els-lerares"
    assert "Els Lerares" in page
    assert user.email not in page
    assert client.get("/users/999999", follow_redirects=True).status_code == 404


def test_post_without_csrf_token_is_refused_and_changes_nothing(app, client):
    response = client.raw.post("/account/register", data={
        "display_name": "No Token", "email": "notoken@example.org",
        "password": PASSWORD, "confirm": PASSWORD,
    })
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert _user(app, "notoken@example.org") is None


def test_post_with_a_token_from_another_session_is_refused(client, new_client, make_user):
    user = make_user("student")
    foreign_token = new_client().csrf_token()
    response = client.raw.post("/account/login", data={
        "csrf_token": foreign_token, "email": user.email, "password": PASSWORD,
    })
    assert response.status_code == 400


def test_session_cookie_flags_in_production(app, tmp_path, another_app):
    from tests.conftest import make_config

    config = make_config(tmp_path, app.config["SQLALCHEMY_DATABASE_URI"])
    config.pop("TESTING")
    production = another_app({**config, "TRUSTED_HOSTS": "localhost"})
    assert production.config["ENV"] == "production"
    response = production.test_client().get("/", base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_remember_me_cookie_replayed_after_logout_is_rejected(client, new_client, make_user):
    user = make_user("student")
    client.post("/account/login", {"email": user.email, "password": PASSWORD, "remember": "y"})
    remembered = client.raw.get_cookie("remember_token").value
    client.logout()

    replay = new_client()
    replay.raw.set_cookie("remember_token", remembered)
    assert replay.get("/account/profile").status_code == 302


def test_a_remember_me_cookie_logs_in_a_new_browser_session(client, new_client, make_user):
    user = make_user("student")
    client.post("/account/login", {"email": user.email, "password": PASSWORD, "remember": "y"})
    later = new_client()
    later.raw.set_cookie("remember_token", client.raw.get_cookie("remember_token").value)
    assert later.get("/account/profile").status_code == 200
