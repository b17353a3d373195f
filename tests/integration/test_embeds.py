"""The embed view (framable, only it), what it shows, oEmbed and the "Insluiten" box."""

from __future__ import annotations

import html
import re

import pytest

from oer_portal.accounts.models import User
from oer_portal.arrangements.structure import Node, NodeKind
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials.metadata import VersionFields
from tests.fixtures.samples import pdf_bytes
from tests.fixtures.syndication import publish_head, save_draft, withdraw

BODY = ("## Uitleg\n\nZie [de getallenlijn](https://example.com/lijn) en "
        "[verderop](#opdracht).\n\n## Opdracht\n\nVergelijk 1/2 en 2/3.\n")


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "mod": make_user("moderator", name="Mo Moderator")}


@pytest.fixture()
def lesson(people, make_material):
    return make_material(people["anna"], title="Breuken", body=BODY, publish_by=people["mod"],
                         licence="CC-BY-SA-4.0")


def _frame_ancestors(response) -> str:
    csp = response.headers["Content-Security-Policy"]
    return next(part.strip() for part in csp.split(";")
                if part.strip().startswith("frame-ancestors"))


def test_only_the_embed_view_may_be_framed(app, client, people, lesson):
    embed = client.get(f"/materials/{lesson}/embed")
    assert embed.status_code == 200
    assert _frame_ancestors(embed) == "frame-ancestors *"
    assert "X-Frame-Options" not in embed.headers
    assert "script-src 'self'" in embed.headers["Content-Security-Policy"]
    for path in ("/", f"/materials/{lesson}-breuken", "/does-not-exist", "/search",
                 "/feeds/materials.atom", "/sitemap.xml", "/robots.txt",
                 f"/oembed?url=http://localhost/materials/{lesson}", "/materials/999/embed"):
        response = client.get(path)
        assert _frame_ancestors(response) == "frame-ancestors 'none'", path
        assert response.headers["X-Frame-Options"] == "DENY", path


def test_the_framing_origins_are_configurable(app, client, lesson):
    app.config["EMBED_FRAME_ANCESTORS"] = ["https://lms.example.nl", "https://elo.school.nl"]
    response = client.get(f"/materials/{lesson}/embed")
    assert _frame_ancestors(response) == \
        "frame-ancestors https://lms.example.nl https://elo.school.nl"
    app.config["EMBED_FRAME_ANCESTORS"] = "https://a.example https://b.example"
    assert _frame_ancestors(client.get(f"/materials/{lesson}/embed")) == \
        "frame-ancestors https://a.example https://b.example"


def test_the_embed_view_shows_the_lesson_with_credits_and_links_in_a_new_tab(
        app, client, people, make_material):
    material_id = make_material(people["anna"], title="Breuken", body=BODY,
                                publish_by=people["mod"], licence="CC-BY-SA-4.0",
                                attachments=[])
    page = client.get(f"/materials/{material_id}/embed").get_data(as_text=True)
    assert "<h1>Breuken</h1>" in page and "Vergelijk 1/2 en 2/3." in page
    assert 'class="embed__credits"' in page and "Anna Aalders" in page
    assert "CC BY-SA" in page
    assert 'class="site-header"' not in page and "<form" not in page
    assert f'href="http://localhost/materials/{material_id}-breuken"' in page
    anchors = re.findall(r"<a\b[^>]*>", page)
    assert anchors
    for anchor in anchors:
        href = re.search(r'href="([^"]*)"', anchor)[1]
        if href.startswith("#"):
            assert "target=" not in anchor  # a link within the text stays in the frame
            continue
        assert 'target="_blank"' in anchor, anchor
        assert re.search(r'rel="[^"]*\bnoopener\b', anchor), anchor
    assert '<meta name="robots" content="noindex">' in page


def test_the_embed_view_lists_attachments(app, client, people, make_material):
    from oer_portal.materials.attachments import Upload, store_upload

    with app.app_context():
        import io

        ref = store_upload(Upload(io.BytesIO(pdf_bytes("Werkblad")), "werkblad.pdf"))
        current_uow().commit()
    material_id = make_material(people["anna"], publish_by=people["mod"], attachments=[ref])
    page = client.get(f"/materials/{material_id}/embed").get_data(as_text=True)
    link = re.search(r'<a href="([^"]*werkblad\.pdf)"[^>]*>', page)
    assert link and 'target="_blank"' in link[0]
    assert client.get(link[1].removeprefix("http://localhost")).status_code == 200


def test_the_embed_never_shows_a_draft_even_to_its_author(app, client, people, lesson,
                                                         make_material):
    save_draft(app, people["anna"].id, lesson, title="Geheime versie", body="Niet af.")
    client.login(people["anna"].email)
    page = client.get(f"/materials/{lesson}/embed").get_data(as_text=True)
    assert "Geheime versie" not in page and "Niet af." not in page and "Breuken" in page
    draft = make_material(people["anna"], title="Nog een concept")
    assert client.get(f"/materials/{draft}/embed").status_code == 404
    assert client.get("/materials/4242/embed").status_code == 404


