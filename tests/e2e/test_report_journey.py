"""A student reports a published lesson from its page; the moderator finds the report under
"Meldingen over lesmateriaal", dismisses it with a note, and the student reads the outcome
in the inbox.  Then the moderator takes the lesson offline from its page (a visitor finds the
tombstone with the reason) and puts it back.  Every page is checked by axe, at the desktop's
width and a phone's.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_materials_journey import _create_user, _log_in, _published_lesson

pytestmark = pytest.mark.e2e


def test_a_report_is_dismissed_and_the_reporter_told_then_offline_and_back(
        page: Page, browser: Browser, live_server, check_page):
    base = live_server.url
    teacher_email = _create_user(live_server, "auteur", "Tess Teacher", "teacher")
    student_email = _create_user(live_server, "leerling", "Sien Student", "student")
    moderator_email = _create_user(live_server, "mod", "Mila Moderator", "moderator")
    title = f"Bladeren tellen {uuid.uuid4().hex[:6]}"
    material_id = _published_lesson(
        live_server, teacher_email, moderator_email, title=title,
        description="Leerlingen tellen bladeren.", body="Tel de bladeren.\n", language="nl",
        subjects=("biology",), levels=("havo",))

    # --- The student reports the lesson from its page. ---
    _log_in(page, base, student_email)
    page.goto(f"{base}/materials/{material_id}")
    page.get_by_role("link", name="Meld dit lesmateriaal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meld dit lesmateriaal")
    check_page(page, "report-form")
    page.get_by_role("button", name="Melding versturen").click()  # nothing chosen yet
    expect(page.get_by_role("alert")).to_contain_text("Kies wat er mis is met het lesmateriaal.")
    page.get_by_label("Onjuiste inhoud").check()
    page.get_by_label("Toelichting").fill("Een eik heeft geen naalden.")
    page.get_by_role("button", name="Melding versturen").click()
    expect(page.get_by_text("Dank je wel. De moderatoren bekijken je melding.")).to_be_visible()
    expect(page.get_by_text("Je hebt dit lesmateriaal gemeld: je melding is in behandeling."))\
        .to_be_visible()

    # --- The moderator finds it under "Meldingen over lesmateriaal", dismisses it with a note.
    moderator_context = browser.new_context()
    moderator = moderator_context.new_page()
    _log_in(moderator, base, moderator_email)
    moderator.goto(base + "/moderation/")
    moderator.get_by_role("navigation", name="Moderatie").get_by_role(
        "link", name="Meldingen over lesmateriaal").click()
    expect(moderator.get_by_role("heading", level=1)).to_have_text("Meldingen over lesmateriaal")
    report = moderator.get_by_role("article", name=title, exact=True)
    expect(report).to_contain_text("Een eik heeft geen naalden.")
    expect(report).to_contain_text("Sien Student")
    check_page(moderator, "reports-queue")
    report.get_by_text("Afwijzen…").click()
    report.get_by_label("Bericht aan de melder (niet verplicht)").fill(
        "De les gaat over een den, niet over een eik.")
    report.get_by_role("button", name="Melding afwijzen").click()
    expect(moderator.get_by_text("Melding afgewezen")).to_be_visible()
    expect(moderator.get_by_role("article", name=title, exact=True)).to_have_count(0)

    # --- The student reads the outcome in the inbox. ---
    page.goto(base + "/my/notifications")
    expect(page.get_by_text(re.compile(
        r"Mila Moderator heeft je melding over “" + re.escape(title)
        + r"” bekeken: het lesmateriaal blijft online\. De les gaat over een den"))).to_be_visible()
    check_page(page, "inbox-report-outcome")

    # --- The moderator takes the lesson offline from its page … ---
    moderator.goto(f"{base}/materials/{material_id}")
    moderator.get_by_text("Offline halen…").click()
    moderator.get_by_label("Openbare reden").fill("Bevat een foto van een leerling.")
    moderator.get_by_role("button", name="Offline halen", exact=True).click()
    expect(moderator.get_by_text("De moderatoren hebben dit lesmateriaal op")).to_be_visible()
    check_page(moderator, "material-offline-for-moderator")

    # … a visitor finds the tombstone with the reason …
    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    response = visitor.goto(f"{base}/materials/{material_id}")
    assert response is not None and response.status == 410
    expect(visitor.get_by_role("heading", level=1)).to_have_text(
        "Dit lesmateriaal is offline gehaald")
    expect(visitor.get_by_text("Bevat een foto van een leerling.")).to_be_visible()
    check_page(visitor, "tombstone-offline")

    # … and puts it back.
    moderator.get_by_label("Waarom het weer online komt").fill("De foto is vervangen.")
    moderator.get_by_role("button", name="Weer online zetten").click()
    expect(moderator.get_by_text("Het lesmateriaal is weer online.")).to_be_visible()
    response = visitor.goto(f"{base}/materials/{material_id}")
    assert response is not None and response.status == 200
    expect(visitor.get_by_role("heading", level=1)).to_have_text(title)
    moderator_context.close()
    visitor_context.close()
