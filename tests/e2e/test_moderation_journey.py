"""The moderators' whole workflow in one journey, in Dutch: a teacher submits a remix; the
moderator sees its licence and its source in the queue, takes it on and asks for changes
with a comment; the teacher finds the notification, revises and submits again; the
moderator approves the new version from the lesson page; a student reports the lesson; the
moderator dismisses the report and the student is told.  The moderator's dashboard and
audit log show what happened.  Every page is checked by axe, at the desktop's width and a
phone's."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_materials_journey import _create_user, _log_in, _published_lesson

pytestmark = pytest.mark.e2e

FIRST_LINE = "We lossen x² - 5x + 6 = 0 op door te ontbinden in factoren."
ORIGINAL = f"""\
# Kwadratische vergelijkingen oplossen

{FIRST_LINE}

| Vergelijking | Oplossingen |
|---|---|
| x² - 5x + 6 = 0 | x = 2 of x = 3 |
"""
REMIX_LINE = "We lossen x² - 5x + 6 = 0 op met de abc-formule."
REVISED_LINE = "We lossen x² - 5x + 6 = 0 op met de abc-formule én door te ontbinden."
REQUEST = "Laat ook het ontbinden zien: dan zien leerlingen dat beide manieren werken."


def _waiting_count(page: Page) -> int:
    """The header's "waiting for a moderator" badge, 0 when it is not shown."""
    badge = page.get_by_role("banner").get_by_role(
        "link", name=re.compile(r"^Wacht op een moderator: \d+$"))
    if not badge.count():
        return 0
    return int(re.search(r"\d+$", badge.inner_text()).group())


