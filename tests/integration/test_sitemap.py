"""/sitemap.xml: an index of pages of at most SITEMAP_PAGE_SIZE material URLs, each with its
lastmod, published and not withdrawn materials only; and robots.txt naming it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from oer_portal.extensions import db
from oer_portal.materials.models import Material
from tests.fixtures.syndication import publish_head, save_draft, withdraw

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "mod": make_user("moderator", name="Mo Moderator")}


def _xml(client, path: str) -> etree._Element:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    root = etree.fromstring(response.get_data(),
                            etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.nsmap[None] == NS["s"]
    return root


def _published_at(app, material_id: int) -> datetime:
    with app.app_context():
        return db.session.get(Material, material_id).published_at


def test_the_index_pages_the_published_materials(app, client, people, make_material):
    app.config["SITEMAP_PAGE_SIZE"] = 2
    ids = [make_material(people["anna"], title=f"Les {n}", publish_by=people["mod"])
           for n in range(1, 6)]
    draft = make_material(people["anna"], title="Concept")
    withdrawn = make_material(people["anna"], title="Weg", publish_by=people["mod"])
    withdraw(app, withdrawn, people["anna"].id)

    index = _xml(client, "/sitemap.xml")
    assert etree.QName(index).localname == "sitemapindex"
    locations = index.xpath("//s:sitemap/s:loc/text()", namespaces=NS)
    assert locations[0] == "http://localhost/sitemaps/pages.xml"
    pages = locations[1:]
    assert pages == [f"http://localhost/sitemaps/materials-{n}.xml" for n in (1, 2, 3)]

    listed: dict[str, str] = {}
    for location in pages:
        urlset = _xml(client, location.removeprefix("http://localhost"))
        assert etree.QName(urlset).localname == "urlset"
        urls = urlset.xpath("s:url", namespaces=NS)
        assert 1 <= len(urls) <= 2
        for url in urls:
            listed[url.findtext("s:loc", namespaces=NS)] = url.findtext("s:lastmod",
                                                                         namespaces=NS)
    assert list(listed) == [f"http://localhost/materials/{i}-les-{n}"
                            for n, i in enumerate(ids, start=1)]
    for material_id, location in zip(ids, listed, strict=True):
        expected = _published_at(app, material_id).replace(microsecond=0)
        lastmod = datetime.fromisoformat(listed[location])
        assert lastmod.astimezone(UTC) == expected.astimezone(UTC)
    assert draft and not any("concept" in loc or "weg" in loc for loc in listed)


def test_lastmod_follows_the_published_version_not_drafts(app, client, people, make_material):
    material_id = make_material(people["anna"], publish_by=people["mod"])
    first = _xml(client, "/sitemaps/materials-1.xml").findtext("s:url/s:lastmod",
                                                               namespaces=NS)
    save_draft(app, people["anna"].id, material_id, title="Breuken 2")
    assert _xml(client, "/sitemaps/materials-1.xml").findtext(
        "s:url/s:lastmod", namespaces=NS) == first
    publish_head(app, material_id, people["mod"].id)
    later = _xml(client, "/sitemaps/materials-1.xml").findtext("s:url/s:lastmod",
                                                               namespaces=NS)
    assert later == _published_at(app, material_id).replace(microsecond=0).isoformat()
    index = _xml(client, "/sitemap.xml")
    assert index.xpath("//s:sitemap[2]/s:lastmod/text()", namespaces=NS) == [later]


def test_empty_and_unknown_pages(app, client, people, make_material):
    index = _xml(client, "/sitemap.xml")
    assert index.xpath("//s:sitemap/s:loc/text()", namespaces=NS) == [
        "http://localhost/sitemaps/pages.xml"]
    assert client.get("/sitemaps/materials-1.xml").status_code == 404
    assert client.get("/sitemaps/materials-0.xml").status_code == 404
    pages = _xml(client, "/sitemaps/pages.xml")
    assert pages.xpath("//s:loc/text()", namespaces=NS) == [
        "http://localhost/", "http://localhost/help/licences"]


def test_addresses_use_the_configured_portal_url(app, client, people, make_material):
    app.config["PORTAL_URL"] = "https://oer.example.nl"
    material_id = make_material(people["anna"], publish_by=people["mod"])
    # Another host the portal answers on (an untrusted one gets 400: test_trusted_hosts.py).
    response = client.get("/sitemaps/materials-1.xml", headers={"Host": "127.0.0.1"})
    assert f"https://oer.example.nl/materials/{material_id}-breuken" in response.get_data(
        as_text=True)
    robots = client.get("/robots.txt", headers={"Host": "127.0.0.1"}).get_data(as_text=True)
    assert "Sitemap: https://oer.example.nl/sitemap.xml" in robots


def test_robots_allows_public_pages_and_keeps_private_areas_out(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *" and "Allow: /" in lines
    for private in ("/account/", "/my/", "/admin/", "/moderation/", "/materials/*/edit",
                    "/materials/new", "/api/"):
        assert f"Disallow: {private}" in lines
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    assert not any(line in ("Disallow: /materials/", "Disallow: /people/", "Disallow: /search")
                   for line in lines)
