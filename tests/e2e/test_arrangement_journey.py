"""A teacher builds an arrangement of three published lessons in two sections, by keyboard.

With JavaScript every builder button changes the outline in place (``builder.js`` swaps in
the server's fragment), so the whole build is two page loads: opening the builder and the
saved arrangement.  The focus stays on the part the teacher works on, a live region says
what changed, and leaving with unsaved work asks first.  Without JavaScript the same forms
still work, one page load per button.  After approval a student reads the arrangement: next
and previous go from lesson to lesson, past the pages of the sections.  The journeys run in
English; axe checks every page it can (it needs JavaScript).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.e2e.test_remix_journey import (
    _approve,
    _create_user,
    _english_login,
    _published_lesson,
)

pytestmark = pytest.mark.e2e

#: Opening "new arrangement" and the saved arrangement (the brief allows at most 4).
MAX_LOADS = 4


@dataclass
class Lessons:
    tag: str
    first: str
    second: str
    third: str


def _three_lessons(live_server, owner: str, moderator: str) -> Lessons:
    """Three published lessons whose titles share a tag no other test uses (the server and
    its index are shared).  The tag starts with a letter: digits alone in the search field
    are a material's number."""
    tag = f"t{uuid.uuid4().hex[:6]}"
    lessons = Lessons(tag, f"Breuken vergelijken {tag}", f"Breuken optellen {tag}",
                      f"Breuken vermenigvuldigen {tag}")
    for title in (lessons.first, lessons.second, lessons.third):
        _published_lesson(live_server, owner, moderator, title)
    return lessons


def _main_frame_loads(page: Page) -> list[str]:
    """Every page load of ``page`` from now on (main-frame navigations), by address."""
    loads: list[str] = []
    page.on("framenavigated",
            lambda frame: loads.append(frame.url) if frame == page.main_frame else None)
    return loads


def _find(page: Page, words: str, javascript: bool) -> None:
    field = page.get_by_label("Include a material")
    field.fill(words)
    if javascript:
        field.press("Enter")  # builder.js: Enter searches (without it, Enter saves)
    else:
        page.get_by_role("button", name="Find", exact=True).click()


def _second_section(page: Page, lessons: Lessons, javascript: bool) -> None:
    """Section 2 after the two lessons of section 1, holding the third lesson (part 4)."""
    page.get_by_role("button", name="Add a section").press("Enter")
    expect(page.get_by_label("Title of section 2")).to_be_focused()
    page.keyboard.type("Verder rekenen")
    _find(page, lessons.tag, javascript)
    page.get_by_role("button", name=f"Include {lessons.third}").press("Enter")
    expect(page.locator("#node-4-pin")).to_be_focused()


