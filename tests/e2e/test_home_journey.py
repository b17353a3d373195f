"""A teacher opens the home page on a wide screen and on a phone, sees the newest lessons as
cards (one with a preview of its worksheet), and goes from the "havo" way in to the search
results with the keyboard only; axe checks the page at 1280 and at 390 pixels.

The live server's database is shared by the session, so the counts are compared with the
search they open rather than with fixed numbers."""

from __future__ import annotations

import io
import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.fixtures.samples import image_bytes

pytestmark = pytest.mark.e2e

PASSWORD = "een lang en sterk wachtwoord"
WITH_PREVIEW = "Kleurenleer met een werkblad"


@pytest.fixture(scope="module")
def seeded(live_server) -> str:
    """Two published havo lessons; the newer has an image, so its card has a preview."""
    from oer_portal.accounts import service as accounts
    from oer_portal.accounts.models import Role
    from oer_portal.core.uow import current_uow
    from oer_portal.extensions import db
    from oer_portal.materials import lifecycle
    from oer_portal.materials.attachments import Upload, store_upload
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind, MaterialVersion
    from oer_portal.materials.service import create_material

    tag = uuid.uuid4().hex[:8]
    with live_server.app.app_context():
        image = store_upload(Upload(io.BytesIO(image_bytes(size=(120, 160))), "werkblad.png"))
        current_uow().commit()  # makes the thumbnail
        teacher = accounts.create_user(f"docent-home-{tag}@example.org", "Hanna Havo",
                                       PASSWORD, [Role.TEACHER])
        moderator = accounts.create_user(f"moderator-home-{tag}@example.org", "Mo Moderator",
                                         PASSWORD, [Role.MODERATOR])
        db.session.flush()
        for title, subject, attachments in (
                ("Breuken op de getallenlijn", "mathematics", []),
                (WITH_PREVIEW, "arts", [image])):
            material = create_material(teacher, MaterialKind.LESSON, VersionFields(
                title=title, description="Een les voor de tweede klas.", body="Aan de slag.\n",
                language="nl", subjects=(subject,), levels=("havo",)), attachments)
            db.session.flush()
            lifecycle.publish(material, db.session.get(MaterialVersion,
                                                       material.latest_version_id), moderator)
            current_uow().commit()  # one after the other: the preview is the newest
    return tag


def test_home_page_on_a_wide_screen_and_a_phone(page: Page, live_server, seeded,
                                                check_page):
    base = live_server.url
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base + "/")

    # --- The newest lessons as cards; the newest one shows a preview of its worksheet. ---
    newest = page.get_by_role("region", name="Nieuwste lesmaterialen")
    card = newest.get_by_role("article").filter(
        has=page.get_by_role("heading", name=WITH_PREVIEW, exact=True))
    expect(card).to_have_count(1)
    preview = card.get_by_role("img", name="Voorbeeld van werkblad.png")
    expect(preview).to_be_visible()
    preview.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=preview.element_handle())
    expect(card).to_contain_text("havo")
    expect(card).to_contain_text("CC BY")
    check_page(page, "home-desktop")

    # --- On a phone nothing is wider than the screen, and axe is still content. ---
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(base + "/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    check_page(page, "home-phone")

    # --- From the "havo" way in to its search results, with the keyboard only. ---
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base + "/")
    havo = page.locator('main a[href="/search?level=havo"]')
    count = int(re.sub(r"\D", "", havo.locator(".browse__count").inner_text()))
    assert count >= 2
    page.keyboard.press("Tab")  # the skip link, the first stop on every page
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    for _presses in range(30):
        page.keyboard.press("Tab")
        if havo.evaluate("element => element === document.activeElement"):
            break
    else:
        raise AssertionError("the havo link is not in the tab order")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?level=havo$"))
    expect(page.locator("#results-title")).to_have_text(re.compile(rf"^\s*{count} resultaten\b"))