def test_remix_reviewed_with_a_conversation_approved_then_reported_and_dismissed(
        page: Page, browser: Browser, live_server, check_page):
    base = live_server.url
    anna = _create_user(live_server, "anna", "Anna Aalders", "teacher")
    bea = _create_user(live_server, "bea", "Bea Bakker", "teacher")
    mo = _create_user(live_server, "mo", "Moos Moderator", "moderator")
    sam = _create_user(live_server, "sam", "Sam Student", "student")
    title = f"Kwadratische vergelijkingen {uuid.uuid4().hex[:6]}"
    remix_title = f"{title} met de abc-formule"
    original_id = _published_lesson(
        live_server, anna, mo, title=title, body=ORIGINAL, licence="CC-BY-SA-4.0",
        description="Kwadratische vergelijkingen oplossen door ontbinden.", language="nl",
        subjects=("mathematics",), levels=("havo",))

    # The live server is shared with other journeys, which may leave work in the queue.
    moderator_context = browser.new_context()
    moderator = moderator_context.new_page()
    _log_in(moderator, base, mo)
    waiting_before = _waiting_count(moderator)

    # --- Bea remixes Anna's lesson and submits it. ---
    _log_in(page, base, bea)
    page.goto(f"{base}/materials/{original_id}")
    page.get_by_role("link", name="Dit lesmateriaal remixen").click()
    page.get_by_label("Titel van je remix").fill(remix_title)
    page.get_by_role("button", name="Remixen en beginnen met bewerken").click()
    expect(page).to_have_url(re.compile(r"/materials/\d+/edit$"))
    page.get_by_label("Lestekst").fill(ORIGINAL.replace(FIRST_LINE, REMIX_LINE))
    page.get_by_label("Wat heb je veranderd?").fill("De abc-formule in plaats van ontbinden")
    page.get_by_role("button", name="Opslaan en ter beoordeling aanbieden").click()
    expect(page.get_by_text("Opgeslagen en ter beoordeling aangeboden.")).to_be_visible()
    remix_url = page.url

    # --- The moderator sees the licence and the source in the queue and takes it on. ---
    moderator.reload()
    banner = moderator.get_by_role("banner")
    assert _waiting_count(moderator) == waiting_before + 1
    banner.get_by_role("link", name="Beoordelen").click()
    expect(moderator.get_by_role("heading", level=1)).to_have_text("Beoordelingswachtrij")
    entry = moderator.get_by_role("article", name=remix_title, exact=True)
    expect(entry).to_contain_text("Nieuw lesmateriaal")
    expect(entry).to_contain_text("CC BY-SA")
    expect(entry.get_by_role("link", name=f"remix van “{title}” (CC BY-SA 4.0)")
           ).to_be_visible()
    check_page(moderator, "moderation-queue-remix")
    entry.get_by_role("button", name=re.compile("^Ik pak deze op")).click()
    entry = moderator.get_by_role("article", name=remix_title, exact=True)
    expect(entry).to_contain_text("Jij hebt deze opgepakt")

    # ... opens the review and asks for changes with a comment.
    entry.get_by_role("link", name=re.compile("^Open de beoordeling van versie 2")).click()
    expect(moderator.get_by_role("heading", level=1)).to_have_text(
        f"Beoordeling: {remix_title}")
    expect(moderator.get_by_text("Jij hebt deze opgepakt")).to_be_visible()
    check_page(moderator, "moderation-review-remix")
    decision = moderator.get_by_role("form", name="Jouw besluit over versie 2")
    decision.get_by_label("Toelichting voor de auteur").fill(REQUEST)
    decision.get_by_role("button", name="Wijzigingen vragen").click()
    expect(moderator.get_by_text("Met je toelichting teruggestuurd naar de auteur")
           ).to_be_visible()

    # --- Bea finds the notification, reads the request and revises. ---
    page.goto(base + "/my/materials")
    page.get_by_role("banner").get_by_role("link", name="Ongelezen meldingen: 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meldingen")
    check_page(page, "moderation-inbox-changes")
    page.get_by_role("button", name=re.compile(
        f"Moos Moderator vraagt om wijzigingen in versie 2 van “{re.escape(remix_title)}”"
    )).click()
    expect(page.get_by_text("Een moderator vraagt om wijzigingen in versie 2:")).to_be_visible()
    expect(page.get_by_role("region", name="Gesprek")).to_contain_text(REQUEST)
    page.get_by_role("link", name="Bewerken").click()
    page.get_by_label("Lestekst").fill(ORIGINAL.replace(FIRST_LINE, REVISED_LINE))
    page.get_by_label("Wat heb je veranderd?").fill("Ook het ontbinden")
    page.get_by_role("button", name="Opslaan en ter beoordeling aanbieden").click()
    expect(page.get_by_text("Versie 3 wacht op beoordeling door een moderator.")
           ).to_be_visible()

    # --- The moderator approves version 3 from the lesson page. ---
    moderator.goto(remix_url)
    expect(moderator.get_by_text(
        "Ingediend door Bea Bakker — wacht op jouw beoordeling.")).to_be_visible()
    review = moderator.get_by_role("region", name="Beoordeling van versie 3")
    expect(review.get_by_role("region", name="Gesprek")).to_contain_text(REQUEST)
    check_page(moderator, "moderation-lesson-page-decision")
    review.get_by_role("form", name="Jouw besluit over versie 3").get_by_role(
        "button", name="Versie 3 goedkeuren en publiceren").click()
    expect(moderator.get_by_text("Goedgekeurd: versie 3 is nu gepubliceerd.")).to_be_visible()

    # --- A student reports the lesson ... ---
    student_context = browser.new_context()
    student = student_context.new_page()
    _log_in(student, base, sam)
    student.goto(remix_url)
    expect(student.get_by_text(REVISED_LINE)).to_be_visible()
    student.get_by_role("link", name="Meld dit lesmateriaal").click()
    student.get_by_label("Onjuiste inhoud").check()
    student.get_by_label("Toelichting").fill("De tweede oplossing klopt niet, denk ik.")
    student.get_by_role("button", name="Melding versturen").click()
    expect(student.get_by_text("Dank je wel. De moderatoren bekijken je melding.")
           ).to_be_visible()

    # ... the moderator dismisses the report with a note ...
    moderator.goto(base + "/moderation/")
    moderator.get_by_role("navigation", name="Moderatie").get_by_role(
        "link", name="Meldingen over lesmateriaal").click()
    report = moderator.get_by_role("article", name=remix_title, exact=True)
    expect(report).to_contain_text("De tweede oplossing klopt niet, denk ik.")
    check_page(moderator, "moderation-reports")
    report.get_by_text("Afwijzen…").click()
    report.get_by_label("Bericht aan de melder (niet verplicht)").fill(
        "x = 3 is ook een oplossing: 9 - 15 + 6 = 0.")
    report.get_by_role("button", name="Melding afwijzen").click()
    expect(moderator.get_by_text("Melding afgewezen")).to_be_visible()

    # ... and the student is told.
    student.goto(base + "/")
    student.get_by_role("banner").get_by_role("link", name="Ongelezen meldingen: 1").click()
    expect(student.get_by_text(re.compile(
        r"Moos Moderator heeft je melding over “" + re.escape(remix_title)
        + r"” bekeken: het lesmateriaal blijft online\. x = 3 is ook een oplossing"))
    ).to_be_visible()
    check_page(student, "moderation-report-outcome")

    # --- The dashboard and the audit log show what happened. ---
    moderator.get_by_role("navigation", name="Moderatie").get_by_role(
        "link", name="Overzicht").click()
    expect(moderator.get_by_role("heading", level=1)).to_have_text("Moderatie-overzicht")
    check_page(moderator, "moderation-dashboard")
    moderator.get_by_role("navigation", name="Moderatie").get_by_role(
        "link", name="Auditlog").click()
    log = moderator.get_by_role("table")
    for action in ("Beoordeling opgepakt", "Melding afgewezen", "Lesmateriaal gemeld"):
        expect(log.get_by_role("cell", name=re.compile(f"^{action} ")).first).to_be_visible()
    check_page(moderator, "moderation-audit-log")
    student_context.close()
    moderator_context.close()
