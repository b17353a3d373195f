"""Link parts of arrangements: added in the builder (typed, or taken from a harvested
record), validated however the form was tampered with, saved as immutable rows, shown as
links that leave the portal, and kept when their record's collection is removed."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from oer_portal.accounts.models import User
from oer_portal.arrangements import service
from oer_portal.arrangements.models import ArrangementNode
from oer_portal.arrangements.structure import MAX_URL, Node, NodeKind
from oer_portal.extensions import db
from oer_portal.materials.models import Material
from tests.fixtures.records import make_record, remove_collection, set_deleted
from tests.integration.test_arrangements import _count, _create, _form, _material_id, _publish

FILM = "https://beeldbank.example/film/dijken?deel=2"


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "mod": make_user("moderator", name="Mo Moderator")}


def _rows(app, material_id: int) -> list[tuple]:
    with app.app_context():
        material = db.session.get(Material, material_id)
        rows = db.session.scalars(select(ArrangementNode).where(
            ArrangementNode.version_id == material.latest_version_id)
            .order_by(ArrangementNode.position))
        return [(r.kind, r.depth, r.title, r.url, r.record_id) for r in rows]


def test_a_link_part_is_saved_read_and_shown_as_leaving_the_portal(app, client, new_client,
                                                                    people):
    record = make_record(app, "Dijken op de kaart", "https://wikiwijs.example/dijken")
    client.login(people["anna"].email)
    response = client.post("/materials/new/arrangement", _form(nodes=[
        {"kind": "section", "depth": 0, "title": "Hoog water"},
        {"kind": "link", "depth": 1, "title": "Filmpje over dijken", "url": FILM},
        {"kind": "link", "depth": 1, "title": "Dijken op de kaart",
         "url": "https://wikiwijs.example/dijken", "record": record},
    ], save="Save draft"))
    assert response.status_code == 302, response.get_data(as_text=True)
    arrangement = _material_id(response)
    assert _rows(app, arrangement) == [
        ("section", 0, "Hoog water", "", None),
        ("link", 1, "Filmpje over dijken", FILM, None),
        ("link", 1, "Dijken op de kaart", "https://wikiwijs.example/dijken", record)]
    _publish(app, arrangement, people["mod"])
    reader = new_client("en")
    overview = reader.get(f"/materials/{arrangement}-water-in-nederland").get_data(as_text=True)
    assert f'href="{FILM.replace("&", "&amp;")}" rel="noopener nofollow"' in overview
    assert "(other website)" in overview and "(Wikiwijs · other website)" in overview
    part = reader.get(f"/materials/{arrangement}-water-in-nederland/parts/3").get_data(
        as_text=True)
    assert "Dijken op de kaart" in part and "It comes from the collection Wikiwijs." in part
    assert 'class="button button--primary" href="https://wikiwijs.example/dijken"' in part
    assert "https://wikiwijs.example/dijken</span>" in part  # the address written out
    assert 'rel="prev"' in part


def test_links_are_searchable_text_and_part_of_the_diff(app, people):
    arrangement = _create(app, people["anna"], [
        Node(NodeKind.LINK, title="Waterschapsfilm", url=FILM)])
    with app.app_context():
        version = db.session.get(Material, arrangement).latest_version
        assert "Waterschapsfilm." in service.own_text(version.id)
        assert f"1 Link: Waterschapsfilm <{FILM}>" in service.diff_text(version)


@pytest.mark.parametrize(("node", "message"), [
    ({"title": "Kwaad", "url": "javascript:alert(document.cookie)"},
     "A link needs a full web address that starts with http:// or https://."),
    ({"title": "Data", "url": "data:text/html;base64,PHNjcmlwdD4="},
     "A link needs a full web address"),
    ({"title": "Lang", "url": "https://example.org/" + "a" * (MAX_URL * 3)},
     f"This web address is longer than {MAX_URL} characters."),
    ({"title": "", "url": FILM}, "Give this part a title."),
    ({"title": "Leeg", "url": ""}, "Give this link a web address."),
])
def test_a_tampered_link_is_refused_with_a_message_and_nothing_is_saved(
        app, client, people, node, message):
    client.login(people["anna"].email)
    response = client.post("/materials/new/arrangement", _form(nodes=[
        {"kind": "link", "depth": 0, **node}], save="Save draft"))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(app, Material) == 0


def test_a_pointer_to_an_unknown_record_is_dropped_and_the_link_stands_alone(
        app, client, people):
    client.login(people["anna"].email)
    response = client.post("/materials/new/arrangement", _form(nodes=[
        {"kind": "link", "depth": 0, "title": "Film", "url": FILM, "record": "987654"},
        {"kind": "page", "depth": 0, "title": "Tekst", "url": "https://x.example",
         "record": "5"},
    ], save="Save draft"))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _rows(app, _material_id(response)) == [("link", 0, "Film", FILM, None),
                                                  ("page", 0, "Tekst", "", None)]


def test_the_builder_adds_a_typed_link_and_keeps_a_wrong_one_for_correction(
        app, client, people):
    client.login(people["anna"].email)
    nodes = [{"kind": "section", "depth": 0, "title": "Hoog water"}]
    for path in ("/materials/new/arrangement", "/materials/new/arrangement/builder"):
        html = client.post(path, _form(nodes=nodes, action="add-link",
                                       link_title="  Filmpje  ", link_url=FILM)
                           ).get_data(as_text=True)
        assert 'name="node-1-kind" value="link"' in html
        assert 'name="node-1-depth" value="1"' in html
        assert 'value="Filmpje"' in html and 'name="node-1-url"' in html
        assert "Link 1.1 added." in html
        assert 'id="link-title" name="link_title" value=""' in html  # emptied for the next
    refused = client.post("/materials/new/arrangement/builder", _form(
        nodes=nodes, action="add-link", link_title="Kwaad", link_url="javascript:alert(1)")
    ).get_data(as_text=True)
    assert 'name="node-1-kind"' not in refused
    assert "A link needs a full web address" in refused and 'role="alert"' in refused
    assert 'value="Kwaad"' in refused and 'value="javascript:alert(1)"' in refused
    untitled = client.post("/materials/new/arrangement", _form(
        nodes=nodes, action="add-link", link_title="", link_url=FILM)).get_data(as_text=True)
    assert "Give the link a title." in untitled and 'name="node-1-kind"' not in untitled
    assert _count(app, Material) == 0


def test_a_harvested_record_is_included_as_a_link_part(app, client, people):
    live = make_record(app, "Getijden en dijken", "https://wikiwijs.example/getijden")
    gone = make_record(app, "Oude dijkles", "https://wikiwijs.example/oud", deleted=True)
    client.login(people["anna"].email)
    found = client.post("/materials/new/arrangement", _form(
        action="find", find_query="dijken getij")).get_data(as_text=True)
    assert f'value="include-record-{live}"' in found and "(Wikiwijs)" in found
    assert f'include-record-{gone}' not in found  # deleted at the source: not offered
    html = client.post("/materials/new/arrangement/builder", _form(
        action=f"include-record-{live}")).get_data(as_text=True)
    assert 'name="node-0-kind" value="link"' in html
    assert f'name="node-0-record" value="{live}"' in html
    assert 'value="https://wikiwijs.example/getijden"' in html
    assert "From the collection Wikiwijs" in html
    for record in (gone, 424242):
        html = client.post("/materials/new/arrangement/builder", _form(
            action=f"include-record-{record}")).get_data(as_text=True)
        assert "This record is no longer available in its collection" in html
        assert 'name="node-0-kind"' not in html


def test_a_link_outlives_its_record_and_the_rows_stay_immutable(app, client, new_client,
                                                                  people):
    record = make_record(app, "Zeespiegel", "https://kennisnet.example/zee",
                         collection="Kennisnet")
    arrangement = _create(app, people["anna"], [
        Node(NodeKind.LINK, title="Zeespiegel", url="https://kennisnet.example/zee",
             record_id=record)], publish_by=people["mod"])
    set_deleted(app, record)
    remove_collection(app, "Kennisnet")
    assert _rows(app, arrangement) == [("link", 0, "Zeespiegel",
                                        "https://kennisnet.example/zee", record)]
    reader = new_client("en")
    overview = reader.get(f"/materials/{arrangement}-water-in-nederland").get_data(as_text=True)
    assert 'href="https://kennisnet.example/zee"' in overview
    assert "Kennisnet" not in overview and "(other website)" in overview
    # Saving again (an edit) drops the pointer to the removed record, keeps the link.
    client.login(people["anna"].email)
    with app.app_context():
        head = db.session.get(Material, arrangement).latest_version_id
    response = client.post(f"/materials/{arrangement}/arrange", _form(
        nodes=[{"kind": "link", "depth": 0, "title": "Zeespiegel",
                "url": "https://kennisnet.example/zee", "record": record}],
        base_version_id=head, save="Save draft"))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert _rows(app, arrangement) == [("link", 0, "Zeespiegel",
                                        "https://kennisnet.example/zee", None)]
    with app.app_context():
        for statement in ("UPDATE arrangement_nodes SET url = 'https://evil.example'",
                          "DELETE FROM arrangement_nodes"):
            with pytest.raises(DatabaseError, match="immutable"):
                db.session.execute(text(statement))
            db.session.rollback()


def test_a_new_version_copies_its_link_parts(app, people):
    """An outline read back from its rows (as ``_copy_outline`` and an edit do) and saved
    again keeps each link's address and record."""
    record = make_record(app, "Eb en vloed", "https://wikiwijs.example/eb")
    arrangement = _create(app, people["anna"], [
        Node(NodeKind.SECTION, title="Zee"),
        Node(NodeKind.LINK, depth=1, title="Eb en vloed", url="https://wikiwijs.example/eb",
             record_id=record)])
    with app.app_context():
        material = db.session.get(Material, arrangement)
        version = material.latest_version
        service.save_arrangement(db.session.get(User, people["anna"].id), material.id,
                                 version.id, _fields(version), service.outline_of(version.id))
        db.session.commit()
    assert _rows(app, arrangement) == [
        ("section", 0, "Zee", "", None),
        ("link", 1, "Eb en vloed", "https://wikiwijs.example/eb", record)]


def _fields(version):
    from oer_portal.materials.metadata import VersionFields

    return VersionFields(title=version.title, body=version.body)


def test_the_api_outline_names_a_link_part_with_its_address(app, client, people):
    arrangement = _create(app, people["anna"], [
        Node(NodeKind.PAGE, title="Inleiding", body="Tekst."),
        Node(NodeKind.LINK, title="Filmpje", url=FILM)], publish_by=people["mod"])
    data = client.get(f"/api/v1/arrangements/{arrangement}").get_json()
    page, link = data["outline"]
    assert (page["kind"], page["url"]) == ("page", None)
    assert (link["kind"], link["title"], link["url"], link["available"]) == (
        "link", "Filmpje", FILM, True)
    spec = client.get("/api/v1/openapi.json").get_json()
    node = spec["components"]["schemas"]["OutlineNode"]
    assert "link" in node["properties"]["kind"]["enum"] and "url" in node["properties"]
