"""E-mail-verified accounts (issue 16): registration answers the same whether or not the
address is taken, confirms the address by a mailed link, and an unconfirmed account cannot
log in; the co-author form gives one answer for every address that is not a teacher's."""

from __future__ import annotations

import time

import pytest
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner
from sqlalchemy import func, select

from oer_portal.accounts import confirmation
from oer_portal.accounts.models import TeacherRequest, User
from oer_portal.extensions import db
from tests.conftest import CSRF_RE, PASSWORD, SECRET
from tests.fixtures.mailbox import confirm_address

NOT_CONFIRMED = "Your e-mail address is not confirmed yet."
WRONG = "The e-mail address or the password is not correct."


def _register(client, email, name="Nieuwe Gebruiker", password=PASSWORD, **extra):
    return client.post("/account/register", {"display_name": name, "email": email,
                                             "password": password, "confirm": password,
                                             **extra})


def _user(app, email) -> User | None:
    with app.app_context():
        return db.session.scalar(select(User).where(User.email == email))


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(User))


def _without_csrf(page: str) -> str:
    return CSRF_RE.sub('name="csrf_token" value=""', page)


def _answer(client, response) -> tuple[int, str | None, str, bytes, list[str]]:
    """Status and redirect of the POST, the page it leads to (CSRF token removed), and the
    POST's own body and header names."""
    location = response.headers.get("Location")
    page = client.get(location).get_data(as_text=True) if location else \
        response.get_data(as_text=True)
    return (response.status_code, location, _without_csrf(page), response.get_data(),
            sorted(name for name, _value in response.headers))


# --- registration answers the same -----------------------------------------------------------


def test_a_taken_address_gets_the_same_answer_as_a_new_one(app, new_client, make_user,
                                                            mailbox):
    owner = make_user("teacher", email="taken@example.org", name="Echte Eigenaar")
    with app.app_context():
        before = db.session.get(User, owner.id)
        hash_before, name_before = before.password_hash, before.display_name

    new, taken = new_client(), new_client()
    fresh = _answer(new, _register(new, "fresh@example.org"))
    again = _answer(taken, _register(taken, "TAKEN@example.org", name="Indringer",
                                     password="een ander wachtwoord"))
    assert fresh == again  # status, redirect and page, byte for byte
    assert fresh[0] == 302 and "Check your inbox" in fresh[2]

    # The owner is told (in their language: the default, Dutch, as they chose none), with a
    # way to log in; nothing of theirs changed, no second account.
    letter = mailbox.last_to("taken@example.org")
    assert "Iemand probeerde met je e-mailadres een account te maken" in letter.body
    assert "http://localhost/account/login" in letter.body
    assert "/account/confirm/" not in letter.body
    assert "Indringer" not in letter.body
    with app.app_context():
        after = db.session.get(User, owner.id)
        assert (after.password_hash, after.display_name) == (hash_before, name_before)
        assert after.email_confirmed_at is not None
    assert _users(app) == 2  # the owner and fresh@
    # The new address got a confirmation mail instead.
    assert "/account/confirm/" in mailbox.last_to("fresh@example.org").body


def test_a_teacher_application_with_a_taken_address_is_dropped(app, client, make_user, mailbox):
    make_user("student", email="taken@example.org")
    response = _register(client, "taken@example.org", is_teacher="y", school="Het Lyceum",
                         motivation="Ik geef les.")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(TeacherRequest)) == 0


def test_registering_again_before_confirming_sends_a_new_link_and_changes_nothing(
        app, new_client, mailbox):
    _register(new_client(), "twee@example.org", name="Eerste Naam")
    first = mailbox.confirmation_link("twee@example.org")
    again = new_client()
    answer = _answer(again, _register(again, "twee@example.org", name="Tweede Naam",
                                      password="een ander wachtwoord"))
    assert answer[0] == 302 and "Check your inbox" in answer[2]
    assert _users(app) == 1
    assert _user(app, "twee@example.org").display_name == "Eerste Naam"
    second = mailbox.confirmation_link("twee@example.org")
    assert "Eerste Naam" in mailbox.last_to("twee@example.org").to[0]
    for link in (first, second):  # both work; the first password stays
        assert again.post(link.removeprefix("http://localhost")).status_code == 302
    assert again.login("twee@example.org").status_code == 302


