"""A new teacher, starting on the home page, registers as a teacher, confirms the address
from the e-mail and logs in, is told the admin's approval on the next page, follows "Nieuwe
les schrijven", writes a lesson with a PDF and submits it for review: nine page loads of
their own, three of them for confirming the address (issue 16: "check your inbox", the
link's page, the login page), the admin's approval in another browser context is counted
apart, as is one submit without a title made on purpose to prove that the
PDF survives and that the focus lands on the error summary).  Counted as main-frame
navigations; every page is checked by axe, at 1280 and at 390 px wide, and on a phone no
page is wider than the screen.  The admin's header, with every entry, fits on one line at
1366 px and stays usable at 390 px."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.test_materials_journey import (
    PASSWORD,
    _check_page_as_served_without_js,
    _create_user,
    _log_in,
)
from tests.fixtures.samples import pdf_bytes

pytestmark = pytest.mark.e2e

#: The page loads a new teacher needs, from the home page to a submitted lesson: six, and
#: three to confirm the e-mail address (issue 16).
BUDGET = 9

LESSON = """\
## Breuken op de getallenlijn

Zet 1/2, 3/4 en 2/3 op de getallenlijn. Welke is het grootst?
"""


def _create_admin(live_server: Any) -> str:
    return _create_user(live_server, "beheer", "Bram Beheerder", "admin")


def _fits_the_screen(page: Page) -> None:
    """Nothing sticks out sideways: the page is no wider than the viewport."""
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


class PageLoads:
    """The main frame's navigations (a redirect after a form counts once, as the user sees
    one page).  Following a link to ``#field`` on the same page is a navigation too, but no
    page load: it is left out, and the documents loaded are counted to check that."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        self.documents = 0
        page.on("framenavigated", lambda frame: self._navigated(page, frame))
        page.on("domcontentloaded", lambda _page: self._loaded())

    def _navigated(self, page: Page, frame: Any) -> None:
        if frame != page.main_frame:
            return
        url = frame.url
        if "#" in url and self.urls and self.urls[-1].split("#")[0] == url.split("#")[0]:
            return  # the same document, scrolled to a fragment
        self.urls.append(url)

    def _loaded(self) -> None:
        self.documents += 1

    def __len__(self) -> int:
        assert len(self.urls) == self.documents, (self.urls, self.documents)
        return len(self.urls)


