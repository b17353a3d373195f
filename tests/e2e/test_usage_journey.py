"""Statistics for authors in the browser, in Dutch: a reader opens a lesson; its author finds
the link on the lesson's page, sees the chart and opens the table behind it.  Every page is
checked by axe, at the desktop's width and a phone's."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_materials_journey import _create_user, _log_in, _published_lesson

pytestmark = pytest.mark.e2e

#: Playwright's headless Chromium calls itself "HeadlessChrome", which is not counted.
READER_AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/120.0 Safari/537.36")


def test_an_author_sees_a_readers_view_in_the_chart_and_table(
        page: Page, browser: Browser, live_server, check_page):
    base = live_server.url
    anna = _create_user(live_server, "anna", "Anna Aalders", "teacher")
    mo = _create_user(live_server, "mo", "Moos Moderator", "moderator")
    title = f"Breuken vergelijken {uuid.uuid4().hex[:6]}"
    lesson = _published_lesson(live_server, anna, mo, title=title, body="Regel een\n",
                               language="nl")

    reader = browser.new_context(user_agent=READER_AGENT)
    reader.new_page().goto(f"{base}/materials/{lesson}")
    reader.close()

    _log_in(page, base, anna)
    page.goto(f"{base}/materials/{lesson}")
    page.get_by_role("link", name="Weergaven en downloads per dag").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Statistieken: {title}")
    expect(page.get_by_role("img", name="Weergaven en downloads per dag, de laatste 30 dagen")
           ).to_be_visible()
    check_page(page, "statistieken")
    page.get_by_text("De getallen per dag").click()
    table = page.get_by_role("table", name="Weergaven en downloads per dag, de laatste 30 dagen")
    expect(table.locator("tfoot td").first).to_have_text("1")
    page.goto(f"{base}/my/materials")
    statistics = page.get_by_role("link", name=f"{title} — statistieken")
    expect(statistics).to_be_visible()
    expect(statistics.locator("xpath=ancestor::tr/td").first).to_have_text("1")
    check_page(page, "dashboard met statistieken")
