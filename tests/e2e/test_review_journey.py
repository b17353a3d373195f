"""A moderator opens the review screen from the queue and requests changes with a comment,
partly by keyboard; the author reads it on the dashboard and the lesson, answers in the
conversation and submits a revision; the same review continues, and the moderator approves
it from the lesson page.  Every page is checked by axe, at the desktop's width and a phone's.
"""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_materials_journey import _create_user, _log_in

pytestmark = pytest.mark.e2e

FIRST = "We meten de lengte van de schaduw om twaalf uur."
REVISED = "We meten de lengte van de schaduw om twaalf uur en om drie uur."
REQUEST = "Meet ook om drie uur, dan zien de leerlingen de schaduw draaien."
LESSON = f"""\
# Schaduwen meten

{FIRST}

![Een stok met zijn schaduw op het schoolplein](https://example.org/stok.png)

| Tijd | Lengte |
|------|--------|
| 12:00 | 80 cm |
"""


def _submitted_lesson(live_server, email: str, title: str) -> None:
    """The teacher's lesson, submitted for review through the services (writing it through
    the editor is the materials journey's part)."""
    from oer_portal.accounts import service as accounts
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind

    with live_server.app.app_context():
        owner = accounts.find_by_email(email)
        material = service.create_material(owner, MaterialKind.LESSON, VersionFields(
            title=title, description="Leerlingen meten schaduwen op het schoolplein.",
            body=LESSON, language="nl", subjects=("physics",), levels=("havo",),
            keywords=("schaduw", "zon")))
        lifecycle.submit_for_review(owner, material)
        current_uow().commit()


