"""A teacher downloads her arrangement from its page as a Common Cartridge and as web pages;
both archives are what the page promised (the manifest lists the parts, the web pages open
at a table of contents that links the parts inside the ZIP, and read from the disk).  The
page with the download buttons and the exported pages pass axe at both widths."""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from playwright.sync_api import Page, expect

from tests.e2e.test_remix_journey import _create_user, _english_login

pytestmark = pytest.mark.e2e

NS = {"c": "http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1"}


def _course(live_server, anna: str, bea: str, moderator: str) -> int:
    from oer_portal.accounts import service as accounts
    from tests.fixtures.exports import build_course

    with live_server.app.app_context():
        ids = [accounts.find_by_email(email).id for email in (anna, bea, moderator)]
        return build_course(*ids).arrangement


def _download(page: Page, name: str, folder: Path) -> Path:
    with page.expect_download() as download:
        page.get_by_role("link", name=name).click()
    target = folder / download.value.suggested_filename
    download.value.save_as(target)
    return target


def test_download_an_arrangement_as_a_cartridge_and_as_web_pages(page: Page, live_server,
                                                                  check_page, tmp_path):
    base = live_server.url
    anna = _create_user(live_server, "anna", "Anna Aalders", "teacher")
    bea = _create_user(live_server, "bea", "Bea Bakker", "teacher")
    moderator = _create_user(live_server, "mo", "Mo Moderator", "moderator")
    arrangement = _course(live_server, anna, bea, moderator)

    _english_login(page, base, anna)
    page.goto(f"{base}/materials/{arrangement}")
    downloads = page.get_by_role("region", name="Download")
    expect(downloads.get_by_role("link", name="Common Cartridge (.imscc)")).to_be_visible()
    check_page(page, "material page with downloads")

    cartridge = _download(page, "Common Cartridge (.imscc)", tmp_path)
    assert cartridge.name == "water-in-nederland.imscc"
    with zipfile.ZipFile(cartridge) as archive:
        manifest = etree.fromstring(archive.read("imsmanifest.xml"))
        titles = [t.text for t in manifest.iterfind(".//c:item/c:title", NS)]
        assert titles[:4] == ["Introduction", "Eb en vloed", "Inleiding", "Getijden"]
        assert "Mijn concept" in titles  # her own draft, for her
        for file in manifest.iterfind(".//c:file", NS):
            archive.getinfo(file.get("href"))

    pages = _download(page, "Web pages (.zip)", tmp_path)
    assert pages.name == "water-in-nederland.zip"
    with zipfile.ZipFile(pages) as archive:
        index = etree.fromstring(archive.read("index.html"), etree.HTMLParser())
        links = [a.get("href") for a in index.iterfind(".//nav//a")]
        assert "parts/002-inleiding.html" in links and "credits.html" in links
        for link in links:
            archive.getinfo(posixpath.normpath(link))
        archive.extractall(tmp_path / "pages")  # our own archive, names checked above

    # Opened from the disk: styled, readable and navigable without the portal.
    page.goto((tmp_path / "pages" / "index.html").as_uri())
    expect(page.get_by_role("heading", name="Water in Nederland", level=1)).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.site-header'))"
                         ".backgroundColor") != "rgba(0, 0, 0, 0)"
    check_page(page, "web pages export, contents")
    page.get_by_role("link", name="Getijden", exact=True).click()
    expect(page.get_by_role("heading", name="1.2 Getijden")).to_be_visible()
    check_page(page, "web pages export, a part")
    page.get_by_role("link", name="Next: Springtij →").click()
    expect(page.get_by_role("heading", name="1.3.1 Springtij")).to_be_visible()
