"""Reading a cartridge's manifest and pages: the CC versions and plain IMS CP, LOM in any
namespace, the licence by id or deed, pages without scripts, and hostile XML refused."""

from __future__ import annotations

import pytest

from oer_portal.arrangements.cartridge_fields import licence_in
from oer_portal.arrangements.cartridge_manifest import (
    MAX_NESTING,
    CartridgeInvalid,
    Item,
    html_as_markdown,
    parse_manifest,
    parse_page,
    parse_weblink,
)
from tests.fixtures.cartridges import manifest


@pytest.mark.parametrize("version", ["imsccv1p1", "imsccv1p2", "imsccv1p3"])
def test_every_common_cartridge_version_is_read(version: str) -> None:
    text = manifest("Titel", '<item identifier="A"><title>Sectie</title>'
                    '<item identifier="B" identifierref="R"><title>Pagina</title></item></item>',
                    '<resource identifier="R" type="webcontent" href="p/index.html">'
                    '<file href="p/index.html"/></resource>', description="Over water",
                    keywords=("water", "water", "dijk"), language="en-GB")
    parsed = parse_manifest(text.replace("imsccv1p3/imscp", f"{version}/imscp").encode())
    assert parsed.metadata.title == "Titel" and parsed.metadata.description == "Over water"
    assert parsed.metadata.keywords == ("water", "dijk")
    assert parsed.metadata.language == "en-GB"
    assert "CC-BY-SA-4.0" in parsed.metadata.rights
    assert parsed.items == (Item("Sectie", None, (Item("Pagina", "R"),)),)
    assert parsed.resources["R"].files == ("p/index.html",)


def test_lom_of_plain_content_packaging_is_read_by_local_name() -> None:
    text = ('<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" '
            'xmlns:imsmd="http://www.imsglobal.org/xsd/imsmd_v1p2"><metadata><imsmd:lom>'
            '<imsmd:general><imsmd:title><imsmd:langstring xml:lang="nl">Pakket'
            '</imsmd:langstring></imsmd:title></imsmd:general></imsmd:lom></metadata>'
            '<organizations><organization><item identifierref="R"><title>Een</title></item>'
            '<item identifierref="R"><title>Twee</title></item></organization></organizations>'
            '<resources xml:base="content/"><resource identifier="R" type="webcontent" '
            'href="a.html"/></resources></manifest>')
    parsed = parse_manifest(text.encode())
    assert parsed.metadata.title == "Pakket"
    assert [i.title for i in parsed.items] == ["Een", "Twee"]  # no single root: both on top
    assert parsed.resources["R"].href == "content/a.html"


def test_the_licence_is_found_by_its_id_or_its_deed() -> None:
    assert licence_in("CC BY-SA 4.0 (CC-BY-SA-4.0)") == "CC-BY-SA-4.0"
    assert licence_in("cc-by-4.0") == "CC-BY-4.0"
    assert licence_in("see http://creativecommons.org/licenses/by-nc/4.0/") == \
        "CC-BY-NC-4.0"
    assert licence_in("All rights reserved") is None
    assert licence_in("") is None


def test_a_page_loses_its_scripts_styles_and_repeated_title() -> None:
    page = parse_page(b'<html><head><title>Dijken</title><meta name="oer-portal:kind" '
                      b'content="page"><script>bad()</script></head><body><h1>Dijken</h1>'
                      b'<p onclick="x()">Een <b>dijk</b></p><style>p{}</style>'
                      b'<iframe src="https://evil.example"></iframe></body></html>')
    assert page.meta == {"oer-portal:kind": "page"}
    assert page.body_html == "<p>Een <b>dijk</b></p>"
    assert html_as_markdown("<div>\n    <p>a</p>\n\n    <p>b</p>\n</div>") == \
        "<div>\n<p>a</p>\n<p>b</p>\n</div>"


def test_a_web_link_gives_its_title_and_address() -> None:
    data = (b'<webLink xmlns="http://www.imsglobal.org/xsd/imsccv1p1/imswl_v1p1">'
            b'<title>RWS</title><url href=" https://rws.nl/ " target="_blank"/></webLink>')
    assert parse_weblink(data, "l.xml") == ("RWS", "https://rws.nl/")
    with pytest.raises(CartridgeInvalid, match="is not a web link"):
        parse_weblink(b"<x/>", "l.xml")


def test_hostile_or_foreign_xml_is_refused() -> None:
    with pytest.raises(CartridgeInvalid, match="declares a DTD or entities"):
        parse_manifest(b'<!DOCTYPE m SYSTEM "http://evil.example/x.dtd"><manifest/>')
    with pytest.raises(CartridgeInvalid, match="declares a DTD or entities"):
        parse_manifest(b'<!DOCTYPE m [<!ENTITY e SYSTEM "file:///etc/passwd">]><m>&e;</m>')
    with pytest.raises(CartridgeInvalid, match="not well-formed XML"):
        parse_manifest(b"\xff\xfe not xml")
    with pytest.raises(CartridgeInvalid, match="not an IMS Common Cartridge"):
        parse_manifest(b'<manifest xmlns="urn:other"/>')
    nested = "<item><title>x</title>" * (MAX_NESTING + 2) + "</item>" * (MAX_NESTING + 2)
    with pytest.raises(CartridgeInvalid, match="nested more than"):
        parse_manifest(manifest("T", nested, "").encode())


def test_an_imported_page_keeps_rendering_its_text_without_showing_tags() -> None:
    """A lesson's tags that the portal does not render are shown as text (issue 16); an
    imported page's HTML is markup, not an author writing about tags: the tags the portal
    does not render are dropped at import, their text kept (blocks as ``<div>``)."""
    from oer_portal.core.markdown import render_markdown

    page = parse_page(b'<html><head><title>Dijken</title></head><body><section><h1>Inleiding'
                      b'</h1><center>Een <font color="red">dijk</font></center><article><p>'
                      b'houdt <abbr title="water">H<sub>2</sub>O</abbr> tegen &lt;textarea&gt;'
                      b'</p></article><header>Kop</header><col><wbr></section></body></html>')
    rendered = str(render_markdown(html_as_markdown(page.body_html)))
    assert rendered == ('<div>Inleiding</div>\n<div>Een dijk</div>\n<div><p>houdt <abbr '
                        'title="water">H<sub>2</sub>O</abbr> tegen &lt;textarea&gt;</p></div>\n'
                        '<div>Kop</div>')