def _approve_as_admin(browser: Browser, base: str, admin_email: str, teacher_name: str,
                      width: int, check_page: Any, label: str) -> None:
    """The admin, in a browser of their own, follows the header's count to the request."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    admin = context.new_page()
    try:
        _log_in(admin, base, admin_email)
        badge = admin.get_by_role("link", name=re.compile(
            r"^Aanvragen docentrol die op een besluit wachten: \d+$"))
        expect(badge).to_be_visible()
        _fits_the_screen(admin)
        badge.click()
        expect(admin.get_by_role("heading", level=1)).to_have_text("Aanvragen docentrol")
        request = admin.get_by_role("article", name=teacher_name)
        expect(request).to_contain_text("Montessori Lyceum Oostpoort")
        check_page(admin, f"teacher-admin-requests-{label}")
        request.get_by_label("Toelichting voor de aanvrager (optioneel)").fill(
            "Welkom! Je kunt meteen beginnen.")
        request.get_by_role("button", name="Goedkeuren").click()
        expect(admin.get_by_role("status")).to_contain_text("Aanvraag goedgekeurd")
    finally:
        context.close()


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_a_new_teacher_reaches_a_submitted_lesson_in_nine_page_loads(
        browser: Browser, live_server: Any, live_mailbox: Any, check_page: Any, tmp_path: Path,
        width: int):
    base = live_server.url
    label = "desktop" if width > 600 else "phone"
    admin_email = _create_admin(live_server)
    name = f"Fenna Docent {uuid.uuid4().hex[:4]}"
    email = f"fenna-{uuid.uuid4().hex[:8]}@example.org"
    title = f"Breuken op de getallenlijn {uuid.uuid4().hex[:4]}"
    pdf = tmp_path / "werkblad-breuken.pdf"
    pdf.write_bytes(pdf_bytes("Werkblad breuken\nZet de breuken op de getallenlijn."))

    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    loads = PageLoads(page)

    def look(step: str) -> None:
        check_page(page, f"teacher-{step}-{label}")
        _fits_the_screen(page)

    # 1. The home page.
    page.goto(base + "/")
    look("home")

    # 2. Registration, from the header.
    page.get_by_role("navigation", name="Account").get_by_role(
        "link", name="Account aanmaken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Account aanmaken")
    look("register")

    # 3. Registered as a teacher: the request goes with the account.
    page.get_by_label("Weergavenaam").fill(name)
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_label("Herhaal wachtwoord").fill(PASSWORD)
    page.get_by_label("Ik ben docent").check()
    page.get_by_label("School of instelling").fill("Montessori Lyceum Oostpoort")
    page.get_by_label("Waarom wil je de docentrol?").fill(
        "Ik geef wiskunde in de onderbouw en wil mijn werkbladen delen.")
    page.get_by_role("button", name="Account aanmaken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kijk in je mailbox")
    look("check-inbox")

    # 3a to 3c. The link from the e-mail, its button, then logging in leads to the dashboard.
    page.goto(live_mailbox.confirmation_link(email))
    expect(page.get_by_role("heading", level=1)).to_have_text("Bevestig je e-mailadres")
    look("confirm")
    page.get_by_role("button", name="Bevestig mijn e-mailadres").click()
    expect(page.get_by_role("status")).to_contain_text("Je e-mailadres is bevestigd.")
    look("confirmed")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn materiaal")
    expect(page.get_by_role("region", name="Je aanvraag voor de docentrol")).to_be_visible()
    look("registered")

    # The admin approves, in a browser of their own (counted apart).
    _approve_as_admin(browser, base, admin_email, name, width, check_page, label)

    # 4. The next page the teacher opens tells the decision, with the next step.
    page.get_by_role("link", name="OER-portaal").click()
    notice = page.get_by_role("banner").get_by_role("status")
    expect(notice).to_contain_text("Je aanvraag voor de docentrol is goedgekeurd.")
    expect(notice).to_contain_text("Welkom! Je kunt meteen beginnen.")
    look("approved")

    # 5. "Nieuwe les schrijven" opens the new-lesson form.
    notice.get_by_role("link", name="Nieuwe les schrijven").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieuwe les")
    expect(page.get_by_role("banner").get_by_role("status")).to_have_count(0)  # said once
    look("new-lesson")

    # A submit without a title, on purpose: the PDF stays and the focus goes to the errors.
    page.get_by_label("Samenvatting", exact=True).fill(
        "Leerlingen zetten breuken op de getallenlijn en vergelijken ze.")
    page.get_by_label("Lestekst").fill(LESSON)
    page.get_by_role("group", name="Vakken").get_by_label("Wiskunde", exact=True).check()
    page.get_by_label("Bestanden toevoegen").set_input_files(pdf)
    page.get_by_role("button", name="Opslaan en ter beoordeling aanbieden").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Titel: Vul een titel in.")
    held = page.get_by_role("group", name="Bijgevoegde bestanden").get_by_role(
        "checkbox", name=re.compile(r"^werkblad-breuken\.pdf"))
    expect(held).to_be_checked()
    expect(page.get_by_text("al bijgevoegd, je hoeft het niet opnieuw toe te voegen"))\
        .to_be_visible()
    expect(page.get_by_label("Lestekst")).to_have_value(LESSON)
    look("lesson-error")
    deliberate_mistakes = 1

    # 6. Submitted for review, with the PDF.
    summary.get_by_role("link", name=re.compile("^Titel")).click()
    expect(page.get_by_label("Titel", exact=True)).to_be_focused()
    page.keyboard.type(title)
    page.get_by_role("button", name="Opslaan en ter beoordeling aanbieden").click()
    expect(page.get_by_text("Opgeslagen en ter beoordeling aangeboden")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.get_by_text("Versie 1 wacht op beoordeling door een moderator.")).to_be_visible()
    expect(page.get_by_role("region", name="Bestanden").get_by_role(
        "link", name="werkblad-breuken.pdf")).to_be_visible()
    look("submitted")

    assert len(loads) - deliberate_mistakes <= BUDGET, loads.urls
    assert len(loads) == BUDGET + deliberate_mistakes, loads.urls  # as measured
    context.close()


def _on_one_line(page: Page) -> bool:
    """Whether the header's parts and the account menu's entries share one line: some
    horizontal line crosses every one of them (once the page has settled: a busy machine
    may measure before the last layout of the page, as a full run once did)."""
    try:
        page.wait_for_function("""() => {
            const boxes = [...document.querySelectorAll(
                '.site-header__inner > *, .account-nav li')].map(el => el.getBoundingClientRect());
            return Math.max(...boxes.map(b => b.top)) < Math.min(...boxes.map(b => b.bottom));
        }""", timeout=5_000)
    except PlaywrightTimeoutError:
        return False
    return True


def test_the_admins_header_fits_one_line_at_1366_and_works_at_390(
        browser: Browser, live_server: Any, check_page: Any):
    base = live_server.url
    admin_email = _create_admin(live_server)
    from oer_portal.accounts import service
    from oer_portal.accounts.models import Role
    from oer_portal.core.uow import current_uow
    from oer_portal.notifications import service as notifications
    from oer_portal.notifications.models import NotificationKind, TargetType

    with live_server.app.app_context():
        student = service.create_user(f"wachtend-{uuid.uuid4().hex[:8]}@example.org",
                                      "Wachtende Docent", PASSWORD, [Role.STUDENT])
        service.request_teacher_role(student, "De School", "Ik geef les.")
        # The widest count of unread notifications beside the admin's name too.
        for number in range(12):
            notifications.notify([service.find_by_email(admin_email).id],
                                 NotificationKind.REVIEW_COMMENT, (TargetType.REVIEW, number),
                                 {"title": "Breuken"})
        current_uow().commit()
        assert student.id

    context = browser.new_context(viewport={"width": 1366, "height": 800})
    page = context.new_page()
    try:
        _log_in(page, base, admin_email)
        nav = page.get_by_role("navigation", name="Account")
        for entry in ("Mijn materiaal", "Nieuw lesmateriaal", "Beoordelen", "Beheer",
                      "Bram Beheerder"):
            expect(nav.get_by_role("link", name=entry, exact=True)).to_be_visible()
        expect(nav.get_by_role("link", name=re.compile("wachten: \\d+$"))).to_be_visible()
        expect(nav.get_by_role("link", name="Ongelezen meldingen: 9+")).to_be_visible()
        assert _on_one_line(page)
        check_page(page, "teacher-admin-header")

        page.set_viewport_size({"width": 390, "height": 800})
        _fits_the_screen(page)
        for entry in ("Mijn materiaal", "Nieuw lesmateriaal", "Beoordelen", "Beheer"):
            link = nav.get_by_role("link", name=entry, exact=True)
            expect(link).to_be_visible()
            box = link.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
            assert box["height"] >= 24  # a target a thumb can hit (WCAG 2.5.8)
        check_page(page, "teacher-admin-header-phone")
        nav.get_by_role("link", name="Nieuw lesmateriaal").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Nieuw lesmateriaal")
    finally:
        context.close()


def test_without_javascript_the_file_survives_and_the_errors_take_the_focus(
        browser: Browser, live_server: Any, check_page: Any, tmp_path: Path):
    email = _create_user(live_server, "zonder-script", "Sam Zonder Script", "teacher")
    pdf = tmp_path / "opdrachten.pdf"
    pdf.write_bytes(pdf_bytes("Opdrachten"))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _log_in(page, live_server.url, email)
        page.get_by_role("navigation", name="Account").get_by_role(
            "link", name="Nieuw lesmateriaal").click()
        page.get_by_role("link", name="Een les").click()
        page.get_by_label("Lestekst").fill("Maak de opdrachten in het werkblad.")
        page.get_by_label("Bestanden toevoegen").set_input_files(pdf)
        page.get_by_role("button", name="Concept opslaan").click()
        expect(page.get_by_role("alert")).to_be_focused()  # autofocus: no script needed
        expect(page.get_by_role("checkbox", name=re.compile(r"^opdrachten\.pdf"))).to_be_checked()
        _check_page_as_served_without_js(browser, page, check_page, "teacher-lesson-error-nojs")

        page.get_by_label("Titel", exact=True).fill("Opdrachten zonder script")
        page.get_by_role("button", name="Concept opslaan").click()
        expect(page.get_by_text("Opgeslagen als concept.")).to_be_visible()
        expect(page.get_by_role("region", name="Bestanden").get_by_role(
            "link", name="opdrachten.pdf")).to_be_visible()
    finally:
        context.close()