# --- confirming -------------------------------------------------------------------------------


def test_a_new_registration_is_confirmed_by_the_mailed_link(app, client, new_client, mailbox):
    response = _register(client, "Nieuw@Example.org", name="Nora Nieuw")
    assert response.status_code == 302
    user = _user(app, "nieuw@example.org")
    assert user is not None and user.email_confirmed_at is None
    assert user.roles == {"student"}
    # Not logged in by registering.
    assert client.get("/account/profile").status_code == 302

    letter = mailbox.last_to("nieuw@example.org")
    assert "Nora Nieuw" in letter.to[0]
    assert "Confirm your e-mail address" in letter.subject
    link = mailbox.confirmation_link("nieuw@example.org")
    assert link.startswith("http://localhost/account/confirm/")

    # Another browser (the phone that reads the mail) may confirm it.
    phone = new_client()
    page = phone.get(mailbox.confirmation_path("nieuw@example.org"))
    assert page.status_code == 200 and "Confirm my e-mail address" in page.get_data(
        as_text=True)
    assert _user(app, "nieuw@example.org").email_confirmed_at is None  # GET changes nothing
    confirmed = confirm_address(phone, mailbox, "nieuw@example.org")
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/account/login"
    assert "Your e-mail address is confirmed" in phone.get("/account/login").get_data(
        as_text=True)
    first = _user(app, "nieuw@example.org").email_confirmed_at
    assert first is not None

    # Confirming twice is harmless.
    again = phone.post(mailbox.confirmation_path("nieuw@example.org"))
    assert again.status_code == 302 and again.headers["Location"] == "/account/login"
    assert _user(app, "nieuw@example.org").email_confirmed_at == first

    assert client.login("nieuw@example.org").status_code == 302
    assert "Nora Nieuw" in client.get("/account/profile").get_data(as_text=True)


def test_the_mail_is_written_in_the_language_of_the_registration(app, new_client, mailbox):
    dutch = new_client("nl")
    _register(dutch, "nl@example.org")
    letter = mailbox.last_to("nl@example.org")
    assert "Bevestig je e-mailadres" in letter.subject


def _token_issued_hours_ago(app, email: str, hours: float) -> str:
    """A confirmation token signed with the portal's key, as if made ``hours`` ago."""
    user = _user(app, email)

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - hours * 3600)

    serializer = URLSafeTimedSerializer(SECRET, salt=confirmation.SALT, signer=Earlier)
    return serializer.dumps(confirmation.payload_of(user))


def test_an_expired_or_tampered_link_is_refused_with_a_clear_page(app, client, mailbox):
    _register(client, "late@example.org")
    good = mailbox.confirmation_path("late@example.org")
    tampered = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    for path in (tampered, "/account/confirm/nonsense", good + "x"):
        for method in (client.get, client.post):
            refused = method(path)
            page = refused.get_data(as_text=True)
            assert refused.status_code == 400, path
            assert "This confirmation link is not valid" in page
            assert 'action="/account/confirm/resend"' in page
    expired = "/account/confirm/" + _token_issued_hours_ago(app, "late@example.org", 49)
    page = client.post(expired)
    assert page.status_code == 400
    assert "This confirmation link has expired" in page.get_data(as_text=True)
    assert _user(app, "late@example.org").email_confirmed_at is None
    # Within its lifetime an older link still works.
    recent = "/account/confirm/" + _token_issued_hours_ago(app, "late@example.org", 47)
    assert client.post(recent).status_code == 302
    assert _user(app, "late@example.org").email_confirmed_at is not None


def test_a_link_for_another_purpose_or_secret_is_refused(app, client, mailbox):
    _register(client, "purpose@example.org")
    payload = confirmation.payload_of(_user(app, "purpose@example.org"))
    other_salt = URLSafeTimedSerializer(SECRET, salt="password-reset").dumps(payload)
    other_key = URLSafeTimedSerializer("another key entirely, just as long",
                                       salt=confirmation.SALT).dumps(payload)
    for token in (other_salt, other_key):
        assert client.post(f"/account/confirm/{token}").status_code == 400
    assert _user(app, "purpose@example.org").email_confirmed_at is None


