"""Working together on a lesson in one journey, in Dutch: teacher Bea proposes a fix to
teacher Anna's published lesson; Anna finds it on her dashboard, reads the diff and accepts
it; the moderator approves the new version; the lesson's page credits Bea; a student writes
a review and adds the lesson to her favourites.  Every page is checked by axe, at the
desktop's width and a phone's."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_materials_journey import (
    _approve,
    _create_user,
    _log_in,
    _published_lesson,
)

pytestmark = pytest.mark.e2e

WRONG = "De helft van 3/4 is 3/6."
RIGHT = "De helft van 3/4 is 3/8."
LESSON = f"# Breuken halveren\n\nWe halveren breuken.\n\n{WRONG}\n\nOefen daarna zelf.\n"


def test_a_teacher_proposes_a_fix_the_author_accepts_and_the_credits_name_her(
        page: Page, browser: Browser, live_server, check_page):
    base = live_server.url
    anna = _create_user(live_server, "anna", "Anna Aalders", "teacher")
    bea = _create_user(live_server, "bea", "Bea Bakker", "teacher")
    mo = _create_user(live_server, "mo", "Moos Moderator", "moderator")
    title = f"Breuken halveren {uuid.uuid4().hex[:6]}"
    lesson_id = _published_lesson(live_server, anna, mo, title=title, body=LESSON,
                                  licence="CC-BY-4.0", language="nl")

    # --- Bea proposes the fix. ---
    _log_in(page, base, bea)
    page.goto(f"{base}/materials/{lesson_id}")
    page.get_by_role("link", name="Wijziging voorstellen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Wijziging voorstellen: {title}")
    expect(page.get_by_text("Je tekst draag je bij onder de licentie van het lesmateriaal"
                            )).to_be_visible()
    check_page(page, "proposal-form")
    page.get_by_label("Lestekst").fill(LESSON.replace(WRONG, RIGHT))
    page.get_by_label("Waarom stel je deze wijziging voor?").fill("3/6 moet 3/8 zijn")
    page.get_by_role("button", name="Voorstel versturen").click()
    expect(page.get_by_text("Je voorstel is naar de auteurs gestuurd.")).to_be_visible()
    check_page(page, "proposal-page-proposer")

    # --- Anna finds it on her dashboard, reads the diff and accepts. ---
    author_context = browser.new_context()
    author = author_context.new_page()
    _log_in(author, base, anna)
    author.goto(base + "/my/materials")
    expect(author.get_by_role("region", name="Voorgestelde wijzigingen in je lesmateriaal")
           ).to_be_visible()
    check_page(author, "proposal-dashboard")
    author.get_by_role("link", name="3/6 moet 3/8 zijn").click()
    expect(author.get_by_role("heading", level=1)).to_have_text(
        f"Voorgestelde wijziging in “{title}”")
    expect(author.get_by_role("region", name="Tekst")).to_contain_text("3/8")
    check_page(author, "proposal-page-author")
    author.get_by_role("button", name="Aannemen en ter beoordeling aanbieden").click()
    expect(author.get_by_text("Je hebt het voorstel aangenomen")).to_be_visible()

    # --- The moderator approves version 2. ---
    moderator_context = browser.new_context()
    moderator = moderator_context.new_page()
    _log_in(moderator, base, mo)
    moderator.goto(base + "/my/materials")
    _approve(moderator, title)

    # --- Anyone sees the fix, with Bea named as a contributor. ---
    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    visitor.goto(f"{base}/materials/{lesson_id}")
    expect(visitor.get_by_text(RIGHT)).to_be_visible()
    credits = visitor.locator(".credits__text")
    expect(credits).to_contain_text("Met bijdragen van Bea Bakker.")
    expect(credits.get_by_role("link", name="Bea Bakker")).to_be_visible()
    check_page(visitor, "proposal-credits")
    expect(visitor.get_by_role("link", name=re.compile("Wijziging voorstellen"))).to_have_count(0)

    # --- A student writes a review and keeps the lesson in her favourites. ---
    sam = _create_user(live_server, "sam", "Sam Student", "student")
    student_context = browser.new_context()
    student = student_context.new_page()
    _log_in(student, base, sam)
    student.goto(f"{base}/materials/{lesson_id}")
    student.get_by_role("link", name="Schrijf een recensie").click()
    student.get_by_label("5 sterren").check()
    student.get_by_label("Jouw recensie").fill("Nu klopt de uitleg over halveren.")
    student.get_by_role("button", name="Recensie opslaan").click()
    expect(student.get_by_text("Nu klopt de uitleg over halveren.")).to_be_visible()
    student.get_by_role("button", name="Aan favorieten toevoegen").click()
    expect(student.get_by_text("In je favorieten.")).to_be_visible()
    check_page(student, "proposal-lesson-student")
    student.goto(base + "/my/lists")
    student.get_by_role("link", name=re.compile("^Favorieten")).first.click()
    expect(student.get_by_role("link", name=title)).to_be_visible()
    check_page(student, "proposal-favourites")
    for context in (author_context, moderator_context, visitor_context, student_context):
        context.close()
