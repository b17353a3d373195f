"""A teacher who used a published lesson in class writes a review with a level; a student
writes one too and finds the teacher's helpful; the student switches to "most helpful
first"; a third user reports the student's review ("Meld deze recensie"); the moderator
opens the review from the report, hides it with a reason, and its author still reads it with
the reason.  Every page is checked by axe.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_materials_journey import _create_user, _log_in, _published_lesson

pytestmark = pytest.mark.e2e


def test_reviews_are_written_voted_reported_and_hidden(page: Page, browser: Browser,
                                                       live_server, check_page):
    base = live_server.url
    author = _create_user(live_server, "auteur", "Tess Teacher", "teacher")
    colleague = _create_user(live_server, "collega", "Kees Collega", "teacher")
    student = _create_user(live_server, "leerling", "Sien Student", "student")
    reporter = _create_user(live_server, "melder", "Mats Melder", "student")
    moderator = _create_user(live_server, "mod", "Mila Moderator", "moderator")
    title = f"Bladeren tellen {uuid.uuid4().hex[:6]}"
    material_id = _published_lesson(
        live_server, author, moderator, title=title, description="Leerlingen tellen bladeren.",
        body="Tel de bladeren.\n", language="nl", subjects=("biology",), levels=("havo",))

    # --- The colleague writes a review and marks "used in my class" with a level. ---
    _log_in(page, base, colleague)
    page.goto(f"{base}/materials/{material_id}")
    page.get_by_role("link", name="Schrijf een recensie").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schrijf een recensie")
    check_page(page, "review-form")
    page.get_by_label("4 sterren").check()
    page.get_by_label("Titel (niet verplicht)").fill("Werkt goed in 4 havo")
    page.get_by_label("Jouw recensie").fill("Duidelijke opdracht.\nDe klas was enthousiast.")
    page.get_by_label("Ik heb dit lesmateriaal in mijn klas gebruikt").check()
    page.get_by_label("Niveau van die klas").select_option("havo")
    page.get_by_role("button", name="Recensie opslaan").click()
    expect(page.get_by_text("Bedankt voor je recensie.")).to_be_visible()
    expect(page.get_by_text("Gebruikt in de klas, niveau: havo")).to_be_visible()
    check_page(page, "material-with-review")

    # --- A student writes one and finds the colleague's helpful. ---
    student_context = browser.new_context()
    sien = student_context.new_page()
    _log_in(sien, base, student)
    sien.goto(f"{base}/materials/{material_id}/reviews/new")
    sien.get_by_role("button", name="Recensie opslaan").click()  # nothing filled in
    expect(sien.get_by_role("alert")).to_contain_text("Schrijf je recensie.")
    sien.get_by_label("2 sterren").check()
    sien.get_by_label("Jouw recensie").fill("Saai en veel te kort.")
    sien.get_by_role("button", name="Recensie opslaan").click()
    teachers = sien.get_by_role("article", name="Werkt goed in 4 havo")
    teachers.get_by_role("button", name="Nuttig").click()
    expect(sien.get_by_text("Bedankt: je stem is geteld.")).to_be_visible()
    expect(sien.get_by_role("article", name="Werkt goed in 4 havo")).to_contain_text(
        "Jij vond dit nuttig.")
    sien.get_by_role("link", name="Nuttigste eerst").click()
    expect(sien.get_by_role("heading", level=1)).to_contain_text("Recensies van")
    expect(sien.locator("article.review-item").first).to_contain_text("Werkt goed in 4 havo")
    check_page(sien, "reviews-most-helpful")

    # --- Someone reports the student's review. ---
    reporter_context = browser.new_context()
    mats = reporter_context.new_page()
    _log_in(mats, base, reporter)
    mats.goto(f"{base}/materials/{material_id}")
    mats.get_by_role("article", name="Recensie van Sien Student").get_by_role(
        "link", name="Meld deze recensie").click()
    expect(mats.get_by_role("heading", level=1)).to_have_text("Meld deze recensie")
    check_page(mats, "report-review-form")
    mats.get_by_label("Spam of reclame").check()
    mats.get_by_label("Toelichting").fill("Zegt niets over de les.")
    mats.get_by_role("button", name="Melding versturen").click()
    expect(mats.get_by_text("Dank je wel. De moderatoren bekijken je melding.")).to_be_visible()

    # --- The moderator finds the report, opens the review and hides it. ---
    moderator_context = browser.new_context()
    mila = moderator_context.new_page()
    _log_in(mila, base, moderator)
    mila.goto(base + "/moderation/reports")
    report = mila.get_by_role("article", name=title, exact=True)
    expect(report).to_contain_text("Over recensie #")
    expect(report).to_contain_text("Sien Student")
    review_address = report.inner_text().split("(", 1)[1].split(")", 1)[0]
    mila.goto(review_address)
    expect(mila.get_by_role("heading", level=1)).to_contain_text("Recensie van")
    check_page(mila, "review-page-moderator")
    mila.get_by_label("Reden om te verbergen").fill("Geen inhoudelijke recensie.")
    mila.get_by_role("button", name="Deze recensie verbergen").click()
    expect(mila.get_by_text("De recensie is verborgen. De schrijver ziet waarom.")) \
        .to_be_visible()

    # --- The public no longer sees it; its author does, with the reason. ---
    mats.goto(f"{base}/materials/{material_id}")
    expect(mats.get_by_text("Saai en veel te kort.")).to_have_count(0)
    sien.goto(f"{base}/materials/{material_id}")
    expect(sien.get_by_text("Saai en veel te kort.")).to_be_visible()
    expect(sien.get_by_text("Een moderator heeft deze recensie verborgen. Reden: Geen "
                            "inhoudelijke recensie.")).to_be_visible()
    check_page(sien, "hidden-review-for-author")
    for context in (student_context, reporter_context, moderator_context):
        context.close()
