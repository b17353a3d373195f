"""schema.org JSON-LD on the material page: a LearningResource with every listed property,
``isBasedOn`` for a remix, ``hasPart`` for an arrangement; only the published version, and
no way out of the script element."""

from __future__ import annotations

import html

import pytest

from oer_portal.accounts.models import User
from oer_portal.arrangements.structure import Node, NodeKind
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials.metadata import VersionFields
from tests.fixtures.syndication import jsonld_of, publish_head, save_draft, withdraw

FIELDS = dict(
    description="Breuken vergelijken met de getallenlijn", language="nl",
    licence="CC-BY-SA-4.0", subjects=("mathematics",), levels=("havo",),
    keywords=("breuken", "getallenlijn"), objectives=("Ik kan breuken vergelijken.",
                                                      "Ik kan breuken ordenen."),
    duration_minutes=45, age_min=12, age_max=14)


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "mod": make_user("moderator", name="Mo Moderator")}


def _resource(client, material_id: int) -> dict:
    page = client.get(f"/materials/{material_id}", follow_redirects=True).get_data(as_text=True)
    blocks = jsonld_of(page)
    assert len(blocks) == 1, blocks
    return blocks[0]


def test_a_published_lesson_carries_every_listed_property(client, people, make_material):
    material_id = make_material(people["anna"], title="Breuken op de getallenlijn",
                                publish_by=people["mod"], **FIELDS)
    data = _resource(client, material_id)
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "LearningResource"
    assert data["name"] == "Breuken op de getallenlijn"
    assert data["description"] == FIELDS["description"]
    assert data["license"] == "https://creativecommons.org/licenses/by-sa/4.0/"
    assert data["inLanguage"] == "nl"
    assert [term["termCode"] for term in data["educationalLevel"]] == ["havo"]
    assert data["educationalLevel"][0]["name"].startswith("havo")
    assert data["teaches"] == list(FIELDS["objectives"])
    assert data["keywords"] == ["breuken", "getallenlijn"]
    assert [term["termCode"] for term in data["about"]] == ["mathematics"]
    assert data["author"] == [{"@type": "Person", "name": "Anna Aalders",
                               "url": f"http://localhost/people/{people['anna'].id}"
                                      "-anna-aalders"}]
    assert data["dateModified"].startswith("20")
    assert data["version"] == 1
    assert data["url"] == f"http://localhost/materials/{material_id}-breuken-op-de-getallenlijn"
    assert data["timeRequired"] == "PT45M" and data["typicalAgeRange"] == "12-14"
    assert "isBasedOn" not in data and "hasPart" not in data


def test_the_page_offers_oembed_discovery_for_the_published_version(client, people,
                                                                    make_material):
    material_id = make_material(people["anna"], publish_by=people["mod"])
    page = client.get(f"/materials/{material_id}-breuken").get_data(as_text=True)
    link = html.unescape(page.split('type="application/json+oembed"')[1].split(">")[0])
    assert f"/oembed?url=http://localhost/materials/{material_id}-breuken" in link
    assert "format=json" in link and 'title="Breuken"' in link


def test_a_draft_revision_never_appears(app, client, people, make_material):
    material_id = make_material(people["anna"], publish_by=people["mod"], **FIELDS)
    save_draft(app, people["anna"].id, material_id, title="Geheime conceptversie",
               keywords=("concept",))
    for viewer in (None, people["anna"]):
        if viewer:
            client.login(viewer.email)
        page = client.get(f"/materials/{material_id}-breuken").get_data(as_text=True)
        data = jsonld_of(page)[0]
        assert data["name"] == "Breuken" and data["version"] == 1
        assert "Geheime conceptversie" not in page.split("</head>")[0]
        assert "concept" not in data["keywords"]


def test_no_structured_data_for_drafts_permalinks_of_old_versions_or_withdrawn(
        app, client, people, make_material):
    draft_id = make_material(people["anna"], title="Nog niet klaar")
    client.login(people["anna"].email)
    page = client.get(f"/materials/{draft_id}-nog-niet-klaar").get_data(as_text=True)
    assert jsonld_of(page) == [] and "json+oembed" not in page and "embed-code" not in page
    published = make_material(people["anna"], publish_by=people["mod"])
    save_draft(app, people["anna"].id, published, title="Breuken 2")
    publish_head(app, published, people["mod"].id)
    old = client.get(f"/materials/{published}/v/1").get_data(as_text=True)
    assert jsonld_of(old) == []
    withdraw(app, published, people["anna"].id)
    page = client.get(f"/materials/{published}-breuken").get_data(as_text=True)
    assert jsonld_of(page) == []


