"""The print view of an arrangement: every part in reading order on one page, headings nested
by section depth, what the reader may not see as a placeholder, and the credits at the end;
and the print style sheet every page links."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from flask import render_template

from oer_portal.accounts.models import User
from oer_portal.arrangements.printing import PrintPart, PrintView, for_part
from oer_portal.arrangements.structure import Node, NodeKind, tree
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials.models import Material, MaterialVersion
from tests.integration.test_arrangement_remix import make_arrangement


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "mod": make_user("moderator", name="Mo Moderator")}


LESSON = ("# Werkwijze\n\nMeet de dijk.\n\n```\nhoogte = 12\n```\n\n"
          "| Plaats | Hoogte |\n|---|---|\n| Delft | 3 |\n\n"
          "Zie [Rijkswaterstaat](https://www.rijkswaterstaat.nl/water).\n")


@pytest.fixture()
def arrangement(app, people, make_material):
    """Anna's published arrangement: a section holding a page and a section (with Bea's
    published lesson), Anna's own draft lesson, and a last page."""
    dijken = make_material(people["bea"], title="Dijken meten", body=LESSON,
                           licence="CC-BY-SA-4.0", publish_by=people["mod"])
    secret = make_material(people["anna"], title="Geheim concept", body="Nog niet af.\n")
    outline = (Node(NodeKind.SECTION, 0, "Hoog water"),
               Node(NodeKind.PAGE, 1, "Waarom dijken?", "# Werkwijze\n\nDe **zee** stijgt."),
               Node(NodeKind.SECTION, 1, "Meten"),
               Node(NodeKind.MATERIAL, 2, material_id=dijken),
               Node(NodeKind.MATERIAL, 0, material_id=secret),
               Node(NodeKind.PAGE, 0, "Afsluiting", "Wat weet je nu?"))
    # Published directly (a moderator's approval would refuse the draft it includes): the
    # public must see a placeholder where the draft is.
    material_id = make_arrangement(app, people["anna"], outline, publish_by=people["mod"])
    return {"id": material_id, "dijken": dijken, "secret": secret}


def _positions(page: str, *needles: str) -> list[int]:
    found = [page.find(needle) for needle in needles]
    assert -1 not in found, dict(zip(needles, found, strict=True))
    return found


def test_every_part_in_reading_order_with_headings_nested_by_depth(app, new_client,
                                                                   arrangement):
    response = new_client().get(f"/materials/{arrangement['id']}/print")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<meta name="robots" content="noindex">' in page
    assert "<h1>Water in Nederland</h1>" in page and "Inleiding over water." in page
    # Reading order, each part a heading one level below the section that holds it.
    order = _positions(page, '<h2 id="part-1-title">', '<h3 id="part-1.1-title">',
                       '<h3 id="part-1.2-title">', '<h4 id="part-1.2.1-title">',
                       '<h2 id="part-2-title">', '<h2 id="part-3-title">',
                       '<h2 id="print-credits-title">')
    assert order == sorted(order)
    assert "print-part--top" in re.search(r'<section id="part-1"[^>]*>', page)[0]
    assert "print-part--top" not in re.search(r'<section id="part-1.1"[^>]*>', page)[0]
    # The own page and the included lesson: their text, its headings below the part's own,
    # and their ids unique on the page (both have a "Werkwijze").
    assert "De <strong>zee</strong> stijgt." in page
    assert '<h4 id="p1-1-h-werkwijze">Werkwijze</h4>' in page
    assert '<h5 id="p1-2-1-h-werkwijze">Werkwijze</h5>' in page
    assert "hoogte = 12" in page and "<td>Delft</td>" in page
    assert 'href="https://www.rijkswaterstaat.nl/water"' in page
    # The included lesson keeps its own licence line; the page its arrangement's.
    part = page[page.find('<section id="part-1.2.1"'):page.find('<section id="part-2"')]
    assert "Dijken meten" in part and "licenses/by-sa/4.0/" in part and "Bea Bakker" in part
    assert "This page is part of the arrangement and shared under its licence" in page
    # A table of contents links to the parts on the page.
    assert '<a href="#part-1.2.1">Dijken meten</a>' in page


def test_a_draft_included_material_is_a_placeholder_for_the_public(app, client, new_client,
                                                                   people, arrangement):
    public = new_client().get(f"/materials/{arrangement['id']}/print").get_data(as_text=True)
    part = public[public.find('<section id="part-2"'):public.find('<section id="part-3"')]
    assert "This part is not available" in part
    assert "Geheim concept" not in public and "Nog niet af." not in public
    # Its author sees it (her own draft), as on the part pages.
    client.login(people["anna"].email)
    own = client.get(f"/materials/{arrangement['id']}/print").get_data(as_text=True)
    assert "Geheim concept" in own and "Nog niet af." in own
    assert "This part is not available" not in own
    # A withdrawn material becomes a placeholder too.
    with app.app_context():
        lifecycle.withdraw(db.session.get(User, people["mod"].id),
                           db.session.get(Material, arrangement["dijken"]), "Verouderd")
        current_uow().commit()
    public = new_client().get(f"/materials/{arrangement['id']}/print").get_data(as_text=True)
    assert public.count("This part is not available") == 2 and "Meet de dijk." not in public


