"""Forgotten password: ask for a link, follow it from the mail, choose a new password; the
session of another browser is over; the profile lists the sessions and "log out everywhere
else" ends the others (issue 16).  Every new page is checked by axe."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

OLD = "een oud en lang wachtwoord"
NEW = "een nieuw en nog langer wachtwoord"


@pytest.fixture()
def outbox(live_server) -> Iterator[list[Any]]:
    """The live app's mail goes to flask_mailman's in-memory outbox for this test."""
    mailman = live_server.app.extensions["mailman"]
    before = mailman.backend
    mailman.backend = "locmem"
    mailman.outbox = []
    yield mailman.outbox
    mailman.backend = before


def _create_user(live_server) -> str:
    from oer_portal.accounts import service
    from oer_portal.accounts.models import Role
    from oer_portal.core.uow import current_uow

    email = f"vergeten-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        service.create_user(email, "Vera Vergeetachtig", OLD, [Role.TEACHER])
        current_uow().commit()
    return email


def _log_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(base + "/account/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord", exact=True).fill(password)
    page.get_by_role("button", name="Inloggen").click()


def test_forgot_password_reset_and_log_out_everywhere_else(
        page: Page, browser: Browser, live_server, check_page, outbox):
    base = live_server.url
    email = _create_user(live_server)
    laptop = browser.new_context().new_page()  # an old session elsewhere
    _log_in(laptop, base, email, OLD)
    laptop.goto(base + "/account/profile")
    expect(laptop.get_by_role("heading", level=1)).to_have_text("Je profiel")

    page.goto(base + "/account/login")
    page.get_by_role("link", name="Wachtwoord vergeten?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wachtwoord vergeten?")
    check_page(page, "forgot-password")
    page.get_by_role("button", name="Stuur me een link").click()  # empty form
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_role("button", name="Stuur me een link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kijk in je e-mail")
    check_page(page, "forgot-password-sent")

    # The mail leaves after the answer (its timing must not tell that the account exists).
    expect(page.get_by_role("heading", level=1)).to_have_text("Kijk in je e-mail")
    for _ in range(50):
        if outbox:
            break
        page.wait_for_timeout(100)
    [message] = outbox
    assert message.to == [f"Vera Vergeetachtig <{email}>"]
    link = re.search(r"http://\S+/account/reset/\S+", message.body)[0]
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Kies een nieuw wachtwoord")
    check_page(page, "reset-password")
    page.get_by_label("Nieuw wachtwoord", exact=True).fill(NEW)
    page.get_by_label("Herhaal nieuw wachtwoord").fill(NEW)
    page.get_by_role("button", name="Nieuw wachtwoord instellen").click()
    expect(page).to_have_url(re.compile(r"/account/login$"))
    expect(page.get_by_role("status")).to_contain_text("overal uitgelogd")

    page.goto(link)  # the link worked once
    expect(page.get_by_role("heading", level=1)).to_have_text("Link niet meer geldig")
    check_page(page, "reset-link-used")

    laptop.goto(base + "/account/profile")  # the old session is over
    expect(laptop).to_have_url(re.compile(r"/account/login"))

    phone = browser.new_context(user_agent=(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")).new_page()
    _log_in(phone, base, email, NEW)
    _log_in(page, base, email, NEW)
    page.goto(base + "/account/profile")
    sessions = page.get_by_role("region", name="Waar je bent ingelogd")
    expect(sessions.get_by_role("listitem")).to_have_count(2)
    expect(sessions).to_contain_text("Safari op iOS")
    expect(sessions.get_by_text("Deze browser")).to_have_count(1)
    check_page(page, "profile-sessions")

    sessions.get_by_role("button", name="Overal elders uitloggen").click()
    expect(page.get_by_role("status")).to_contain_text("overal elders uitgelogd")
    expect(page.get_by_role("region", name="Waar je bent ingelogd")
           .get_by_role("listitem")).to_have_count(1)
    phone.goto(base + "/account/profile")
    expect(phone).to_have_url(re.compile(r"/account/login"))
    page.goto(base + "/account/profile")
    expect(page.get_by_role("heading", level=1)).to_have_text("Je profiel")
    for other in (laptop, phone):
        other.context.close()
