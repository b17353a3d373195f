"""Links between a cartridge page and its files (``cartridge_links``): which targets point
into the archive, how Markdown and HTML are rewritten without touching code or other
addresses, and how the export turns the portal's addresses into paths inside the ZIP."""

from __future__ import annotations

import pytest

from oer_portal.arrangements.cartridge_links import (
    FileLinks,
    archive_places,
    material_file,
    relative_file_links,
)

STORED = {"p/files/kaart.png": "kaart.png", "gedeeld/blad.pdf": "werk blad.pdf",
          "web_resources/foto.jpg": "foto (2).jpg"}


@pytest.mark.parametrize(("target", "expected"), [
    ("files/kaart.png", (["p/files/kaart.png"], "")),
    ("./files/kaart.png#x", (["p/files/kaart.png"], "x")),
    ("../gedeeld/blad%20een.pdf?dl=1", (["gedeeld/blad een.pdf"], "")),
    ("$IMS-CC-FILEBASE$/foto.jpg", (["p/foto.jpg", "foto.jpg", "web_resources/foto.jpg"], "")),
    ("%24IMS-CC-FILEBASE%24/foto.jpg",
     (["p/foto.jpg", "foto.jpg", "web_resources/foto.jpg"], "")),
    ("../../../etc/passwd", ([], "")),
    ("https://example.org/files/kaart.png", None),
    ("//example.org/kaart.png", None),
    ("/materials/1/attachments/kaart.png", None),
    ("mailto:juf@example.org", None),
    ("javascript:alert(1)", None),
    ("#boven", None),
    ("", None),
])
def test_which_targets_point_into_the_archive(target, expected) -> None:
    assert archive_places(target, "p") == expected


def test_markdown_targets_are_rewritten_and_code_is_not() -> None:
    links = FileLinks(7, STORED)
    text = ("![kaart](files/kaart.png \"Titel\") [blad](<../gedeeld/blad.pdf>)\n"
            "[ref]: $IMS-CC-FILEBASE$/foto.jpg\n"
            "<img alt=\"k\" src='files/kaart.png'> <a href=\"files/weg.pdf\">weg</a>\n"
            "`![k](files/kaart.png)` [web](https://example.org/files/kaart.png) [a](#x)\n"
            "```\n![k](files/kaart.png)\n```\n")
    assert links.markdown(text, "p") == (
        "![kaart](/materials/7/attachments/kaart.png \"Titel\") "
        "[blad](</materials/7/attachments/werk%20blad.pdf>)\n"
        "[ref]: /materials/7/attachments/foto%20%282%29.jpg\n"
        "<img alt=\"k\" src=\"/materials/7/attachments/kaart.png\"> "
        "<a href=\"files/weg.pdf\">weg</a>\n"
        "`![k](files/kaart.png)` [web](https://example.org/files/kaart.png) [a](#x)\n"
        "```\n![k](files/kaart.png)\n```\n")
    assert list(links.left) == ["files/weg.pdf"]


def test_html_attributes_are_rewritten_and_untouched_html_is_not_reserialised() -> None:
    links = FileLinks(7, STORED)
    html = '<p>Zie <img src="files/kaart.png" alt="k"><br>\n<a href="files/kaart.png#b">x</a></p>'
    assert links.html(html, "p") == (
        '<p>Zie <img src="/materials/7/attachments/kaart.png" alt="k"><br>\n'
        '<a href="/materials/7/attachments/kaart.png#b">x</a></p>')
    untouched = "<p>Geen <b>bestanden</b>,<a href='https://x.nl'>web</a></p>"
    assert links.html(untouched, "p") == untouched


def test_a_portal_address_names_the_file_the_export_put_beside_the_page() -> None:
    links = FileLinks(9, {"p/files/werk blad.pdf": "blad.pdf"}, ["http://portal.test"])
    assert links.address("/materials/3/attachments/werk%20blad.pdf", "p") == \
        "/materials/9/attachments/blad.pdf"
    assert links.address("http://portal.test/materials/3/attachments/werk%20blad.pdf",
                         "p") == "/materials/9/attachments/blad.pdf"
    assert links.address("http://elders.test/materials/3/attachments/werk%20blad.pdf",
                         "p") is None
    assert links.address("/materials/3/attachments/ander.pdf", "p") is None
    assert not links.left


def test_material_file_reads_only_file_addresses_of_the_portal() -> None:
    portal = "https://oer.test/portaal"
    assert material_file("/materials/5/attachments/a%20b.pdf#p=2", portal) == (5, "a b.pdf",
                                                                               "p=2")
    assert material_file("https://oer.test/portaal/materials/5/attachments/x.png",
                         portal) == (5, "x.png", "")
    assert material_file("https://evil.test/materials/5/attachments/x.png", portal) is None
    assert material_file("/materials/5/files/3/x.png", portal) is None
    assert material_file("/materials/5/attachments/../../admin", portal) is None


def test_the_export_links_files_relative_to_the_page() -> None:
    places = {(5, "kaart.png"): "parts/002-a/files/kaart.png",
              (6, "a b.pdf"): "parts/003-b/files/a b.pdf"}
    html = ('<img src="/materials/5/attachments/kaart.png"> '
            '<a href="/materials/6/attachments/a%20b.pdf#p">b</a> '
            '<a href="/materials/8/attachments/elders.pdf">c</a> '
            '<a href="/materials/5">pagina</a>')
    assert relative_file_links(html, "parts/002-a/index.html", places, "http://p.test") == (
        '<img src="files/kaart.png"> <a href="../003-b/files/a%20b.pdf#p">b</a> '
        '<a href="http://p.test/materials/8/attachments/elders.pdf">c</a> '
        '<a href="/materials/5">pagina</a>')
    offline = relative_file_links(html, "parts/002-a.html",
                                  {(5, "kaart.png"): "files/002-a/kaart.png"}, "http://p.test")
    assert offline.startswith('<img src="../files/002-a/kaart.png">')