# --- unconfirmed accounts cannot log in ----------------------------------------------------


def test_an_unconfirmed_account_cannot_log_in(app, client, new_client, mailbox):
    _register(client, "wacht@example.org")
    response = client.login("wacht@example.org")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert NOT_CONFIRMED in page
    assert 'action="/account/confirm/resend"' in page
    assert client.get("/account/profile").status_code == 302  # not logged in

    # A wrong password gets the answer every wrong password gets: nothing about confirming.
    wrong = _without_csrf(client.login("wacht@example.org", "niet het wachtwoord")
                          .get_data(as_text=True))
    unknown = _without_csrf(new_client().login("wacht@example.org".replace("wacht", "niemand"),
                                               "niet het wachtwoord").get_data(as_text=True))
    assert WRONG in wrong and NOT_CONFIRMED not in wrong
    assert wrong == unknown.replace("niemand@example.org", "wacht@example.org")


def test_sending_the_link_again_answers_the_same_for_every_address(app, new_client, make_user,
                                                                   mailbox):
    confirmed = make_user("student", email="klaar@example.org")
    registering = new_client()
    _register(registering, "wacht@example.org")
    mailbox.clear()
    answers = []
    for address in ("wacht@example.org", confirmed.email, "niemand@example.org"):
        browser = new_client()
        answers.append(_answer(browser, browser.post("/account/confirm/resend",
                                                     {"email": address})))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 302 and "Check your inbox" in answers[0][2]
    assert [m.to for m in mailbox.messages] == [["Nieuwe Gebruiker <wacht@example.org>"]]
    # The new link confirms.
    browser = new_client()
    confirm_address(browser, mailbox, "wacht@example.org")
    assert browser.login("wacht@example.org").status_code == 302


