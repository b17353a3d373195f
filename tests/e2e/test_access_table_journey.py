"""A moderator opens the access table from the dashboard: every channel's table is there,
each cell names its outcome and links to its rule, and axe finds nothing serious (desktop and
phone)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from oer_portal.moderation.access_table import Channel
from tests.e2e.test_materials_journey import _create_user, _log_in

pytestmark = pytest.mark.e2e


def test_a_moderator_reads_who_sees_what(page: Page, live_server, check_page):
    base = live_server.url
    moderator_email = _create_user(live_server, "toegang", "Tom Toegang", "moderator")
    _log_in(page, base, moderator_email)
    page.goto(base + "/moderation/dashboard")
    page.get_by_role("link", name="Wie ziet wat: de toegangstabel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wie ziet wat")
    expect(page.locator("table.access-table")).to_have_count(len(Channel))
    table = page.get_by_role("table", name="Bijgevoegd bestand")
    expect(table.get_by_role("columnheader", name="Bezoeker (niet ingelogd)")).to_be_visible()
    draft = table.get_by_role("row", name="Concept (een nieuwe versie", exact=False)
    expect(draft.get_by_role("cell").nth(0)).to_contain_text("Niet gevonden (404)")
    draft.get_by_role("cell").nth(0).get_by_role("link").click()
    expect(page.locator(":target")).to_contain_text("Nooit gepubliceerd")
    check_page(page, "access-table")
