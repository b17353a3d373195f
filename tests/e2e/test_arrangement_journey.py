"""A teacher builds an arrangement by keyboard: a section, a page, another teacher's
published lesson found by search; moves the page below the lesson (the focus stays on the
part's tools, so a move can be repeated), saves and submits.  After approval a student reads it
part by part.  Every page is checked by axe.  The journey runs in English."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_remix_journey import (
    _approve,
    _create_user,
    _english_login,
    _published_lesson,
)

pytestmark = pytest.mark.e2e


def test_build_an_arrangement_by_keyboard_and_read_it(page: Page, browser: Browser,
                                                      live_server, check_page):
    base = live_server.url
    anna = _create_user(live_server, "anna", "Anna Aalders", "teacher")
    bea = _create_user(live_server, "bea", "Bea Bakker", "teacher")
    moderator_email = _create_user(live_server, "mo", "Mo Moderator", "moderator")
    tag = uuid.uuid4().hex[:6]
    lesson_title = f"Breuken vergelijken {tag}"
    _published_lesson(live_server, bea, moderator_email, lesson_title)
    title = f"Rekenen met breuken {tag}"

    _english_login(page, base, anna)
    page.goto(base + "/materials/new")
    page.get_by_role("link", name="An arrangement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New arrangement")
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Introduction").fill("Drie lessen over breuken.")
    check_page(page, "arrangement-new")

    # A section: the new part's title field has the focus when the page comes back.
    page.get_by_role("button", name="Add a section").press("Enter")
    expect(page.get_by_label("Title of section 1")).to_be_focused()
    page.keyboard.type("Breuken op een rij")
    page.get_by_role("button", name="Add a page").press("Enter")
    expect(page.get_by_label("Title of page 1.1")).to_be_focused()
    page.keyboard.type("Wat is een breuk?")
    page.get_by_label("Text of page 1.1").fill("Een breuk is een **deel** van een geheel.")

    # Find the lesson by a word of its title; Enter in the search field searches
    # (builder.js).  Only the tag is unique: with "breuken" too, fewer than ten exact hits
    # are topped up with the other tests' lessons on breuken (the server is shared).
    page.get_by_label("Include a material").fill(tag)
    page.get_by_label("Include a material").press("Enter")
    expect(page.get_by_role("status")).to_contain_text("1 material found")
    page.get_by_role("button", name=f"Include {lesson_title}").press("Enter")
    expect(page.get_by_label("Which version")).to_be_focused()
    check_page(page, "arrangement-builder")

    # Move the page down below the lesson: as far down as it goes, so the focus moves from
    # the now disabled "Down" to "Up" on the same part.
    page.get_by_role("button", name="Down: 1.1 Wat is een breuk?").press("Enter")
    expect(page.get_by_role("button", name="Down: 1.2 Wat is een breuk?")).to_be_disabled()
    expect(page.get_by_role("button", name="Up: 1.2 Wat is een breuk?")).to_be_focused()
    expect(page.get_by_label("Title of page 1.2")).to_have_value("Wat is een breuk?")
    expect(page.get_by_label("Text of page 1.2")).to_have_value(
        "Een breuk is een **deel** van een geheel.")

    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.get_by_text("Saved and submitted for review.")).to_be_visible()
    arrangement_url = page.url
    expect(page.get_by_role("heading", name="Contents")).to_be_visible()
    check_page(page, "arrangement-draft")

    moderator = browser.new_context().new_page()
    _english_login(moderator, base, moderator_email)
    _approve(moderator, base, title)

    student = browser.new_context().new_page()
    student.goto(base + "/")
    student.get_by_role("button", name="English").click()
    student.goto(arrangement_url)
    expect(student.get_by_role("heading", level=1)).to_have_text(title)
    included = student.get_by_role("region", name="Included materials and their licences")
    expect(included).to_contain_text(f"“{lesson_title}” by Bea Bakker")
    check_page(student, "arrangement-overview")
    # The start skips the section's page, which only lists what the contents show.
    student.get_by_role("link", name="Start with part 1.1").click()
    expect(student.get_by_role("heading", level=1)).to_contain_text(lesson_title)
    expect(student.get_by_text("We vergelijken breuken op een getallenlijn.")).to_be_visible()
    check_page(student, "arrangement-part-material")
    student.get_by_role("link", name=re.compile("^Next:")).click()
    expect(student.locator(".lesson-body strong")).to_have_text("deel")
    check_page(student, "arrangement-part-page")
