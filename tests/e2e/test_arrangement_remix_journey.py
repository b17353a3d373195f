"""A teacher remixes a published arrangement from its page, finds its outline copied in the
builder (included lessons still included, own pages now hers), saves it, downloads it as a
Common Cartridge and as web pages, and opens the print
view: every part on one page, and on paper (print media) no navigation, no buttons, links
written out.  The arrangement holds real corpus lessons with code, tables and long links
when the corpus is there (``OER_CORPUS``, by default ``../shared/corpus``), and a lesson of
our own with the same hard parts always.  axe checks the remix form, the builder and the
print view at 1280 and 390 px."""

from __future__ import annotations

import os
import posixpath
import re
import uuid
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_remix_journey import _create_user, _english_login, _published_lesson

pytestmark = pytest.mark.e2e

CORPUS = Path(os.environ.get("OER_CORPUS")
              or Path(__file__).resolve().parents[2].parent / "shared" / "corpus")
#: Code and tables (MessagePack's reference), shell sessions and long addresses (Git setup).
CORPUS_LESSONS = ("lxiym-en-messagepack", "swc-git-novice-02-setup")
SCREENSHOTS = os.environ.get("OER_SCREENSHOT_DIR")

OWN_PAGE = f"""\
# Opdracht

Lees [de handleiding](https://example.org/handleidingen/arrangementen/{"lang-pad/" * 8}einde)
en vul de tabel in. Meer op <https://example.org/meer>.

| Stap | Wat je doet | Hoe lang |
|---|---|---|
| 1 | Lezen | 10 minuten |
| 2 | Proberen | 20 minuten |

```
git config --global user.name "{"Een heel lange naam " * 5}"
```
"""


def _arrangement(live_server, owner_email: str, moderator_email: str, admin_email: str,
                 title: str) -> tuple[int, list[str]]:
    """Anna's published arrangement: a section with her page and the corpus lessons (or
    our own lesson), and a last section with our own lesson; returns its id and the titles
    of the included lessons."""
    from sqlalchemy import select

    from oer_portal.accounts import service as accounts
    from oer_portal.arrangements import service as arrangements
    from oer_portal.arrangements.structure import Node, NodeKind
    from oer_portal.core.uow import current_uow
    from oer_portal.extensions import db
    from oer_portal.materials import interchange, lifecycle
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import Material

    own = _published_lesson(live_server, owner_email, moderator_email,
                            f"Breuken op de lijn {title}")
    with live_server.app.app_context():
        admin = accounts.find_by_email(admin_email)
        for folder in (CORPUS / "materials" / name for name in CORPUS_LESSONS):
            if folder.is_dir():
                summary = interchange.import_path(folder, admin, commit=current_uow().commit,
                                                  rollback=current_uow().rollback,
                                                  publisher=admin)
                assert not summary.failed, summary.failed
        corpus = list(db.session.scalars(select(Material).where(
            Material.external_id.in_(CORPUS_LESSONS)).order_by(Material.external_id)))
        included = [m.id for m in corpus] + [own]
        titles = [m.latest_version.title for m in corpus] + [f"Breuken op de lijn {title}"]
        outline = (Node(NodeKind.SECTION, 0, "Aan de slag"),
                   Node(NodeKind.PAGE, 1, "Opdracht", OWN_PAGE),
                   *(Node(NodeKind.MATERIAL, 1, material_id=i) for i in included[:-1]),
                   Node(NodeKind.SECTION, 0, "Rekenen"),
                   Node(NodeKind.MATERIAL, 1, material_id=own))
        owner = accounts.find_by_email(owner_email)
        material = arrangements.create_arrangement(owner, VersionFields(
            title=title, description="Een arrangement om te remixen en af te drukken.",
            body="Welkom bij dit arrangement.", licence="CC-BY-4.0", language="nl"), outline)
        current_uow().commit()
        lifecycle.publish(material, material.latest_version,
                          accounts.find_by_email(moderator_email))
        current_uow().commit()
        return material.id, titles


