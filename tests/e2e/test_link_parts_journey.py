"""A teacher adds a web link to an arrangement in the builder, by keyboard, with the fields
named for screen readers; a wrong address is refused in place with the typed text kept.
After saving, the link is on the arrangement page, marked as leaving the portal, and its
own part page has the address and a button to open it.  The journey runs in English; axe
checks the builder and the arrangement pages at 1280 and 390 px."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_remix_journey import _create_user, _english_login

pytestmark = pytest.mark.e2e

FILM = "https://beeldbank.example.org/dijken/film-2"


def test_a_teacher_adds_a_web_link_and_readers_see_it_leave_the_portal(
        page: Page, live_server, check_page):
    base = live_server.url
    anna = _create_user(live_server, "anna", "Anna Aalders", "teacher")
    tag = f"t{uuid.uuid4().hex[:6]}"
    title = f"Hoog water {tag}"
    status = page.locator("#builder-status")

    _english_login(page, base, anna)
    page.goto(base + "/materials/new/arrangement")
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_role("button", name="Add a section").press("Enter")
    expect(page.get_by_label("Title of section 1")).to_be_focused()
    page.keyboard.type("Dijken")

    # The link's fields are labelled; Enter in them adds the link (not saving the page).
    link_group = page.get_by_role("group", name="Add a web link")
    link_group.get_by_label("Title of the link").fill("Filmpje over dijken")
    address = link_group.get_by_label("Web address")
    address.fill("javascript:alert(1)")
    address.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("A link needs a full web address")
    expect(page.get_by_label("Title of the link")).to_be_focused()
    expect(page.get_by_label("Title of the link")).to_have_value("Filmpje over dijken")
    expect(page.locator("#part-1")).to_have_count(0)

    page.get_by_label("Web address", exact=True).fill(FILM)
    page.get_by_label("Web address", exact=True).press("Enter")
    expect(status).to_have_text("Link 1.1 added.")
    expect(page.get_by_label("Title of link 1.1")).to_be_focused()
    expect(page.get_by_label("Web address of link 1.1")).to_have_value(FILM)
    expect(page.get_by_label("Title of the link")).to_have_value("")
    expect(page.get_by_role("button", name="Remove: 1.1 Filmpje over dijken")).to_be_visible()
    check_page(page, "link-parts-builder")

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    contents = page.get_by_role("region", name="Contents")
    film = contents.get_by_role("link", name="Filmpje over dijken")
    expect(film).to_have_attribute("href", FILM)
    expect(contents).to_contain_text("(other website)")
    check_page(page, "link-parts-arrangement")

    contents.get_by_role("link", name="Start with part 1.1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Filmpje over dijken")
    expect(page.get_by_text(FILM, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Open the website")).to_have_attribute("href", FILM)
    check_page(page, "link-parts-part")
