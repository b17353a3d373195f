"""A teacher writes a lesson with an attachment and submits it; a moderator approves; a
visitor sees it; the teacher edits it; the visitor still sees the old version until the
edit is approved; history and diff show both versions.  The Markdown preview works live
with JavaScript and through the "Voorbeeld" button without it.  Every page is checked by
axe for serious or critical violations."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.e2e

PASSWORD = "een lang en sterk wachtwoord"

OLD_SENTENCE = "We vergelijken breuken op een getallenlijn."
NEW_SENTENCE = "We vergelijken breuken met een taartmodel."

LESSON_TEXT = f"""\
# Breuken vergelijken

{OLD_SENTENCE} Daarna oefenen de leerlingen in tweetallen.

| Breuk | Decimaal |
|-------|----------|
| 1/2   | 0,5      |
| 3/4   | 0,75     |
"""


def _create_user(live_server, label: str, name: str, role_name: str) -> str:
    """A user made through the service layer, with an address no other test uses."""
    from oer_portal.accounts import service
    from oer_portal.accounts.models import Role
    from oer_portal.core.uow import current_uow

    email = f"{label}-{uuid.uuid4().hex[:8]}@example.org"
    with live_server.app.app_context():
        service.create_user(email, name, PASSWORD, [Role(role_name)])
        current_uow().commit()
    return email


def _published_lesson(live_server, owner_email: str, moderator_email: str,
                      **fields: Any) -> int:
    """A lesson by ``owner_email`` with ``fields`` (``VersionFields``), published by the
    moderator before a journey starts (writing one through the editor is this journey's
    part)."""
    from oer_portal.accounts import service as accounts
    from oer_portal.core.uow import current_uow
    from oer_portal.extensions import db
    from oer_portal.materials import lifecycle, service
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind

    with live_server.app.app_context():
        material = service.create_material(accounts.find_by_email(owner_email),
                                           MaterialKind.LESSON, VersionFields(**fields))
        db.session.flush()
        lifecycle.publish(material, material.latest_version,
                          accounts.find_by_email(moderator_email))
        current_uow().commit()
        return material.id


def _log_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/account/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()


def _png(tmp_path: Path) -> Path:
    from PIL import Image, ImageDraw

    path = tmp_path / "breukenstrook.png"
    image = Image.new("RGB", (240, 120), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 40, 230, 80), outline="black", width=3)
    draw.rectangle((10, 40, 120, 80), fill="#1f6feb")
    image.save(path, "PNG")
    return path


def _approve(moderator: Page, title: str, check_page=None, name: str = "") -> None:
    """Open the queue from the header and approve the request for ``title``."""
    moderator.get_by_role("navigation", name="Account").get_by_role(
        "link", name="Beoordelen").click()
    expect(moderator.get_by_role("heading", level=1)).to_have_text("Beoordelingswachtrij")
    request = moderator.get_by_role("article", name=title, exact=True)
    expect(request).to_be_visible()
    if check_page:
        check_page(moderator, name)
    request.get_by_role("button", name="Goedkeuren en publiceren").click()
    expect(moderator.get_by_text("Goedgekeurd: de versie is nu gepubliceerd.")).to_be_visible()
    expect(moderator.get_by_role("article", name=title, exact=True)).to_have_count(0)


def test_lesson_from_writing_to_review_publication_edit_and_diff(
        page: Page, browser: Browser, live_server, check_page, tmp_path: Path):
    base = live_server.url
    teacher_email = _create_user(live_server, "docent", "Dirk Docent", "teacher")
    moderator_email = _create_user(live_server, "moderator", "Mira Moderator", "moderator")
    title = f"Breuken vergelijken {uuid.uuid4().hex[:6]}"
    picture = _png(tmp_path)

    # --- The teacher writes the lesson and submits it. ---
    _log_in(page, base, teacher_email)
    page.get_by_role("link", name="Mijn materiaal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mijn materiaal")
    page.get_by_role("main").get_by_role("link", name="Nieuw lesmateriaal").click()
    page.get_by_role("link", name="Een les").click()
    expect(page).to_have_url(re.compile(r"/materials/new/lesson$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieuwe les")
    check_page(page, "lesson-new")

    page.get_by_label("Titel", exact=True).fill(title)
    page.get_by_label("Samenvatting", exact=True).fill(
        "Leerlingen vergelijken breuken met behulp van een getallenlijn en een tabel.")
    page.get_by_label("Lestekst").fill(LESSON_TEXT)
    page.get_by_label("Taal van het lesmateriaal").select_option(label="Nederlands")
    page.get_by_role("radio", name=re.compile(r"^CC BY-SA — ")).check()
    page.get_by_role("group", name="Vakken").get_by_label("Rekenen", exact=True).check()
    page.get_by_role("group", name="Vakken").get_by_label("Wiskunde", exact=True).check()
    page.get_by_role("group", name="Niveaus").get_by_label("havo", exact=True).check()
    page.get_by_label("Bestanden toevoegen").set_input_files(picture)
    # "Wat heb je veranderd?" is only asked when editing an existing material.
    expect(page.get_by_label("Wat heb je veranderd?")).to_have_count(0)
    page.get_by_role("button", name="Opslaan en ter beoordeling aanbieden").click()

    expect(page).to_have_url(re.compile(r"/materials/\d+-"))
    expect(page.get_by_text("Opgeslagen en ter beoordeling aangeboden")).to_be_visible()
    expect(page.get_by_text("Concept: nog niet gepubliceerd.")).to_be_visible()
    expect(page.get_by_text("Versie 1 wacht op beoordeling door een moderator.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    check_page(page, "lesson-pending")
    material_url = page.url

    # --- A visitor cannot see it yet. ---
    visitor_context = browser.new_context()
    visitor = visitor_context.new_page()
    response = visitor.goto(material_url)
    assert response is not None and response.status == 404

    # --- The moderator approves it (own browser context, own session). ---
    moderator_context = browser.new_context()
    moderator = moderator_context.new_page()
    _log_in(moderator, base, moderator_email)
    _approve(moderator, title, check_page, "review-queue")

    # --- The visitor sees the published lesson. ---
    response = visitor.goto(material_url)
    assert response is not None and response.status == 200
    expect(visitor.get_by_role("heading", level=1)).to_have_text(title)
    expect(visitor.get_by_role("heading", name="Breuken vergelijken", exact=True)).to_be_visible()
    expect(visitor.get_by_text(OLD_SENTENCE)).to_be_visible()
    table = visitor.locator(".lesson-body table")
    expect(table.get_by_role("columnheader", name="Decimaal")).to_be_visible()
    expect(table.get_by_role("cell", name="0,75")).to_be_visible()
    files = visitor.get_by_role("region", name="Bestanden")
    download = files.get_by_role("link", name="breukenstrook.png")
    expect(download).to_be_visible()
    thumbnail = files.locator("img")
    expect(thumbnail).to_be_visible()
    thumbnail.scroll_into_view_if_needed()  # loading="lazy"
    # The thumbnail really loads (a timer keeps a broken image from hanging the test).
    assert thumbnail.evaluate("""img => Promise.race([
        img.decode().then(() => img.naturalWidth, () => 0),
        new Promise(resolve => setTimeout(() => resolve(-1), 5000))])""") > 0
    file_response = visitor.request.get(base + download.get_attribute("href"))
    assert file_response.status == 200
    assert file_response.headers["content-type"] == "image/png"
    expect(visitor.get_by_role("status")).to_have_count(0)  # no draft notice for visitors
    expect(visitor.get_by_role("link", name="Bewerken")).to_have_count(0)
    check_page(visitor, "lesson-published-visitor")

    # --- The teacher edits the lesson and submits the new version. ---
    page.reload()
    page.get_by_role("link", name="Bewerken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Bewerken: {title}")
    body = page.get_by_label("Lestekst")
    expect(body).to_have_value(re.compile(re.escape(OLD_SENTENCE)))
    expect(page.get_by_role("checkbox", name="breukenstrook.png")).to_be_checked()
    body.fill(LESSON_TEXT.replace(OLD_SENTENCE, NEW_SENTENCE))
    page.get_by_label("Wat heb je veranderd?").fill("Taartmodel in plaats van getallenlijn")
    check_page(page, "lesson-edit")
    page.get_by_role("button", name="Opslaan en ter beoordeling aanbieden").click()
    expect(page.get_by_text("Opgeslagen en ter beoordeling aangeboden")).to_be_visible()
    expect(page.get_by_text("Versie 2 wacht op beoordeling door een moderator.")).to_be_visible()
    expect(page.get_by_text(
        "Er is een nieuwere versie (2) die nog niet is gepubliceerd.")).to_be_visible()

    # --- Until approval the visitor still sees version 1. ---
    visitor.reload()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(title)
    expect(visitor.get_by_text(OLD_SENTENCE)).to_be_visible()
    expect(visitor.get_by_text(NEW_SENTENCE)).to_have_count(0)

    # --- The moderator approves version 2; the visitor now sees it. ---
    _approve(moderator, title)
    visitor.reload()
    expect(visitor.get_by_text(NEW_SENTENCE)).to_be_visible()
    expect(visitor.get_by_text(OLD_SENTENCE)).to_have_count(0)
    expect(visitor.get_by_role("region", name="Bestanden").get_by_role(
        "link", name="breukenstrook.png")).to_be_visible()

    # --- History: both versions, with the edit summary. ---
    page.goto(material_url)
    page.get_by_role("link", name="geschiedenis", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Geschiedenis")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Taartmodel in plaats van getallenlijn")
    expect(rows.nth(0)).to_contain_text("Gepubliceerd")
    expect(rows.nth(1)).to_contain_text("Was gepubliceerd")
    expect(rows.nth(1)).to_contain_text("Dirk Docent")
    check_page(page, "lesson-history")

    # The visitor sees the same two (published) versions.
    visitor.get_by_role("link", name="geschiedenis", exact=True).click()
    expect(visitor.locator("table tbody tr")).to_have_count(2)

    # --- Diff, side by side, then in the text. ---
    page.get_by_role("radio", name="Van versie 1").check()
    page.get_by_role("radio", name="Met versie 2").check()
    page.get_by_role("radio", name="naast elkaar").check()
    page.get_by_role("button", name="Versies vergelijken").click()
    expect(page).to_have_url(re.compile(r"/diff\?"))
    assert parse_qs(urlsplit(page.url).query) == {"from": ["1"], "to": ["2"], "view": ["side"]}
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Versie 1 vergeleken met versie 2")
    side = page.locator("table.diff--side")
    expect(side.get_by_role("columnheader", name="Versie 1")).to_be_visible()
    expect(side.get_by_role("columnheader", name="Versie 2")).to_be_visible()
    expect(side.locator(".diff-del").first).to_be_visible()
    expect(side.locator(".diff-del")).to_contain_text(["getallenlijn"])
    expect(side.locator(".diff-ins")).to_contain_text(["taartmodel"])
    expect(side.locator(".diff-del", has_text="taartmodel")).to_have_count(0)
    expect(side.locator(".diff-ins", has_text="getallenlijn")).to_have_count(0)
    expect(page.get_by_text(re.compile(r"\d+ woorden toegevoegd, \d+ woorden verwijderd")))\
        .to_be_visible()
    check_page(page, "lesson-diff-side")

    page.get_by_role("link", name="Toon in de tekst").click()
    expect(page).to_have_url(re.compile(r"view=inline"))
    inline = page.locator(".diff--inline")
    expect(inline.locator(".diff-del")).to_contain_text(["getallenlijn"])
    expect(inline.locator(".diff-ins")).to_contain_text(["taartmodel"])
    expect(inline).to_contain_text("Daarna oefenen de leerlingen in tweetallen.")
    check_page(page, "lesson-diff-inline")

    moderator_context.close()
    visitor_context.close()


def test_live_markdown_preview_with_javascript(page: Page, live_server, check_page):
    teacher = _create_user(live_server, "docent-live", "Lieke Live", "teacher")
    _log_in(page, live_server.url, teacher)
    page.goto(live_server.url + "/materials/new/lesson")

    preview = page.get_by_role("region", name="Voorbeeld")
    expect(preview).to_be_visible()  # editor.js unhides the panel
    body = page.get_by_label("Lestekst")
    body.click()
    body.press_sequentially("## Kopje in het voorbeeld\n\nEen **vette** zin.", delay=5)
    expect(preview.get_by_role("heading", name="Kopje in het voorbeeld")).to_be_visible()
    expect(preview.locator("strong")).to_have_text("vette")

    body.press_sequentially("\n\n| Breuk | Decimaal |\n|---|---|\n| 1/4 | 0,25 |", delay=5)
    expect(preview.get_by_role("cell", name="0,25")).to_be_visible()
    # The preview is sanitised like the published page.
    body.fill("<script>window.pwned = 1</script>\n\n# Veilig")
    expect(preview.get_by_role("heading", name="Veilig")).to_be_visible()
    expect(preview.locator("script")).to_have_count(0)
    assert page.evaluate("window.pwned") is None
    check_page(page, "lesson-live-preview")


def _check_page_as_served_without_js(browser: Browser, page: Page, check_page, name: str):
    """axe-core needs timers, which never fire in a context with JavaScript disabled (axe
    hangs there), so the HTML the no-JS page received is checked in a JavaScript-enabled
    page at the same address, with the page's own scripts blocked: same markup, same CSS."""
    html = page.content()
    context = browser.new_context()
    clone = context.new_page()
    try:
        clone.route(re.compile(r"\.m?js(\?.*)?$"), lambda route: route.abort())
        clone.route(page.url, lambda route: route.fulfill(
            status=200, content_type="text/html; charset=utf-8", body=html))
        clone.goto(page.url)
        check_page(clone, name)
    finally:
        context.close()


