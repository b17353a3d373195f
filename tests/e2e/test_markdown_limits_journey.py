"""Issue 16: the live preview says why a text over the limits is not rendered, in place of
the preview, instead of leaving the last preview standing."""

from __future__ import annotations

import os

from playwright.sync_api import Page, expect

from oer_portal.core.markdown_limits import MAX_NESTING
from tests.e2e.test_materials_journey import _create_user, _log_in


def test_the_live_preview_shows_why_a_text_is_not_rendered(page: Page, live_server,
                                                           check_page):
    teacher = _create_user(live_server, "docent-grens", "Gijs Grens", "teacher")
    _log_in(page, live_server.url, teacher)
    page.goto(live_server.url + "/materials/new/lesson")
    preview = page.get_by_role("region", name="Voorbeeld")
    body = page.get_by_label("Lestekst")
    body.fill("## Gewone kop\n\nTekst.")
    expect(preview.get_by_role("heading", name="Gewone kop")).to_be_visible()

    body.fill("## Gewone kop\n\n" + "> " * (MAX_NESTING + 1) + "te diep")
    expect(preview.locator(".preview-refused")).to_contain_text(f"maximaal {MAX_NESTING} niveaus")
    expect(preview.get_by_role("heading", name="Gewone kop")).to_have_count(0)
    shots = os.environ.get("OER_SHOTS")
    if shots:
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            preview.scroll_into_view_if_needed()
            page.screenshot(path=f"{shots}/preview-refused-{width}.png")
        page.set_viewport_size({"width": 1280, "height": 900})
    check_page(page, "lesson-preview-refused")