def test_sending_the_link_again_is_rate_limited_per_address(app, new_client, mailbox):
    app.config["CONFIRMATION_RESEND_LIMIT_PER_EMAIL"] = "2 per hour"
    _register(new_client(), "wacht@example.org")
    mailbox.clear()
    statuses = [new_client().post("/account/confirm/resend",
                                  {"email": "wacht@example.org"}).status_code
                for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert len(mailbox.messages) == 2


# --- teacher applications wait for the confirmation ----------------------------------------


def test_admins_see_a_teacher_application_only_once_the_address_is_confirmed(
        app, client, new_client, make_user, mailbox):
    _register(client, "docent@example.org", name="Dana Docent", is_teacher="y",
              school="Het Lyceum", motivation="Ik geef scheikunde.")
    with app.app_context():
        [request] = db.session.scalars(select(TeacherRequest)).all()
        request_id = request.id
    admin = new_client()
    admin.login(make_user("admin").email)
    listing = admin.get("/admin/teacher-requests").get_data(as_text=True)
    assert "Dana Docent" not in listing
    assert admin.post(f"/admin/teacher-requests/{request_id}",
                      {"approve": "1", "note": ""}).status_code == 404
    confirm_address(new_client(), mailbox, "docent@example.org")
    assert "Dana Docent" in admin.get("/admin/teacher-requests").get_data(as_text=True)
    assert admin.post(f"/admin/teacher-requests/{request_id}",
                      {"approve": "1", "note": ""}).status_code == 302


# --- purging --------------------------------------------------------------------------------


def test_old_unconfirmed_accounts_are_purged(app, client, make_user, runner, mailbox):
    from datetime import timedelta

    from oer_portal.core.types import utcnow

    _register(client, "oud@example.org")
    _register(client, "recent@example.org")
    make_user("student", email="bevestigd@example.org")
    with app.app_context():
        old = db.session.scalar(select(User).where(User.email == "oud@example.org"))
        old.created_at = utcnow() - timedelta(days=8)
        confirmed = db.session.scalar(select(User).where(User.email == "bevestigd@example.org"))
        confirmed.created_at = utcnow() - timedelta(days=30)
        db.session.commit()
    result = runner.invoke(args=["users", "purge-unconfirmed"])
    assert result.exit_code == 0, result.output
    assert "1" in result.output
    assert _user(app, "oud@example.org") is None
    assert _user(app, "recent@example.org") is not None
    assert _user(app, "bevestigd@example.org") is not None


# --- accounts made by other means are confirmed --------------------------------------------


def test_accounts_of_the_command_line_are_confirmed(app, runner):
    result = runner.invoke(args=["users", "create", "--email", "cli@example.org", "--name",
                                 "Cli", "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert _user(app, "cli@example.org").email_confirmed_at is not None


def test_accounts_of_the_demo_loader_are_confirmed(app, runner):
    assert runner.invoke(args=["demo", "load"]).exit_code == 0
    with app.app_context():
        users = db.session.scalars(select(User)).all()
        assert users and all(user.email_confirmed_at is not None for user in users)


# --- the co-author form ---------------------------------------------------------------------


@pytest.fixture()
def authored(make_user, make_material):
    owner = make_user("teacher", email="eigenaar@example.org")
    return owner, make_material(owner)


def test_the_co_author_form_answers_alike_for_every_address_that_is_not_a_teacher(
        app, client, new_client, make_user, authored, mailbox):
    owner, material_id = authored
    student = make_user("student", email="leerling@example.org")
    _register(new_client(), "onbevestigd@example.org")
    unconfirmed_teacher = make_user("teacher", email="docent-wacht@example.org")
    with app.app_context():
        db.session.get(User, unconfirmed_teacher.id).email_confirmed_at = None
        db.session.commit()
    client.login(owner.email)
    answers = []
    for address in ("niemand@example.org", student.email, "onbevestigd@example.org",
                    unconfirmed_teacher.email, "geen adres"):
        response = client.post(f"/materials/{material_id}/authors", {"email": address})
        answers.append((response.status_code, response.headers.get("Location"),
                        _without_csrf(client.get(response.headers["Location"],
                                                 follow_redirects=True).get_data(as_text=True))))
    assert all(answer == answers[0] for answer in answers), [a[:2] for a in answers]
    assert "There is no teacher with this e-mail address." in answers[0][2]
    with app.app_context():
        from oer_portal.materials.models import Material

        assert not db.session.get(Material, material_id).co_author_ids


# --- the migration ----------------------------------------------------------------------------


def test_the_migration_confirms_every_existing_account(tmp_path):
    """Accounts from before confirmation existed could log in: they count as confirmed since
    they were made.  Down and up again keeps every account."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from oer_portal import create_app
    from tests.conftest import make_config

    app = create_app(make_config(tmp_path, f"sqlite:///{tmp_path / 'data.db'}"))
    with app.app_context():
        upgrade(revision="0023_user_sessions")
        db.session.execute(text(
            "INSERT INTO users (id, email, display_name, password_hash, session_token, "
            "created_at) VALUES (1, 'a@example.org', 'Anna', 'x', 't1', "
            "'2026-01-05 10:00:00.000000')"))
        db.session.commit()
        upgrade(revision="0024_email_confirmation")
        row = db.session.execute(text(
            "SELECT created_at, email_confirmed_at FROM users")).one()
        assert row[1] is not None and row[0] == row[1]
        db.session.commit()
        downgrade(revision="0023_user_sessions")
        assert db.session.execute(text("SELECT count(*) FROM users")).scalar() == 1
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("taken", [False, True], ids=["new-address", "taken-address"])
def test_registration_mails_only_after_the_answer(client, make_user, mailbox, taken):
    """How long the mail server takes must not tell whether the address has an account."""
    if taken:
        make_user("teacher", email="later@example.org")
    response = client.raw.post("/account/register", data={
        "csrf_token": client.csrf_token(), "display_name": "Later", "email": "later@example.org",
        "password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 302
    assert mailbox.to("later@example.org") == []  # answered, not yet sent
    response.close()  # what the WSGI server does once the answer is written
    assert len(mailbox.to("later@example.org")) == 1


def test_send_again_mails_only_after_the_answer(client, new_client, mailbox):
    _register(new_client(), "wacht@example.org")
    sent = len(mailbox.to("wacht@example.org"))
    response = client.raw.post("/account/confirm/resend", data={
        "csrf_token": client.csrf_token(), "email": "wacht@example.org"})
    assert response.status_code == 302
    assert len(mailbox.to("wacht@example.org")) == sent
    response.close()
    assert len(mailbox.to("wacht@example.org")) == sent + 1