def test_build_an_arrangement_in_place_in_two_page_loads_and_read_it(
        page: Page, browser: Browser, live_server, check_page):
    base = live_server.url
    anna = _create_user(live_server, "anna", "Anna Aalders", "teacher")
    bea = _create_user(live_server, "bea", "Bea Bakker", "teacher")
    moderator_email = _create_user(live_server, "mo", "Mo Moderator", "moderator")
    lessons = _three_lessons(live_server, bea, moderator_email)
    title = f"Rekenen met breuken {lessons.tag}"
    status = page.locator("#builder-status")  # the live region builder.js speaks through

    _english_login(page, base, anna)
    page.goto(base + "/materials/new")
    loads = _main_frame_loads(page)
    page.get_by_role("link", name="An arrangement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New arrangement")
    builder_url = page.url
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Introduction").fill("Drie lessen over breuken.")

    # A section: in place, the new part's title field gets the focus.
    page.get_by_role("button", name="Add a section").press("Enter")
    expect(page.get_by_label("Title of section 1")).to_be_focused()
    expect(status).to_have_text("Section 1 added.")
    page.keyboard.type("Breuken begrijpen")

    # Enter in the search field searches; the results appear in place.
    _find(page, lessons.tag, javascript=True)
    expect(status).to_have_text("3 materials found.")
    expect(page.get_by_label("Include a material")).to_be_focused()
    page.get_by_role("button", name=f"Include {lessons.second}").press("Enter")
    expect(page.locator("#node-1-pin")).to_be_focused()
    expect(status).to_have_text(f"“{lessons.second}” included as part 1.1.")
    _find(page, lessons.tag, javascript=True)
    page.get_by_role("button", name=f"Include {lessons.first}").press("Enter")
    expect(page.locator("#node-2-pin")).to_be_focused()

    # The first lesson goes up, as far as it can: the focus moves from the disabled "Up"
    # to "Down" on the same part, and the typed section title is still there.
    page.get_by_role("button", name=f"Up: 1.2 {lessons.first}").press("Enter")
    expect(page.get_by_role("button", name=f"Up: 1.1 {lessons.first}")).to_be_disabled()
    expect(page.get_by_role("button", name=f"Down: 1.1 {lessons.first}")).to_be_focused()
    expect(status).to_have_text("Moved up: now part 1.1.")
    expect(page.get_by_label("Title of section 1")).to_have_value("Breuken begrijpen")
    # The lessons sit inside the section, and look it (a class: CSP drops style attributes).
    expect(page.locator("#part-1")).to_have_css("margin-left", "24px")

    _second_section(page, lessons, javascript=True)
    expect(status).to_have_text(f"“{lessons.third}” included as part 2.1.")
    assert page.url == builder_url and len(loads) == 1, loads

    page.set_viewport_size({"width": 1280, "height": 900})
    check_page(page, "arrangement-builder-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    check_page(page, "arrangement-builder-390")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    save = page.get_by_role("button", name="Save and submit for review")
    expect(save).to_be_in_viewport()  # the action bar sticks to the bottom of the window
    page.set_viewport_size({"width": 1280, "height": 900})

    # Leaving with unsaved work asks first; staying keeps everything.
    dialogs: list[str] = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.get_by_role("link", name="My materials").click()
    expect(page.get_by_label("Title of section 2")).to_have_value("Verder rekenen")
    assert dialogs == ["beforeunload"] and page.url == builder_url

    save.click()
    expect(page.get_by_text("Saved and submitted for review.")).to_be_visible()
    arrangement_url = page.url
    assert len(loads) <= MAX_LOADS, loads
    assert len(loads) == 2, loads  # the builder and the saved arrangement
    expect(page.get_by_role("heading", name="Contents")).to_be_visible()
    check_page(page, "arrangement-draft")

    moderator = browser.new_context().new_page()
    _english_login(moderator, base, moderator_email)
    _approve(moderator, base, title)

    # Reading: next and previous go from lesson to lesson, past the sections' own pages.
    student = browser.new_context().new_page()
    student.goto(base + "/")
    student.get_by_role("button", name="English").click()
    expect(student.locator("html")).to_have_attribute("lang", "en")
    student.goto(arrangement_url)
    expect(student.get_by_role("heading", level=1)).to_have_text(title)
    included = student.get_by_role("region", name="Included materials and their licences")
    expect(included).to_contain_text(f"“{lessons.first}” by Bea Bakker")
    check_page(student, "arrangement-overview")
    student.get_by_role("link", name="Start with part 1.1").click()
    expect(student.get_by_role("heading", level=1)).to_contain_text(lessons.first)
    expect(student.get_by_text("We vergelijken breuken op een getallenlijn.")).to_be_visible()
    check_page(student, "arrangement-part-material")
    student.get_by_role("link", name=re.compile("^Next:")).click()
    expect(student.get_by_role("heading", level=1)).to_contain_text(lessons.second)
    student.get_by_role("link", name=re.compile("^Next:")).click()
    expect(student.get_by_role("heading", level=1)).to_contain_text(lessons.third)
    student.get_by_role("link", name=re.compile("Previous:")).click()
    expect(student.get_by_role("heading", level=1)).to_contain_text(lessons.second)
    # The section's own page: from the breadcrumbs and the table of contents.
    student.get_by_role("navigation", name="Where you are").get_by_role(
        "link", name="1 Breuken begrijpen").click()
    expect(student.get_by_role("heading", level=1)).to_contain_text("Breuken begrijpen")
    check_page(student, "arrangement-part-section")


def test_typing_while_a_change_is_on_its_way_is_kept(page: Page, live_server):
    """The swap replaces the builder's fields; text typed before the answer arrived is sent
    again with the change, never dropped."""
    base = live_server.url
    anna = _create_user(live_server, "anna", "Anna Aalders", "teacher")
    _english_login(page, base, anna)
    page.goto(base + "/materials/new/arrangement")
    page.get_by_role("button", name="Add a section").click()
    expect(page.get_by_label("Title of section 1")).to_be_focused()

    held: list[Route] = []

    def hold_the_first(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/materials/new/arrangement/builder", hold_the_first)
    page.get_by_role("button", name="Add a page").click()
    page.wait_for_function("document.querySelector('#builder[aria-busy]') !== null")
    page.get_by_label("Title of section 1").fill("Getypt terwijl het laadde")
    # The route handler runs when Playwright next waits: on a loaded machine the request may
    # reach it only now (the builder was busy before the fetch left the page).
    for _ in range(500):
        if held:
            break
        page.wait_for_timeout(10)
    held[0].continue_()
    expect(page.get_by_label("Title of page 1.1")).to_be_focused()
    expect(page.get_by_label("Title of section 1")).to_have_value("Getypt terwijl het laadde")


def test_the_builder_still_works_without_javascript(browser: Browser, live_server):
    """The same three-lesson build with every button a page load of its own, as before
    builder.js: counted, so the reduction is measured rather than claimed."""
    base = live_server.url
    anna = _create_user(live_server, "anna", "Anna Aalders", "teacher")
    bea = _create_user(live_server, "bea", "Bea Bakker", "teacher")
    moderator_email = _create_user(live_server, "mo", "Mo Moderator", "moderator")
    lessons = _three_lessons(live_server, bea, moderator_email)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _english_login(page, base, anna)
        page.goto(base + "/materials/new")
        loads = _main_frame_loads(page)
        page.get_by_role("link", name="An arrangement").click()
        page.get_by_label("Title", exact=True).fill(f"Zonder script {lessons.tag}")

        page.get_by_role("button", name="Add a section").press("Enter")
        expect(page.get_by_label("Title of section 1")).to_be_focused()  # autofocus
        page.keyboard.type("Breuken begrijpen")
        for number, lesson in enumerate((lessons.second, lessons.first), start=1):
            _find(page, lessons.tag, javascript=False)
            expect(page.get_by_text("3 materials found:")).to_be_visible()
            page.get_by_role("button", name=f"Include {lesson}").press("Enter")
            expect(page.locator(f"#node-{number}-pin")).to_be_focused()
        page.get_by_role("button", name=f"Up: 1.2 {lessons.first}").press("Enter")
        expect(page.get_by_role("button", name=f"Down: 1.1 {lessons.first}")).to_be_focused()
        _second_section(page, lessons, javascript=False)
        expect(page.get_by_label("Title of section 1")).to_have_value("Breuken begrijpen")

        page.get_by_role("button", name="Save draft").click()
        expect(page.get_by_role("heading", name="Contents")).to_be_visible()
        expect(page.locator(".toc").first.get_by_role("link")).to_have_text(
            ["Breuken begrijpen", lessons.first, lessons.second, "Verder rekenen",
             lessons.third])
        assert len(loads) == 11, loads  # one per button, and the save
    finally:
        context.close()
