"""Offline web pages export: every link between the pages resolves to a file inside the
ZIP (relative, so the pages work from a disk), the portal's CSS comes along, each part has
a page with previous/next, and the credits page closes the reading order."""

from __future__ import annotations

import io
import posixpath
import zipfile
from urllib.parse import unquote, urlsplit

import pytest
from lxml import etree

from tests.fixtures.exports import Course, build_course


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "mod": make_user("moderator", name="Mo Moderator"),
            "student": make_user("student", name="Sam Student")}


@pytest.fixture()
def course(app, people) -> Course:
    with app.app_context():
        return build_course(people["anna"].id, people["bea"].id, people["mod"].id)


def _archive(client, material_id: int) -> zipfile.ZipFile:
    response = client.get(f"/materials/{material_id}/export.zip")
    assert response.status_code == 200
    return zipfile.ZipFile(io.BytesIO(response.data))


def _page(archive: zipfile.ZipFile, name: str) -> etree._Element:
    return etree.fromstring(archive.read(name), etree.HTMLParser())


def _local_links(page: etree._Element) -> list[str]:
    """Every address the page loads or links to that is not on another site."""
    found = [e.get("href") for e in page.iter("a", "link") if e.get("href")]
    found += [e.get("src") for e in page.iter() if e.get("src")]
    return [link for link in found if not urlsplit(link).scheme and not link.startswith("#")]


def test_every_link_between_the_pages_resolves_inside_the_zip(app, client, people, course):
    client.login(people["anna"].email)
    archive = _archive(client, course.arrangement)
    names = set(archive.namelist())
    assert {"index.html", "credits.html", "css/portal.css", "css/markdown.css"} <= names
    pages = [n for n in names if n.endswith(".html")]
    assert len([n for n in pages if n.startswith("parts/")]) == 8  # sections have none
    for name in pages:
        page = _page(archive, name)
        for link in _local_links(page):
            assert not link.startswith("/"), (name, link)
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name),
                                                       unquote(urlsplit(link).path)))
            assert target in names, (name, link)
        styles = [e.get("href") for e in page.iter("link") if e.get("rel") == "stylesheet"]
        assert [posixpath.basename(s) for s in styles] == ["portal.css", "markdown.css"]
        assert not page.xpath("//script")
    with open(f"{app.static_folder}/css/portal.css", "rb") as css:
        assert archive.read("css/portal.css") == css.read()


def test_the_index_holds_the_nested_contents_and_the_pages_read_in_order(app, client, people,
                                                                         course):
    archive = _archive(client, course.arrangement)
    index = _page(archive, "index.html")
    toc = index.xpath("//nav//ol[@class='toc']")[0]
    first = toc.xpath("./li")[0]
    assert " ".join(first.xpath("string(.)").split()).startswith(
        "1 Eb en vloed 1.1 Inleiding 1.2 Getijden 1.3 Verdieping 1.3.1 Springtij")
    assert toc.xpath("./li[1]/ol/li[3]/ol/li[1]/a")[0].get("href") == \
        "parts/005-springtij.html"
    # Previous and next follow the reading order and skip sections.
    page = _page(archive, "parts/003-getijden.html")
    assert page.xpath("//a[@rel='prev']")[0].get("href") == "002-inleiding.html"
    assert page.xpath("//a[@rel='next']")[0].get("href") == "005-springtij.html"
    assert "Het water" in page.xpath("string(//article)")
    assert page.xpath("//a[text()='kaart.png']")[0].get("href") == \
        "../files/003-getijden/kaart.png"
    assert _page(archive, "parts/009-afsluiting.html").xpath(
        "//a[@rel='next']")[0].get("href") == "010-getijtabel.html"
    link = _page(archive, "parts/010-getijtabel.html")
    assert link.xpath("//article//a[@href='https://waterinfo.rws.nl/getij?a=1&b=2']")
    assert link.xpath("//nav[@class='part-nav']/a")[-1].get("href") == "../credits.html"
    credits = archive.read("credits.html").decode()
    assert "Adapted from" in credits and "Springtij</strong>" in credits


def test_a_student_gets_a_placeholder_for_the_draft(app, new_client, people, course):
    student = new_client()
    student.login(people["student"].email)
    archive = _archive(student, course.arrangement)
    everything = b"".join(archive.read(n) for n in archive.namelist())
    assert b"Mijn concept" not in everything
    page = _page(archive, "parts/008-material-not-available.html")
    assert "This part is not available." in page.xpath("string(//article)")
