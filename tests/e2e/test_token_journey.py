"""API tokens in the browser, in Dutch: a teacher goes from the profile to the tokens page,
creates a token, sees it once with a copy button, finds it listed by name (never in full)
and revokes it.  Checked by axe at the desktop's width and a phone's."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_materials_journey import _create_user, _log_in

pytestmark = pytest.mark.e2e


def test_a_teacher_creates_sees_once_and_revokes_a_token(page: Page, live_server, check_page):
    base = live_server.url
    anna = _create_user(live_server, "anna-token", "Anna Aalders", "teacher")
    _log_in(page, base, anna)
    page.goto(f"{base}/account/profile")
    page.get_by_role("link", name="API-tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API-tokens")
    expect(page.get_by_text("Je hebt nog geen tokens.")).to_be_visible()
    check_page(page, "api-tokens leeg")

    page.get_by_label("Naam").fill("Koppeling met de ELO")
    page.get_by_label("Lezen en schrijven", exact=False).check()
    page.get_by_label("90 dagen").check()
    page.get_by_role("button", name="Token maken").click()

    token = page.get_by_label("Token", exact=True)
    expect(token).to_have_value(re.compile(r"^oer_pat_[\w-]{40,}$"))
    secret = token.input_value()
    expect(page.get_by_role("button", name="Token kopiëren")).to_be_visible()
    item = page.locator(".token-list__item", has_text="Koppeling met de ELO")
    expect(item).to_contain_text("lezen en schrijven")
    expect(item).to_contain_text(secret[:12])
    check_page(page, "api-token gemaakt")

    page.goto(f"{base}/account/tokens")
    assert secret not in page.content()
    page.get_by_role("button", name="Intrekken Koppeling met de ELO").click()
    expect(page.get_by_text("Het token is ingetrokken")).to_be_visible()
    expect(page.locator(".token-list__item", has_text="Koppeling met de ELO")
           ).to_contain_text("Ingetrokken op")
    expect(page.get_by_role("button", name="Intrekken Koppeling met de ELO")).to_have_count(0)
