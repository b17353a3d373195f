"""Password reset by e-mail (issue 16): one answer for every address, a link that works
once and for an hour, every session ended."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask_mailman import EmailMessage

from oer_portal.extensions import db
from tests.conftest import PASSWORD, Client
from tests.integration.test_accounts import _audit_actions

PORTAL = "https://oer.example.nl"
NEW = "a fresh and long passphrase"
LINK = re.compile(re.escape(PORTAL) + r"(/account/reset/\S+)")


@pytest.fixture()
def outbox(app: Flask) -> list[EmailMessage]:
    app.config["PORTAL_URL"] = PORTAL
    app.extensions["mailman"].backend = "locmem"
    mailman = app.extensions["mailman"]
    mailman.outbox = []
    return mailman.outbox


def _forgot(client: Client, email: str, **kwargs) -> str:
    response = client.post("/account/forgot", {"email": email}, **kwargs)
    assert response.status_code == 302
    return client.get(response.headers["Location"]).get_data(as_text=True)


def _link(message: EmailMessage) -> str:
    return LINK.search(message.body)[1]


def test_the_login_page_offers_a_reset(client):
    page = client.get("/account/login").get_data(as_text=True)
    assert 'href="/account/forgot"' in page


def test_the_answer_is_the_same_whether_or_not_the_account_exists(app, client, make_user,
                                                                  outbox):
    user = make_user("student")
    known = _forgot(client, user.email)
    unknown = _forgot(client, "nobody@example.org")
    assert "if an account exists for this address" in known.lower()
    strip = re.compile(r'name="csrf_token"[^>]*>')
    assert strip.sub("", known) == strip.sub("", unknown)
    assert [m.to for m in outbox] == [[f"User 1 <{user.email}>"]]
    assert _audit_actions(app).count("password_reset.requested") == 2


def test_the_link_sets_a_new_password_ends_every_session_and_works_once(
        app, client, new_client, make_user, outbox):
    user = make_user("student")
    other = new_client()
    other.login(user.email)
    _forgot(client, user.email)
    [message] = outbox
    assert "evil.example" not in message.body and "1 hour" in message.body
    link = _link(message)
    form = client.get(link)
    assert form.status_code == 200 and "New password" in form.get_data(as_text=True)
    done = client.post(link, {"new_password": NEW, "confirm": NEW})
    assert done.status_code == 302 and done.headers["Location"].endswith("/account/login")
    assert other.get("/account/profile").status_code == 302  # every session ended
    assert client.get("/account/profile").status_code == 302  # this browser logs in anew
    assert client.login(user.email, PASSWORD).status_code == 200
    assert client.login(user.email, NEW).status_code == 302
    client.logout()
    again = client.post(link, {"new_password": "yet another passphrase!",
                               "confirm": "yet another passphrase!"})
    assert again.status_code == 400
    assert 'href="/account/forgot"' in again.get_data(as_text=True)  # ask for a new one
    assert client.login(user.email, NEW).status_code == 302
    assert "password.reset" in _audit_actions(app)


def test_the_link_expires_after_an_hour(app, client, make_user, outbox, monkeypatch):
    user = make_user("student")
    _forgot(client, user.email)
    link = _link(outbox[0])
    app.config["PASSWORD_RESET_MAX_AGE"] = -1  # an hour has passed
    response = client.get(link)
    assert response.status_code == 400 and "no longer valid" in response.get_data(as_text=True)


def test_a_tampered_link_is_refused(client, make_user, outbox):
    user = make_user("student")
    _forgot(client, user.email)
    link = _link(outbox[0])
    assert client.get(link[:-3] + "xyz").status_code == 400
    assert client.get("/account/reset/garbage").status_code == 400


def test_the_new_password_follows_the_rules(app, client, make_user, outbox):
    user = make_user("student")
    _forgot(client, user.email)
    link = _link(outbox[0])
    short = client.post(link, {"new_password": "short", "confirm": "short"})
    assert short.status_code == 200 and "at least" in short.get_data(as_text=True)
    mismatch = client.post(link, {"new_password": NEW, "confirm": NEW + "x"})
    assert mismatch.status_code == 200
    assert client.login(user.email, PASSWORD).status_code == 302  # unchanged


def test_the_mail_is_in_the_users_language(app, client, make_user, outbox):
    from oer_portal.accounts.models import User

    user = make_user("student", name="Dana Docent")
    with app.app_context():
        db.session.get(User, user.id).locale = "nl"
        db.session.commit()
    _forgot(client, user.email)
    assert outbox[0].subject.startswith("OER-portaal")
    assert "wachtwoord" in outbox[0].body


def test_a_reset_ends_the_accounts_login_delay(app, client, new_client, make_user, outbox):
    user = make_user("student")
    for _ in range(12):
        client.login(user.email, "wrong password")
    browser = new_client()
    assert browser.login(user.email).status_code == 429
    _forgot(browser, user.email)
    browser.post(_link(outbox[0]), {"new_password": NEW, "confirm": NEW})
    assert browser.login(user.email, NEW).status_code == 302


def test_requests_are_limited_per_address_without_telling(app, client, new_client, make_user,
                                                          outbox):
    user = make_user("student")
    limit = int(app.config["RESET_LIMIT_PER_ACCOUNT"].split()[0])
    for _ in range(limit + 2):
        _forgot(new_client(), user.email)
    assert len(outbox) == limit


def test_requests_are_limited_per_client_address(app, client, outbox):
    app.config["RESET_LIMIT_PER_ADDRESS"] = "3 per hour"
    for n in range(3):
        _forgot(client, f"nobody{n}@example.org")
    assert client.post("/account/forgot", {"email": "x@example.org"}).status_code == 429


def test_the_mail_leaves_only_after_the_answer(client, make_user, outbox):
    """How long the mail server takes must not tell whether the account exists."""
    user = make_user("student")
    response = client.raw.post("/account/forgot", data={"csrf_token": client.csrf_token(),
                                                         "email": user.email})
    assert response.status_code == 302
    assert outbox == []  # answered, not yet sent
    response.close()  # what the WSGI server does once the answer is written
    assert len(outbox) == 1


def test_a_rolled_back_request_sends_nothing(app, client, make_user, outbox):
    user = make_user("student")
    with app.test_request_context("/account/forgot", method="POST"):
        from flask import redirect

        from oer_portal.accounts import reset
        from oer_portal.core.mail import send_after_answer
        from oer_portal.core.uow import current_uow

        letter = reset.request_reset(user.email, lambda token: f"{PORTAL}/x/{token}")
        response = redirect("/")
        send_after_answer(response, [letter])
        current_uow().rollback()
        response.close()
    assert outbox == []


def test_a_reset_link_confirms_an_address_never_confirmed(app, client, new_client, outbox):
    """The link reached the address, which proves it as a confirmation link would: an owner
    who lost the confirmation mail and resets the password can log in."""
    new_client().post("/account/register", {"display_name": "Lies Later",
                                            "email": "lies@example.org", "password": PASSWORD,
                                            "confirm": PASSWORD})
    outbox.clear()
    _forgot(client, "lies@example.org")
    [message] = outbox
    client.post(_link(message), {"new_password": NEW, "confirm": NEW})
    assert client.login("lies@example.org", NEW).status_code == 302
    assert "account.email_confirmed" in _audit_actions(app)


def test_someone_registering_a_taken_address_tells_the_owner_how_to_reset(client, make_user,
                                                                         outbox):
    owner = make_user("teacher")
    client.post("/account/register", {"display_name": "Iemand", "email": owner.email,
                                      "password": PASSWORD, "confirm": PASSWORD})
    [message] = outbox
    assert f"{PORTAL}/account/forgot" in message.body
