"""A visitor registers, logs out and in, switches language; an admin approves a teacher
request.  Every page is checked by axe for serious or critical violations."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "een lang en sterk wachtwoord"


def _create_admin(live_server) -> tuple[str, str]:
    from oer_portal.accounts import service
    from oer_portal.accounts.models import Role
    from oer_portal.core.uow import current_uow

    email = "beheer@example.org"
    with live_server.app.app_context():
        if service.find_by_email(email) is None:
            service.create_user(email, "Bea Beheer", PASSWORD, [Role.ADMIN])
            current_uow().commit()
    return email, PASSWORD


def _log_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(base + "/account/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()


def test_register_log_out_log_in_and_switch_language(page: Page, live_server, live_mailbox,
                                                     check_page):
    base = live_server.url
    page.goto(base + "/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_contain_text("lesmateriaal")
    check_page(page, "home")

    page.get_by_role("navigation", name="Account").get_by_role(
        "link", name="Account aanmaken").click()
    expect(page).to_have_url(re.compile(r"/account/register$"))
    check_page(page, "register")
    page.get_by_role("button", name="Account aanmaken").click()  # empty form
    expect(page.get_by_role("alert")).to_be_visible()
    check_page(page, "register-errors")

    page.get_by_label("Weergavenaam").fill("Lotte Leerling")
    page.get_by_label("E-mailadres").fill("lotte@example.org")
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_label("Herhaal wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Account aanmaken").click()
    # Issue 16: the same answer for every address; the e-mail holds the rest.
    expect(page.get_by_role("heading", level=1)).to_have_text("Kijk in je mailbox")
    check_page(page, "check-inbox")

    # Not confirmed yet: the right password is told so, with a way to get a new link.
    _log_in(page, base, "lotte@example.org", PASSWORD)
    expect(page.get_by_role("alert")).to_contain_text("Je e-mailadres is nog niet bevestigd.")
    expect(page.get_by_role("button", name="Stuur de link opnieuw")).to_be_visible()
    check_page(page, "login-unconfirmed")

    # A damaged link gets a page that says so.
    link = live_mailbox.confirmation_link("lotte@example.org")
    page.goto(link[:-4] + "xxxx")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Deze bevestigingslink is niet geldig.")
    check_page(page, "confirm-refused")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Bevestig je e-mailadres")
    check_page(page, "confirm")
    page.get_by_role("button", name="Bevestig mijn e-mailadres").click()
    expect(page).to_have_url(re.compile(r"/account/login$"))
    expect(page.get_by_role("status")).to_contain_text("Je e-mailadres is bevestigd.")
    check_page(page, "confirmed")
    page.get_by_label("E-mailadres").fill("lotte@example.org")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()

    page.get_by_role("link", name="Lotte Leerling").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Je profiel")
    check_page(page, "profile")

    # The profile has log-out buttons of its own since issue 16 (its sessions): the header's.
    page.get_by_role("navigation", name="Account").get_by_role(
        "button", name="Uitloggen").click()
    expect(page.get_by_role("link", name="Inloggen")).to_be_visible()

    _log_in(page, base, "lotte@example.org", "verkeerd wachtwoord")
    expect(page.get_by_role("alert")).to_be_visible()
    check_page(page, "login-failed")
    _log_in(page, base, "lotte@example.org", PASSWORD)
    expect(page.get_by_role("link", name="Lotte Leerling")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.get_by_role("link", name="Lotte Leerling").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")

    page.get_by_role("navigation", name="Account").get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto(base + "/account/profile")
    expect(page).to_have_url(re.compile(r"/account/login\?next="))


def test_teacher_request_and_admin_approval(page: Page, browser, live_server, live_mailbox,
                                            check_page):
    base = live_server.url
    admin_email, admin_password = _create_admin(live_server)

    page.goto(base + "/account/register")
    page.get_by_label("Weergavenaam").fill("Daan Docent")
    page.get_by_label("E-mailadres").fill("daan@example.org")
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_label("Herhaal wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Account aanmaken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kijk in je mailbox")
    page.goto(live_mailbox.confirmation_link("daan@example.org"))
    page.get_by_role("button", name="Bevestig mijn e-mailadres").click()
    _log_in(page, base, "daan@example.org", PASSWORD)
    page.goto(base + "/account/teacher-request")
    check_page(page, "teacher-request")
    page.get_by_label("School of instelling").fill("Stedelijk Gymnasium")
    page.get_by_role("textbox", name=re.compile("docentrol")).fill("Ik geef natuurkunde.")
    page.get_by_role("button", name="Aanvraag versturen").click()
    expect(page.get_by_text("Wacht op een besluit")).to_be_visible()

    admin = browser.new_page()
    _log_in(admin, base, admin_email, admin_password)
    admin.get_by_role("link", name="Beheer", exact=True).click()
    check_page(admin, "admin-users")
    admin.get_by_role("link", name="Aanvragen docentrol", exact=True).click()
    expect(admin.get_by_text("Stedelijk Gymnasium")).to_be_visible()
    check_page(admin, "admin-teacher-requests")
    admin.get_by_role("button", name="Goedkeuren").click()
    expect(admin.get_by_role("status")).to_be_visible()

    admin.goto(base + "/admin/users?q=daan")
    admin.get_by_role("link", name="Daan Docent").click()
    check_page(admin, "admin-user")
    expect(admin.get_by_text(re.compile(r"Docent:\s*ja"))).to_be_visible()
    admin.close()

    page.reload()
    expect(page.get_by_text("Goedgekeurd")).to_be_visible()


def test_keyboard_user_can_skip_to_the_content(page: Page, live_server, check_page):
    page.goto(live_server.url + "/search?q=breuken")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Direct naar de inhoud")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    check_page(page, "search")


def test_error_pages_are_accessible(page: Page, live_server, check_page):
    response = page.goto(live_server.url + "/bestaat-niet")
    assert response.status == 404
    expect(page.get_by_role("link", name="Naar de startpagina")).to_be_visible()
    check_page(page, "not-found")