def test_preview_button_without_javascript(browser: Browser, live_server, check_page):
    teacher = _create_user(live_server, "docent-nojs", "Noor Zonder-Script", "teacher")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        _log_in(page, live_server.url, teacher)
        page.goto(live_server.url + "/materials/new/lesson")
        expect(page.get_by_role("region", name="Voorbeeld")).to_be_hidden()

        title = f"Zonder JavaScript {uuid.uuid4().hex[:6]}"
        text = "## Kop zonder script\n\nDit werkt ook *zonder* JavaScript."
        page.get_by_label("Titel", exact=True).fill(title)
        page.get_by_label("Lestekst").fill(text)
        page.get_by_role("button", name="Voorbeeld", exact=True).click()

        expect(page).to_have_url(re.compile(r"/materials/new/lesson$"))
        preview = page.get_by_role("region", name="Voorbeeld")
        expect(preview).to_be_visible()
        expect(preview.get_by_role("heading", name="Kop zonder script")).to_be_visible()
        expect(preview.locator("em")).to_have_text("zonder")
        # Nothing is lost and nothing is saved yet.
        expect(page.get_by_label("Titel", exact=True)).to_have_value(title)
        expect(page.get_by_label("Lestekst")).to_have_value(text)
        _check_page_as_served_without_js(browser, page, check_page, "lesson-preview-nojs")

        page.get_by_role("button", name="Concept opslaan").click()
        expect(page.get_by_text("Opgeslagen als concept.")).to_be_visible()
        expect(page.get_by_role("heading", level=1)).to_have_text(title)
        expect(page.get_by_role("heading", name="Kop zonder script")).to_be_visible()
    finally:
        context.close()