def test_a_title_cannot_end_the_script_element(client, people, make_material):
    title = 'Breuken </script><script>alert("x")</script> & <!-- meer'
    material_id = make_material(people["anna"], title=title, publish_by=people["mod"],
                                keywords=("</SCRIPT>",))
    page = client.get(f"/materials/{material_id}", follow_redirects=True).get_data(as_text=True)
    head = page.split("</head>")[0]
    script = head.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert "<" not in script and ">" not in script and "&" not in script
    assert "\\u003c/script\\u003e" in script
    data = jsonld_of(page)[0]
    assert data["name"] == title and data["keywords"] == ["</SCRIPT>"]


def test_a_remix_names_its_source_as_is_based_on(app, client, people, make_material):
    source_id = make_material(people["anna"], title="Breuken", publish_by=people["mod"],
                              licence="CC-BY-4.0")
    with app.app_context():
        from oer_portal.remix import service as remix

        made = remix.remix(db.session.get(User, people["bea"].id), source_id, None,
                           "CC-BY-4.0", title="Breuken voor vmbo")
        current_uow().commit()
        remix_id = made.id
    publish_head(app, remix_id, people["mod"].id)
    data = _resource(client, remix_id)
    assert data["name"] == "Breuken voor vmbo"
    assert data["isBasedOn"] == {
        "@type": "LearningResource", "name": "Breuken",
        "url": f"http://localhost/materials/{source_id}-breuken", "version": 1,
        "license": "https://creativecommons.org/licenses/by/4.0/"}
    assert [a["name"] for a in data["author"]] == ["Bea Bakker"]


def test_an_arrangement_lists_its_public_parts_as_has_part(app, client, people, make_material):
    from oer_portal.arrangements import service

    first = make_material(people["anna"], title="Eerste les", publish_by=people["mod"])
    second = make_material(people["bea"], title="Tweede les", publish_by=people["mod"])
    with app.app_context():
        outline = [Node(NodeKind.SECTION, 0, "Begin"),
                   Node(NodeKind.MATERIAL, 1, material_id=first),
                   Node(NodeKind.MATERIAL, 1, material_id=second)]
        arrangement = service.create_arrangement(
            db.session.get(User, people["anna"].id),
            VersionFields(title="Water in Nederland", body="Inleiding.",
                          objectives=("Ik ken de waterkringloop.",)), outline)
        current_uow().commit()
        arrangement_id = arrangement.id
    publish_head(app, arrangement_id, people["mod"].id)
    data = _resource(client, arrangement_id)
    assert data["@type"] == "LearningResource" and data["name"] == "Water in Nederland"
    assert [(part["name"], part["url"]) for part in data["hasPart"]] == [
        ("Eerste les", f"http://localhost/materials/{first}-eerste-les"),
        ("Tweede les", f"http://localhost/materials/{second}-tweede-les")]
    assert data["teaches"] == ["Ik ken de waterkringloop."]
    # a part withdrawn later, or one whose newer version waits for review, is shown as the
    # public sees it: gone, or at its published version
    save_draft(app, people["anna"].id, first, title="Eerste les, concept")
    withdraw(app, second, people["bea"].id)
    data = _resource(client, arrangement_id)
    assert [part["name"] for part in data["hasPart"]] == ["Eerste les"]
    assert "concept" not in str(data)


def test_a_pinned_part_links_its_version(app, client, people, make_material):
    from oer_portal.arrangements import service
    from oer_portal.materials.models import Material

    lesson = make_material(people["anna"], title="Eerste les", publish_by=people["mod"])
    with app.app_context():
        pinned = db.session.get(Material, lesson).published_version_id
    save_draft(app, people["anna"].id, lesson, title="Eerste les, herzien")
    publish_head(app, lesson, people["mod"].id)
    with app.app_context():
        arrangement = service.create_arrangement(
            db.session.get(User, people["anna"].id), VersionFields(title="Reeks"),
            [Node(NodeKind.MATERIAL, 0, material_id=lesson, pinned_version_id=pinned),
             Node(NodeKind.MATERIAL, 0, material_id=lesson)])
        current_uow().commit()
        arrangement_id = arrangement.id
    publish_head(app, arrangement_id, people["mod"].id)
    parts = _resource(client, arrangement_id)["hasPart"]
    assert [(part["name"], part["url"], part["version"]) for part in parts] == [
        ("Eerste les", f"http://localhost/materials/{lesson}/v/1", 1),
        ("Eerste les, herzien", f"http://localhost/materials/{lesson}-eerste-les", 2)]