def _print_screenshots(page: Page, name: str) -> None:
    """The page as it prints, at a desktop's and a phone's width, when screenshots are on."""
    if not SCREENSHOTS:
        return
    folder = Path(SCREENSHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    for label, width in (("desktop", 1280), ("phone", 390)):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=folder / f"{name}-print-{label}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def _download_titles(page: Page, folder: Path) -> list[str]:
    """Downloads the page's Common Cartridge and web pages; the cartridge's item titles, each
    listed file present in it, and the web pages' contents linking only inside the ZIP."""
    with page.expect_download() as cartridge:
        page.get_by_role("link", name="Common Cartridge (.imscc)").click()
    path = folder / cartridge.value.suggested_filename
    cartridge.value.save_as(path)
    namespace = {"c": "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"}
    with zipfile.ZipFile(path) as archive:
        manifest = etree.fromstring(archive.read("imsmanifest.xml"))
        for file in manifest.iterfind(".//c:file", namespace):
            archive.getinfo(file.get("href"))
        titles = [t.text for t in manifest.iterfind(".//c:item/c:title", namespace)]
    with page.expect_download() as pages:
        page.get_by_role("link", name="Web pages (.zip)").click()
    path = folder / pages.value.suggested_filename
    pages.value.save_as(path)
    with zipfile.ZipFile(path) as archive:
        index = etree.fromstring(archive.read("index.html"), etree.HTMLParser())
        for link in index.iterfind(".//nav//a"):
            archive.getinfo(posixpath.normpath(link.get("href")))
    return titles


def test_remix_an_arrangement_edit_the_copy_and_print_it(page: Page, browser: Browser,
                                                         live_server, check_page, tmp_path):
    base = live_server.url
    anna = _create_user(live_server, "anna", "Anna Aalders", "teacher")
    cor = _create_user(live_server, "cor", "Cor Claassen", "teacher")
    moderator = _create_user(live_server, "mo", "Mo Moderator", "moderator")
    admin = _create_user(live_server, "admin", "Ad Admin", "admin")
    title = f"Aan de slag met data {uuid.uuid4().hex[:6]}"
    source, included = _arrangement(live_server, anna, moderator, admin, title)
    remix_title = f"{title} voor 4 havo"

    # --- Cor remixes the arrangement from its page: the licences CC BY allows. ---
    _english_login(page, base, cor)
    page.goto(f"{base}/materials/{source}")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    page.get_by_role("link", name="Remix this material").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Remix “{title}”")
    expect(page.get_by_text("The included materials stay included as they are")).to_be_visible()
    licences = page.get_by_role("group", name="Licence of your remix").get_by_role("radio")
    expect(licences).to_have_count(2)  # BY allows BY and BY-SA
    check_page(page, "arrangement-remix-form")
    page.get_by_label("Title of your remix").fill(remix_title)
    page.get_by_role("radio", name=re.compile(r"^CC BY-SA — ")).check()
    page.get_by_role("button", name="Remix and start editing").click()

    # --- The builder holds the copied outline: own pages editable, lessons included. ---
    expect(page).to_have_url(re.compile(r"/materials/\d+/arrange$"))
    remix = int(re.search(r"/materials/(\d+)/arrange", page.url)[1])
    expect(page.get_by_label("Title of section 1")).to_have_value("Aan de slag")
    expect(page.get_by_label("Title of page 1.1")).to_have_value("Opdracht")
    for lesson in included:
        expect(page.locator(".builder__material", has_text=lesson).first).to_be_visible()
    check_page(page, "arrangement-remix-builder")
    page.get_by_label("Title of page 1.1").fill("Opdracht voor 4 havo")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Saved as a draft.")).to_be_visible()

    # --- The remix's page credits the original and links its print view. ---
    credits = page.get_by_role("region", name="Credits")
    expect(credits).to_contain_text(f"“{remix_title}” by Cor Claassen is licensed under "
                                    "CC BY-SA 4.0")
    expect(credits).to_contain_text(f"Adapted from “{title}”")
    check_page(page, "arrangement-remix-page")

    # --- She takes her remix to her school's learning environment and offline. ---
    outline_titles = _download_titles(page, tmp_path)
    assert outline_titles[-1] == "Credits" and len(outline_titles) > 2
    page.get_by_role("link", name="Print the whole arrangement").click()
    expect(page).to_have_url(f"{base}/materials/{remix}/print")

    # --- The print view: everything in order on one page, credits at the end. ---
    expect(page.get_by_role("heading", level=1)).to_have_text(remix_title)
    expect(page.get_by_role("heading", level=2, name="1 Aan de slag")).to_be_visible()
    expect(page.get_by_role("heading", level=3, name="1.1 Opdracht voor 4 havo")).to_be_visible()
    for lesson in included:
        expect(page.locator(".print-part h3, .print-part h2", has_text=lesson).first) \
            .to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Credits")).to_be_visible()
    expect(page.get_by_role("button", name="Print")).to_be_visible()  # print.js shows it
    check_page(page, "arrangement-print")

    # --- On paper: no navigation, no buttons; links written out; each top part a sheet. ---
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Account")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.get_by_role("button", name="Print")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    link = page.get_by_role("link", name="de handleiding")
    after = link.evaluate("a => getComputedStyle(a, '::after').content")
    assert "https://example.org/handleidingen" in after, after
    # An address that is its own text is not repeated.
    bare = page.get_by_role("link", name="https://example.org/meer")
    assert bare.evaluate("a => getComputedStyle(a, '::after').content") == "none"
    breaks = page.locator(".print-part--top").first.evaluate(
        "s => getComputedStyle(s).breakBefore")
    assert breaks == "page", breaks
    assert page.evaluate("document.querySelector('pre') === null || "
                         "getComputedStyle(document.querySelector('pre')).whiteSpace"
                         " === 'pre-wrap'")
    _print_screenshots(page, "arrangement-print")

    # --- A material's own page prints without chrome and without the screen's panels. ---
    page.goto(f"{base}/materials/{source}")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".remix-panel")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    _print_screenshots(page, "arrangement-page")
    page.emulate_media(media="screen")

    # --- Without JavaScript the print view is whole; only the button stays hidden. ---
    context = browser.new_context(java_script_enabled=False)
    try:
        plain = context.new_page()
        plain.goto(f"{base}/materials/{source}/print")
        expect(plain.get_by_role("heading", level=1)).to_have_text(title)
        expect(plain.get_by_role("heading", level=3, name="1.1 Opdracht")).to_be_visible()
        expect(plain.locator("[data-print] button")).to_be_hidden()
    finally:
        context.close()
