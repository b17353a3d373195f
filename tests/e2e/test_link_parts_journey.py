"""A teacher adds a web link to an arrangement in the builder, by keyboard, with the fields
named for screen readers; a wrong address is refused in place with the typed text kept.
After saving, the link is on the arrangement page, marked as leaving the portal, and its
own part page has the address and a button to open it.  The journey runs in English; axe
checks the builder and the arrangement pages at 1280 and 390 px."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_remix_journey import _create_user, _english_login
from tests.fixtures.records import make_record

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

    # "Find" offers lessons of other collections too; one becomes a link part.
    harvested = f"Stormvloedkering {tag}"
    make_record(live_server.app, harvested, f"https://wikiwijs.example.org/{tag}/kering")
    page.get_by_label("Include a material").fill(tag)
    page.get_by_label("Include a material").press("Enter")
    expect(status).to_contain_text("1 record from other collections found.")
    page.get_by_role("button", name=f"Add {harvested} as a web link").press("Enter")
    expect(status).to_have_text("Link 1.2 added.")
    expect(page.get_by_label("Title of link 1.2")).to_be_focused()
    expect(page.locator("#part-2")).to_contain_text("From the collection Wikiwijs")
    check_page(page, "link-parts-builder")

    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    contents = page.get_by_role("region", name="Contents")
    film = contents.get_by_role("link", name="Filmpje over dijken")
    expect(film).to_have_attribute("href", FILM)
    expect(contents).to_contain_text("(other website)")
    expect(contents).to_contain_text("(Wikiwijs · other website)")
    check_page(page, "link-parts-arrangement")

    contents.get_by_role("link", name="Start with part 1.1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Filmpje over dijken")
    expect(page.get_by_text(FILM, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Open the website")).to_have_attribute("href", FILM)
    check_page(page, "link-parts-part")



def _list_with(live_server, owner_email: str, name: str, material_id: int,
               record_id: int) -> None:
    """The teacher's list holding the portal lesson, then the harvested record (as the
    search results' "add to list" form leaves it; the collections journey uses that form)."""
    from oer_portal.accounts import service as accounts
    from oer_portal.core.uow import current_uow
    from oer_portal.lists import service

    with live_server.app.app_context():
        owner = accounts.find_by_email(owner_email)
        made = service.create_list(owner, name)
        service.add_item(owner, made.id, material_id)
        service.add_record(owner, made.id, record_id)
        current_uow().commit()


def test_a_harvested_lesson_on_a_list_becomes_a_link_part(page: Page, live_server,
                                                          check_page):
    """A lesson of another collection sits on a teacher's list beside a portal lesson, is
    moved up by keyboard, and becomes a link part of the arrangement made from the list."""
    from tests.e2e.test_remix_journey import _published_lesson

    base = live_server.url
    anna = _create_user(live_server, "anna", "Anna Aalders", "teacher")
    moderator = _create_user(live_server, "mo", "Mo Moderator", "moderator")
    tag = f"t{uuid.uuid4().hex[:6]}"
    lesson = f"Dijken bouwen {tag}"
    harvested = f"Getijden en stormvloed {tag}"
    material_id = _published_lesson(live_server, anna, moderator, lesson)
    record = make_record(live_server.app, harvested,
                         f"https://wikiwijs.example.org/{tag}/getijden")
    _list_with(live_server, anna, f"Water {tag}", material_id, record)

    _english_login(page, base, anna)
    page.goto(base + "/my/lists")
    page.get_by_role("link", name=f"Water {tag}").click()
    items = page.get_by_role("list", name="Materials")
    expect(items.get_by_role("listitem")).to_have_count(2)
    card = items.get_by_role("article", name=harvested)
    expect(card).to_contain_text("From the collection Wikiwijs")
    expect(card.get_by_role("link", name=harvested)).to_have_attribute(
        "href", f"https://wikiwijs.example.org/{tag}/getijden")
    check_page(page, "link-parts-list")

    # The hidden part of the name is a block of its own: a space before the colon.
    page.get_by_role("button", name=re.compile(rf"^Move up\s*: {harvested}$")).press("Enter")
    expect(items.get_by_role("listitem").first).to_contain_text(harvested)
    page.get_by_role("button", name="Make an arrangement draft").press("Enter")
    expect(page.get_by_text("Your arrangement draft is made from the list.")).to_be_visible()
    expect(page.get_by_label("Title of link 1")).to_have_value(harvested)
    expect(page.get_by_label("Web address of link 1")).to_have_value(
        f"https://wikiwijs.example.org/{tag}/getijden")
    expect(page.locator("#part-0")).to_contain_text("From the collection Wikiwijs")