def test_changes_requested_revised_and_approved_in_one_review(
        page: Page, browser: Browser, live_server, check_page):
    base = live_server.url
    teacher_email = _create_user(live_server, "auteur", "Anne Auteur", "teacher")
    moderator_email = _create_user(live_server, "mod", "Moos Moderator", "moderator")
    title = f"Schaduwen meten {uuid.uuid4().hex[:6]}"
    _submitted_lesson(live_server, teacher_email, title)

    # --- The moderator opens the review screen from the queue. ---
    moderator_context = browser.new_context()
    moderator = moderator_context.new_page()
    _log_in(moderator, base, moderator_email)
    moderator.get_by_role("navigation", name="Account").get_by_role(
        "link", name="Beoordelen").click()
    request = moderator.get_by_role("article", name=title, exact=True)
    request.get_by_role("link", name=re.compile(r"^Open de beoordeling van versie 1")).click()
    expect(moderator.get_by_role("heading", level=1)).to_have_text(f"Beoordeling: {title}")
    expect(moderator.get_by_text(
        "Ingediend door Anne Auteur — wacht op jouw beoordeling.")).to_be_visible()
    expect(moderator.get_by_role("heading", name="De hele tekst")).to_be_visible()
    expect(moderator.get_by_text(FIRST)).to_be_visible()
    check_page(moderator, "review-screen")

    # ... ticks what holds and asks for changes, by keyboard.
    decision = moderator.get_by_role("form", name="Jouw besluit over versie 1")
    for point in ("Rechten en licentie zijn aannemelijk", "Het past bij het opgegeven niveau",
                  "Het bevat geen persoonsgegevens van leerlingen"):
        box = decision.get_by_role("checkbox", name=re.compile(f"^{point}"))
        box.focus()
        moderator.keyboard.press("Space")
        expect(box).to_be_checked()
    decision.get_by_label("Toelichting voor de auteur").focus()
    moderator.keyboard.type(REQUEST)
    decision.get_by_role("button", name="Wijzigingen vragen").focus()
    moderator.keyboard.press("Enter")
    expect(moderator.get_by_text("Met je toelichting teruggestuurd naar de auteur")
           ).to_be_visible()
    expect(moderator.get_by_role("heading", level=1)).to_have_text("Beoordelingswachtrij")
    expect(moderator.get_by_role("article", name=title, exact=True)).to_have_count(0)

    # --- The author sees it on the dashboard and on the lesson. ---
    _log_in(page, base, teacher_email)
    page.get_by_role("link", name="Mijn materiaal").click()
    expect(page.get_by_role("heading", name="Moderators vragen om wijzigingen")).to_be_visible()
    row = page.get_by_role("table", name="Je lesmateriaal, laatst gewijzigde eerst").get_by_role(
        "row", name=re.compile(re.escape(title)))
    expect(row).to_contain_text("Wijzigingen gevraagd")
    expect(row).to_contain_text(REQUEST)
    check_page(page, "review-dashboard-changes")
    row.get_by_role("link", name=re.compile("^Lees het gesprek")).click()
    expect(page.get_by_text("Een moderator vraagt om wijzigingen in versie 1:")).to_be_visible()
    conversation = page.get_by_role("region", name="Gesprek")
    request_message = conversation.get_by_role("article", name=re.compile("^Moos Moderator"))
    expect(request_message).to_contain_text(REQUEST)
    expect(request_message).to_contain_text("Nog niet in orde:")
    expect(request_message).to_contain_text("Afbeeldingen hebben een alternatieve tekst")
    check_page(page, "review-lesson-author")

    # ... answers the moderator in the conversation, without JavaScript's help: a
    # disclosure and a form.
    request_message.get_by_text("Antwoord aan Moos Moderator").click()
    request_message.get_by_label("Jouw antwoord").fill("Goed idee, ik meet om drie uur.")
    request_message.get_by_role("button", name="Antwoord plaatsen").click()
    expect(page.get_by_text("Je reactie is geplaatst.")).to_be_visible()
    expect(page.get_by_role("region", name="Gesprek").get_by_role(
        "article", name=re.compile("^Anne Auteur"))).to_contain_text("ik meet om drie uur")

    # ... and submits the revision: the same review continues.
    page.get_by_role("link", name="Bewerken").click()
    page.get_by_label("Lestekst").fill(LESSON.replace(FIRST, REVISED))
    page.get_by_label("Wat heb je veranderd?").fill("Ook om drie uur gemeten")
    page.get_by_role("button", name="Opslaan en ter beoordeling aanbieden").click()
    expect(page.get_by_text("Versie 2 wacht op beoordeling door een moderator.")).to_be_visible()
    expect(page.get_by_role("region", name="Gesprek")).to_contain_text(
        "Anne Auteur heeft versie 2 aangeboden: de beoordeling gaat daarmee verder")
    lesson_url = page.url

    # --- The moderator approves version 2 from the lesson page. ---
    moderator.goto(lesson_url)
    expect(moderator.get_by_text(
        "Ingediend door Anne Auteur — wacht op jouw beoordeling.")).to_be_visible()
    expect(moderator.get_by_text("Alleen jij")).to_have_count(0)
    expect(moderator.get_by_text(REVISED)).to_be_visible()
    review = moderator.get_by_role("region", name="Beoordeling van versie 2")
    expect(review.get_by_role("region", name="Gesprek")).to_contain_text("ik meet om drie uur")
    check_page(moderator, "review-lesson-moderator")
    decision = review.get_by_role("form", name="Jouw besluit over versie 2")
    for box in decision.get_by_role("checkbox").all():
        box.check()
    decision.get_by_role("button", name="Versie 2 goedkeuren en publiceren").click()
    expect(moderator.get_by_text("Goedgekeurd: versie 2 is nu gepubliceerd.")).to_be_visible()

    # --- Anyone sees version 2 now; the conversation stays with its people. ---
    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    response = visitor.goto(lesson_url)
    assert response is not None and response.status == 200
    expect(visitor.get_by_text(REVISED)).to_be_visible()
    expect(visitor.get_by_role("region", name="Gesprek")).to_have_count(0)
    expect(visitor.get_by_text(REQUEST)).to_have_count(0)
    page.get_by_role("link", name="Mijn materiaal").click()
    expect(page.get_by_role("table", name="Je lesmateriaal, laatst gewijzigde eerst").get_by_role(
        "row", name=re.compile(re.escape(title)))).to_contain_text(
        "Gepubliceerd")
    visitor_context.close()
    moderator_context.close()