def test_the_credits_come_at_the_end(new_client, arrangement):
    page = new_client().get(f"/materials/{arrangement['id']}/print").get_data(as_text=True)
    credits = page[page.find('<section class="print-credits"'):]
    assert credits and page.find('<section class="print-credits"') > page.find('id="part-3"')
    assert ">Water in Nederland</a>” by" in credits and "Anna Aalders" in credits
    assert "Except where otherwise noted" in credits
    assert ">Dijken meten</a>” by" in credits and "Bea Bakker" in credits
    assert "Geheim concept" not in credits


def test_the_print_view_follows_the_rules_of_the_material_and_its_versions(
        app, client, new_client, people, make_material, arrangement):
    draft = make_arrangement(app, people["anna"], (Node(NodeKind.PAGE, 0, "Een", "Tekst."),),
                             title="Concept")
    visitor = new_client()
    assert visitor.get(f"/materials/{draft}/print").status_code == 404
    assert visitor.get(f"/materials/{draft}/v/1/print").status_code == 404
    client.login(people["anna"].email)
    assert client.get(f"/materials/{draft}/print").status_code == 200
    assert client.get(f"/materials/{draft}/v/1/print").status_code == 200
    # A version's own print view; an unknown version is not found.
    assert "Water in Nederland" in visitor.get(
        f"/materials/{arrangement['id']}/v/1/print").get_data(as_text=True)
    assert visitor.get(f"/materials/{arrangement['id']}/v/9/print").status_code == 404
    # Only arrangements have one.
    lesson = make_material(people["bea"], title="Los", publish_by=people["mod"])
    assert visitor.get(f"/materials/{lesson}/print").status_code == 404


def test_the_arrangement_page_links_its_print_view_and_every_page_its_print_style(
        new_client, arrangement):
    visitor = new_client()
    page = visitor.get(f"/materials/{arrangement['id']}", follow_redirects=True).get_data(
        as_text=True)
    assert f'href="/materials/{arrangement["id"]}/print"' in page
    assert 'href="/static/css/print.css" media="print"' in page
    version = visitor.get(f"/materials/{arrangement['id']}/v/1").get_data(as_text=True)
    assert f'href="/materials/{arrangement["id"]}/v/1/print"' in version
    # The print button is a small module's; without it the page is whole and the button
    # stays hidden.
    printed = visitor.get(f"/materials/{arrangement['id']}/print").get_data(as_text=True)
    assert '<p data-print hidden><button type="button" class="button button--primary">' \
        in printed
    assert "<script type=\"module\" src=\"/static/js/print.js\"></script>" in printed
    css = visitor.get("/static/css/print.css").get_data(as_text=True)
    assert 'a[href^="http"]::after { content: " (" attr(href) ")"' in css
    assert ".site-header" in css and "break-before: page" in css


def test_a_link_part_is_printed_with_its_address_written_out(app):
    """Link parts (stored by their own feature) print their address as text."""
    outline = (Node(NodeKind.LINK, 0, "Waterstanden", url="https://waterinfo.rws.nl/#/kaart"),)
    with app.test_request_context("/"):
        material = Material(id=1, kind="arrangement", slug="water", owner_id=1)
        version = MaterialVersion(id=1, material_id=1, number=1, title="Water", body="",
                                  licence="CC-BY-4.0", language="nl")
        version.created_at = datetime(2026, 1, 1, tzinfo=UTC)
        part = PrintPart(0, "1", 0, NodeKind.LINK, "Waterstanden", 2,
                         url="https://waterinfo.rws.nl/#/kaart")
        view = PrintView(material, version, (part,), tree(outline), {0: "Waterstanden"},
                         credits="", collection_note="", item_credits=())
        page = render_template("arrangements/print.html", material=material, version=version,
                               view=view, introduction="", back_url="/", page_url="/")
    assert '<h2 id="part-1-title"><span class="toc__number">1</span> Waterstanden</h2>' in page
    assert ('<a href="https://waterinfo.rws.nl/#/kaart" rel="nofollow noopener">'
            'https://waterinfo.rws.nl/#/kaart</a>') in page


def test_a_part_s_text_moves_its_headings_and_ids_below_the_part():
    text = '<h2 id="h-a">A</h2><p><a href="#h-a">naar A</a></p><h6 id="h-z">Z</h6>'
    assert str(for_part(text, "1.2", 3)) == (
        '<h4 id="p1-2-h-a">A</h4><p><a href="#p1-2-h-a">naar A</a></p>'
        '<h6 id="p1-2-h-z">Z</h6>')
    bare = '<p><a href="https://x.org/a" rel="nofollow">https://x.org/a</a> <a href="https://x.org/b">b</a></p>'
    assert str(for_part(bare, "1", 2)) == (
        '<p><a data-url-shown href="https://x.org/a" rel="nofollow">https://x.org/a</a> '
        '<a href="https://x.org/b">b</a></p>')
    assert str(for_part(text, "3", 2)) == (
        '<h3 id="p3-h-a">A</h3><p><a href="#p3-h-a">naar A</a></p><h6 id="p3-h-z">Z</h6>')
