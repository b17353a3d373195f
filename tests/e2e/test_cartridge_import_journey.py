"""A teacher imports a Common Cartridge through the upload form: a broken archive comes back
with its reason, a good one opens in the builder as a draft with a summary of what was
imported and left out.  axe checks the form with its error and the builder it leads to."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_remix_journey import _create_user, _english_login
from tests.fixtures.cartridges import Link, Other, Section, build, raw_zip
from tests.fixtures.cartridges import Page as CartridgePage

pytestmark = pytest.mark.e2e


def test_a_teacher_imports_a_cartridge_and_lands_in_the_builder(
        page: Page, live_server, check_page) -> None:
    base = live_server.url
    teacher = _create_user(live_server, "tina", "Tina Teacher", "teacher")
    title = f"Water in Nederland {uuid.uuid4().hex[:6]}"
    cartridge = build(title, [
        Section("Week 1", [
            CartridgePage("Dijken", markdown="Een **dijk** houdt water tegen."),
            Link("Rijkswaterstaat", "https://www.rijkswaterstaat.nl/"),
        ]),
        Other("Toets", "imsqti_xmlv1p2/imscc_xmlv1p3/assessment"),
        Section("Week 2", [CartridgePage("Gemalen", body_html="<p>Een gemaal pompt.</p>")]),
    ])

    _english_login(page, base, teacher)
    page.goto(base + "/materials/new")
    check_page(page, "cartridge-choose-kind")
    page.get_by_role("link", name="A Common Cartridge").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a Common Cartridge")

    # A ZIP that climbs out of its folder: refused, with the reason at the field.
    field = page.get_by_label("Common Cartridge file (.imscc)")
    field.set_input_files({"name": "evil.imscc", "mimeType": "application/zip",
                           "buffer": raw_zip([("imsmanifest.xml", b"<x/>"),
                                              ("../evil.txt", b"x")])})
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("alert")).to_contain_text("climbs out of its folder")
    expect(field).to_have_attribute("aria-invalid", "true")
    check_page(page, "cartridge-import-error")

    field.set_input_files({"name": "course.imscc", "mimeType": "application/zip",
                           "buffer": cartridge})
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit: {title}")
    assert page.url.endswith("/arrange")
    flashes = page.locator(".flashes")
    expect(flashes).to_contain_text("2 sections, 2 pages, 1 link")
    expect(flashes).to_contain_text("“Toets”: a test or quiz (QTI) cannot be imported.")
    expect(page.get_by_label("Title of section 1")).to_have_value("Week 1")
    check_page(page, "cartridge-import-result")


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (240, 120), (40, 110, 180)).save(buffer, "PNG")
    return buffer.getvalue()


def test_an_imported_page_shows_its_image_and_the_summary_names_a_missing_file(
        page: Page, live_server, check_page) -> None:
    base = live_server.url
    teacher = _create_user(live_server, "kees", "Kees Kaart", "teacher")
    title = f"Kaartlezen {uuid.uuid4().hex[:6]}"
    cartridge = build(title, [
        CartridgePage("De kaart", body_html=(
            '<p>Bekijk de kaart.</p><p><img src="files/kaart.png" alt="Kaart van de polder">'
            '</p><p><a href="files/antwoorden.pdf">Antwoorden</a></p>'),
            files={"kaart.png": _png()}),
    ])
    _english_login(page, base, teacher)
    page.goto(base + "/materials/new/cartridge")
    page.get_by_label("Common Cartridge file (.imscc)").set_input_files(
        {"name": "kaart.imscc", "mimeType": "application/zip", "buffer": cartridge})
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit: {title}")
    expect(page.locator(".flashes")).to_contain_text("files/antwoorden.pdf")
    check_page(page, "cartridge-import-links-summary")

    material_id = page.url.rsplit("/", 2)[-2]
    page.goto(f"{base}/materials/{material_id}")
    page.goto(page.url + "/parts/1")
    image = page.get_by_role("img", name="Kaart van de polder")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("src",
                                    f"/materials/{material_id}/attachments/kaart.png")
    # Loaded under the page's CSP: the browser decoded it.
    page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                           arg=image.element_handle())
    assert image.evaluate("img => img.naturalWidth") == 240
    check_page(page, "cartridge-import-image")