def test_a_withdrawn_material_leaves_a_framable_tombstone(app, client, people, lesson):
    withdraw(app, lesson, people["anna"].id)
    response = client.get(f"/materials/{lesson}/embed")
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert "This material has been withdrawn" in page and "Vergelijk" not in page
    assert _frame_ancestors(response) == "frame-ancestors *"


def test_an_arrangement_embed_shows_its_contents_and_credits(app, client, people,
                                                            make_material):
    from oer_portal.arrangements import service

    part = make_material(people["anna"], title="Eerste les", publish_by=people["mod"])
    with app.app_context():
        arrangement = service.create_arrangement(
            db.session.get(User, people["anna"].id),
            VersionFields(title="Water in Nederland", body="Inleiding."),
            [Node(NodeKind.SECTION, 0, "Begin"), Node(NodeKind.MATERIAL, 1, material_id=part)])
        current_uow().commit()
        arrangement_id = arrangement.id
    publish_head(app, arrangement_id, people["mod"].id)
    response = client.get(f"/materials/{arrangement_id}/embed")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Water in Nederland" in page and "Eerste les" in page and "Begin" in page
    assert "Included materials and their licences" in page
    part_link = re.search(r'<a href="(/materials/\d+-water-in-nederland/parts/2)"[^>]*>', page)
    assert part_link and 'target="_blank"' in part_link[0]
    # the arrangement's own page offers its embed code too
    own = client.get(f"/materials/{arrangement_id}-water-in-nederland").get_data(as_text=True)
    assert f"/materials/{arrangement_id}/embed" in html.unescape(
        own.split('class="embed-code"')[1].split("</section>")[0])


# -- oEmbed ---------------------------------------------------------------------------------


def test_oembed_answers_for_a_material_page(client, people, lesson):
    response = client.get("/oembed", query_string={
        "url": f"http://localhost/materials/{lesson}-breuken", "format": "json"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert data["version"] == "1.0" and data["type"] == "rich"
    assert data["title"] == "Breuken" and data["author_name"] == "Anna Aalders"
    assert data["author_url"] == f"http://localhost/people/{people['anna'].id}-anna-aalders"
    assert data["provider_name"] == "OER portal" and data["provider_url"] == "http://localhost/"
    assert (data["width"], data["height"]) == (800, 600)
    assert data["html"].startswith(
        f'<iframe src="http://localhost/materials/{lesson}/embed" title="Breuken"')
    assert 'width="800" height="600"' in data["html"]


def test_oembed_keeps_within_maxwidth_and_maxheight(client, lesson):
    data = client.get("/oembed", query_string={
        "url": f"http://localhost/materials/{lesson}", "maxwidth": "400",
        "maxheight": "300"}).get_json()
    assert (data["width"], data["height"]) == (400, 300)
    assert 'width="400" height="300"' in data["html"]
    data = client.get("/oembed", query_string={
        "url": f"http://localhost/materials/{lesson}/embed", "maxwidth": "5000",
        "maxheight": "x"}).get_json()
    assert (data["width"], data["height"]) == (800, 600)


def test_oembed_refuses_what_is_not_a_public_material(app, client, people, lesson,
                                                      make_material):
    draft = make_material(people["anna"], title="Concept")
    gone = make_material(people["anna"], title="Weg", publish_by=people["mod"])
    withdraw(app, gone, people["anna"].id)
    client.login(people["anna"].email)  # the author's session changes nothing
    for url in (f"http://localhost/materials/{draft}-concept", f"http://localhost/materials/{gone}",
                "http://localhost/materials/4242", "http://localhost/search",
                f"https://elsewhere.example/materials/{lesson}", "not a url", "",
                f"http://localhost/materials/{lesson}/edit", f"javascript:/materials/{lesson}"):
        response = client.get("/oembed", query_string={"url": url})
        assert response.status_code == 404, url
        assert "Concept" not in response.get_data(as_text=True)
    response = client.get("/oembed", query_string={
        "url": f"http://localhost/materials/{lesson}", "format": "xml"})
    assert response.status_code == 501


# -- "Insluiten" on the material page ------------------------------------------------------


def test_the_material_page_offers_the_embed_code(client, lesson):
    page = client.get(f"/materials/{lesson}-breuken").get_data(as_text=True)
    box = page.split('class="embed-code"')[1].split("</section>")[0]
    assert "<details" in box and "<summary" in box
    assert f'<label for="embed-code-{lesson}">' in box
    code = html.unescape(re.search(r"<textarea[^>]*readonly[^>]*>(.*?)</textarea>", box,
                                   re.DOTALL)[1])
    assert code.startswith(f'<iframe src="http://localhost/materials/{lesson}/embed"')
    assert f'data-copy="embed-code-{lesson}"' in box


def test_the_embed_code_is_translated(new_client, lesson):
    dutch = new_client(locale="nl")
    page = dutch.get(f"/materials/{lesson}-breuken").get_data(as_text=True)
    assert "<summary id=\"embed-code-title\">Insluiten</summary>" in page
