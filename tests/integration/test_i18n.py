"""Dutch first, English second: the catalogs are complete and the choice is remembered."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from oer_portal.accounts.models import User
from oer_portal.core import catalogs
from oer_portal.extensions import db


@pytest.mark.parametrize("locale", catalogs.LOCALES)
def test_every_string_in_the_code_is_translated(locale):
    missing = list(catalogs.untranslated(locale))
    assert not missing, f"{locale} lacks {len(missing)} translations, e.g. {missing[:5]}"


def test_the_extraction_finds_strings_in_python_and_templates():
    ids = {m.id for m in catalogs.extract()}
    assert "Skip to main content" in ids  # templates/base.html
    assert "Your current password is not correct." in ids  # oer_portal/accounts/service.py
    assert "Please log in to open this page." in ids  # marked with N_()


@pytest.mark.parametrize("locale", catalogs.LOCALES)
def test_placeholders_survive_translation(locale):
    import re

    placeholder = re.compile(r"%\(\w+\)[sd]")
    for message in catalogs.load(locale):
        if message.id and isinstance(message.id, str) and message.string:
            assert sorted(placeholder.findall(message.id)) == sorted(
                placeholder.findall(message.string)), message.id


def test_home_page_is_dutch_by_default_even_for_english_browsers(new_client):
    response = new_client(None).get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    page = response.get_data(as_text=True)
    assert '<html lang="nl">' in page
    assert "Direct naar de inhoud" in page


def test_language_switch_is_remembered_for_the_session(new_client):
    client = new_client(None)
    assert '<html lang="nl">' in client.get("/").get_data(as_text=True)
    response = client.post("/language", {"locale": "en", "next": "/search?q=x"})
    assert response.headers["Location"] == "/search?q=x"
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Skip to main content" in page
    client.post("/language", {"locale": "nl"})
    assert '<html lang="nl">' in client.get("/").get_data(as_text=True)


def test_a_page_read_during_the_switch_cannot_undo_it(app, new_client, make_user,
                                                      make_material):
    """A browser switches the language while requests of the page before are still on
    their way (lazy thumbnails, another tab); they carry the session cookie from before the
    switch. Their answers must not set that cookie again, or the last one to arrive undoes
    the choice (seen in a browser journey: the next page came in Dutch)."""
    teacher, moderator = make_user("teacher"), make_user("moderator")
    lesson = make_material(teacher, title="Breuken", publish_by=moderator)
    client = new_client(None)
    client.get("/")  # the session begins: its CSRF token
    before = client.raw.get_cookie("oer_session").value
    client.post("/language", {"locale": "en"})
    chosen = client.raw.get_cookie("oer_session").value
    for path in ("/", f"/materials/{lesson}", "/search?q=breuken", "/help/licences"):
        client.raw.set_cookie("oer_session", before)  # a request sent before the switch
        response = client.get(path)
        assert response.status_code in (200, 301, 302), path
        assert "oer_session=" not in response.headers.get("Set-Cookie", ""), path
    client.raw.set_cookie("oer_session", chosen)
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_language_switch_refuses_unknown_languages_and_foreign_redirects(client):
    assert client.post("/language", {"locale": "xx"}).status_code == 422
    response = client.post("/language", {"locale": "en", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_language_choice_is_remembered_for_the_user(app, new_client, make_user):
    user = make_user("student")
    client = new_client(None)
    client.login(user.email)
    client.post("/language", {"locale": "en"})
    with app.app_context():
        assert db.session.scalar(select(User.locale).where(User.id == user.id)) == "en"
    other_device = new_client(None)
    assert '<html lang="nl">' in other_device.get("/").get_data(as_text=True)
    other_device.login(user.email)
    assert '<html lang="en">' in other_device.get("/").get_data(as_text=True)


def test_session_choice_before_login_becomes_the_users_choice(app, new_client, make_user):
    user = make_user("student")
    client = new_client(None)
    client.post("/language", {"locale": "en"})
    client.login(user.email)
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).locale == "en"


def test_language_switch_needs_csrf(client):
    assert client.raw.post("/language", data={"locale": "en"}).status_code == 400
