"""Lists through the pages: favourites in one click (material page and search results),
named lists, order, duplicates refused, private lists invisible to everyone else, public
lists by link showing only what the visitor may see, the list turned into an arrangement
draft (teachers only), and a fixed number of statements for a list of 50."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from oer_portal.accounts.models import User
from oer_portal.arrangements.service import outline_of
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.lists.models import MaterialList, MaterialListItem
from oer_portal.materials import lifecycle
from oer_portal.materials.models import Material, MaterialKind
from tests.fixtures.statements import page_statements


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "sam": make_user("student", name="Sam Student"),
            "mod": make_user("moderator", name="Mo Moderator")}


@pytest.fixture()
def lessons(people, make_material):
    mod = people["mod"]
    return [make_material(people["anna"], title=title, publish_by=mod)
            for title in ("Breuken vergelijken", "Fotosynthese", "Ohm en de zaklamp")]


def items(app, user_id: int, name: str | None = None) -> list[int]:
    """The materials on the user's favourites (or the list called ``name``), in order."""
    with app.app_context():
        where = MaterialList.is_favourites.is_(True) if name is None \
            else MaterialList.name == name
        return list(db.session.scalars(
            select(MaterialListItem.material_id)
            .join(MaterialList, MaterialList.id == MaterialListItem.list_id)
            .where(MaterialList.owner_id == user_id, where)
            .order_by(MaterialListItem.position)))


def list_id(app, user_id: int, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(MaterialList.id).where(
            MaterialList.owner_id == user_id, MaterialList.name == name))


def make_list(client, name: str, public: bool = False) -> str:
    data = {"name": name, "description": "Voor de brugklas"}
    if public:
        data["public"] = "y"
    response = client.post("/my/lists", data)
    assert response.status_code == 303
    return response.headers["Location"]


def add(client, material_id: int, list_id: int | None = None, next_: str = "/"):
    data = {"material_id": material_id, "next": next_}
    if list_id is None:
        data["favourite"] = "1"
    else:
        data["list_id"] = list_id
    return client.post("/my/lists/add", data)


def test_favourites_in_one_click_from_the_material_page(app, client, people, lessons):
    client.login(people["sam"].email)
    page = client.get(f"/materials/{lessons[0]}", follow_redirects=True).get_data(as_text=True)
    assert "Add to favourites" in page
    response = add(client, lessons[0], next_=f"/materials/{lessons[0]}")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/materials/{lessons[0]}"
    assert items(app, people["sam"].id) == [lessons[0]]
    page = client.get(f"/materials/{lessons[0]}", follow_redirects=True).get_data(as_text=True)
    assert "In your favourites." in page and "Added to" in page


def test_the_panel_is_for_signed_in_visitors_only(client, lessons):
    page = client.get(f"/materials/{lessons[0]}", follow_redirects=True).get_data(as_text=True)
    assert "Add to favourites" not in page
    assert client.post("/my/lists/add", {"material_id": lessons[0],
                                         "favourite": "1"}).status_code == 302  # to login


def test_favourites_from_the_search_results(app, client, people, lessons):
    client.login(people["sam"].email)
    page = client.get("/search?q=fotosynthese").get_data(as_text=True)
    assert 'form="add-to-favourites"' in page and 'id="add-to-favourites"' in page
    response = add(client, lessons[1], next_="/search?q=fotosynthese")
    assert response.headers["Location"] == "/search?q=fotosynthese"
    assert items(app, people["sam"].id) == [lessons[1]]


def test_named_lists_keep_their_order_and_refuse_duplicates(app, client, people, lessons):
    client.login(people["bea"].email)
    make_list(client, "Rekenen")
    rekenen = list_id(app, people["bea"].id, "Rekenen")
    for material_id in (lessons[2], lessons[0], lessons[1]):
        add(client, material_id, rekenen)
    again = add(client, lessons[0], rekenen)
    assert again.status_code == 303
    assert items(app, people["bea"].id, "Rekenen") == [lessons[2], lessons[0], lessons[1]]
    page = client.get(f"/lists/{rekenen}", follow_redirects=True).get_data(as_text=True)
    assert "is already on" in page
    assert page.index("Ohm en de zaklamp") < page.index("Breuken vergelijken") \
        < page.index("Fotosynthese")
    client.post(f"/lists/{rekenen}/items/{lessons[1]}/move", {"direction": "up"})
    assert items(app, people["bea"].id, "Rekenen") == [lessons[2], lessons[1], lessons[0]]
    client.post(f"/lists/{rekenen}/items/{lessons[2]}/move", {"direction": "up"})  # at top
    assert items(app, people["bea"].id, "Rekenen") == [lessons[2], lessons[1], lessons[0]]
    client.post(f"/lists/{rekenen}/items/{lessons[2]}/remove")
    assert items(app, people["bea"].id, "Rekenen") == [lessons[1], lessons[0]]


def test_rename_make_public_and_delete(app, client, new_client, people, lessons):
    client.login(people["bea"].email)
    make_list(client, "Eerst")
    first = list_id(app, people["bea"].id, "Eerst")
    add(client, lessons[0], first)
    stranger = new_client()
    assert stranger.get(f"/lists/{first}", follow_redirects=True).status_code == 404
    client.post(f"/lists/{first}/settings", {"name": "Daarna", "description": "",
                                             "public": "y"})
    page = stranger.get(f"/lists/{first}", follow_redirects=True)
    assert page.status_code == 200 and "Daarna" in page.get_data(as_text=True)
    assert page.request.path == f"/lists/{first}-daarna"
    client.post(f"/lists/{first}/settings", {"name": "Daarna", "description": ""})
    assert stranger.get(f"/lists/{first}-daarna").status_code == 404
    assert client.post(f"/lists/{first}/delete").status_code == 303
    with app.app_context():
        assert db.session.get(MaterialList, first) is None
        assert db.session.get(Material, lessons[0]) is not None  # only the list went


def test_nobody_else_may_change_a_list(app, client, new_client, people, lessons):
    client.login(people["bea"].email)
    make_list(client, "Van Bea", public=True)
    bea_list = list_id(app, people["bea"].id, "Van Bea")
    add(client, lessons[0], bea_list)
    other = new_client()
    other.login(people["anna"].email)
    assert add(other, lessons[1], bea_list).status_code == 404
    assert other.post(f"/lists/{bea_list}/items/{lessons[0]}/remove").status_code == 404
    assert other.post(f"/lists/{bea_list}/delete").status_code == 404
    assert other.post(f"/lists/{bea_list}/settings", {"name": "Weg"}).status_code == 404
    assert items(app, people["bea"].id, "Van Bea") == [lessons[0]]


def test_favourites_cannot_be_deleted_or_renamed(app, client, people, lessons):
    client.login(people["sam"].email)
    add(client, lessons[0])
    with app.app_context():
        favourites = db.session.scalar(select(MaterialList.id).where(
            MaterialList.owner_id == people["sam"].id))
    client.post(f"/lists/{favourites}/delete")
    client.post(f"/lists/{favourites}/settings", {"name": "Anders", "description": ""})
    with app.app_context():
        kept = db.session.get(MaterialList, favourites)
        assert kept is not None and kept.name == "Favourites"


def test_a_private_list_is_not_found_for_anyone_else(app, client, new_client, people,
                                                     lessons):
    client.login(people["bea"].email)
    make_list(client, "Geheime lijst")
    secret = list_id(app, people["bea"].id, "Geheime lijst")
    add(client, lessons[0], secret)
    assert client.get(f"/lists/{secret}", follow_redirects=True).status_code == 200
    for who in (None, people["anna"], people["mod"]):
        other = new_client()
        if who is not None:
            other.login(who.email)
        assert other.get(f"/lists/{secret}", follow_redirects=True).status_code == 404
        assert other.get(f"/lists/{secret}-geheime-lijst").status_code == 404
        search = other.get("/search?q=Geheime").get_data(as_text=True)
        assert "Geheime lijst" not in search
        api = other.get("/api/v1/search", query_string={"q": "Geheime"}).get_json()
        assert api["total"] == 0 and api["results"] == []
        assert other.get(f"/feeds/lists/{secret}.atom").status_code == 404
        for feed in ("/feeds/materials.atom", f"/feeds/people/{people['bea'].id}.atom"):
            assert "Geheime lijst" not in other.get(feed).get_data(as_text=True)
    # A feed reader is not signed in: a private list has no feed, for its owner neither.
    assert client.get(f"/feeds/lists/{secret}.atom").status_code == 404
    assert "/feeds/lists/" not in client.get(f"/lists/{secret}", follow_redirects=True
                                             ).get_data(as_text=True)


def test_a_public_list_shows_visitors_only_what_they_may_see(app, client, new_client,
                                                             people, lessons, make_material):
    draft = make_material(people["bea"], title="Bea's concept")
    client.login(people["bea"].email)
    make_list(client, "Voor iedereen", public=True)
    shared = list_id(app, people["bea"].id, "Voor iedereen")
    for material_id in (lessons[0], lessons[1], draft):
        add(client, material_id, shared)
    with app.app_context():
        lifecycle.unpublish(db.session.get(User, people["mod"].id),
                            db.session.get(Material, lessons[1]), "Fout")
        current_uow().commit()
    visitor = new_client()
    page = visitor.get(f"/lists/{shared}", follow_redirects=True).get_data(as_text=True)
    assert "Breuken vergelijken" in page
    assert "Fotosynthese" not in page and "Bea&#39;s concept" not in page
    assert "no longer available" not in page
    assert "A list by Bea Bakker" in page
    own = client.get(f"/lists/{shared}", follow_redirects=True).get_data(as_text=True)
    assert own.count("no longer available") == 2
    assert "Fotosynthese" in own


def test_an_invisible_or_withdrawn_material_cannot_be_added(app, client, people, lessons,
                                                            make_material):
    draft = make_material(people["anna"], title="Anna's concept")
    client.login(people["sam"].email)
    assert add(client, draft).status_code == 404
    with app.app_context():
        lifecycle.withdraw(db.session.get(User, people["anna"].id),
                           db.session.get(Material, lessons[0]), "Verouderd")
        current_uow().commit()
    refused = add(client, lessons[0], next_="/my/lists")
    assert refused.status_code == 303
    assert items(app, people["sam"].id) == []


def test_a_list_becomes_an_arrangement_draft(app, client, people, lessons):
    client.login(people["bea"].email)
    make_list(client, "Lessenreeks breuken")
    series = list_id(app, people["bea"].id, "Lessenreeks breuken")
    for material_id in (lessons[2], lessons[0]):
        add(client, material_id, series)
    response = client.post(f"/lists/{series}/arrangement")
    assert response.status_code == 303
    made = int(re.match(r"/materials/(\d+)/arrange", response.headers["Location"])[1])
    with app.app_context():
        material = db.session.get(Material, made)
        assert material.kind == MaterialKind.ARRANGEMENT
        assert material.owner_id == people["bea"].id
        assert material.published_version_id is None  # a draft
        assert material.latest_version.title == "Lessenreeks breuken"
        outline = outline_of(material.latest_version_id)
        assert [node.material_id for node in outline] == [lessons[2], lessons[0]]
    assert client.get(response.headers["Location"]).status_code == 200


def test_only_teachers_make_an_arrangement_from_a_list(app, client, people, lessons):
    client.login(people["sam"].email)
    add(client, lessons[0])
    with app.app_context():
        favourites = db.session.scalar(select(MaterialList.id).where(
            MaterialList.owner_id == people["sam"].id))
        before = db.session.scalar(select(Material.id).order_by(Material.id.desc()).limit(1))
    page = client.get(f"/lists/{favourites}", follow_redirects=True).get_data(as_text=True)
    assert "Make an arrangement draft" not in page
    assert client.post(f"/lists/{favourites}/arrangement").status_code == 403
    with app.app_context():
        after = db.session.scalar(select(Material.id).order_by(Material.id.desc()).limit(1))
    assert after == before


def test_the_list_page_runs_a_fixed_number_of_statements(app, client, new_client, people,
                                                         make_material):
    mod = people["mod"]
    many = [make_material(people["anna"], title=f"Les {n}", publish_by=mod)
            for n in range(50)]
    client.login(people["bea"].email)
    make_list(client, "Een", public=True)
    make_list(client, "Vijftig", public=True)
    one, fifty = (list_id(app, people["bea"].id, name) for name in ("Een", "Vijftig"))
    with app.app_context():
        for position, material_id in enumerate(many):
            db.session.add(MaterialListItem(list_id=fifty, material_id=material_id,
                                            position=position))
            if position == 0:
                db.session.add(MaterialListItem(list_id=one, material_id=material_id,
                                                position=0))
        current_uow().commit()
    for viewer in (client, new_client()):
        small = page_statements(app, viewer, f"/lists/{one}-een")
        large = page_statements(app, viewer, f"/lists/{fifty}-vijftig")
        assert len(large) == len(small), (small, large)


def test_bad_input_is_refused_and_changes_nothing(app, client, people, lessons):
    assert client.get("/my/lists").status_code == 302  # log in first
    client.login(people["bea"].email)
    response = client.post("/my/lists", {"name": "   ", "description": ""})
    assert response.status_code == 200
    assert "This field is required." in response.get_data(as_text=True)
    too_long = client.post("/my/lists", {"name": "x" * 121, "description": ""})
    assert too_long.status_code == 200
    with app.app_context():
        assert db.session.scalar(select(MaterialList.id)) is None
    assert client.post("/my/lists/add", {"material_id": "x", "favourite": "1"}
                       ).status_code == 400
    assert client.post("/my/lists/add", {"material_id": lessons[0]}).status_code == 400
    assert add(client, 999999).status_code == 404
    make_list(client, "Lijst")
    mine = list_id(app, people["bea"].id, "Lijst")
    add(client, lessons[0], mine)
    assert client.post(f"/lists/{mine}/items/{lessons[0]}/move",
                       {"direction": "sideways"}).status_code == 400
    assert client.post(f"/lists/{mine}/items/{lessons[1]}/move",
                       {"direction": "up"}).status_code == 404
    outside = add(client, lessons[1], next_="https://evil.example/")
    assert outside.headers["Location"].startswith("/lists/")
    assert items(app, people["bea"].id, "Lijst") == [lessons[0]]


def test_the_draft_leaves_out_what_an_arrangement_cannot_include(app, client, people,
                                                                 lessons):
    from oer_portal.arrangements import service as arrangements
    from oer_portal.arrangements.structure import Node, NodeKind
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialVersion

    with app.app_context():
        anna = db.session.get(User, people["anna"].id)
        other = arrangements.create_arrangement(
            anna, VersionFields(title="Bestaand arrangement"),
            [Node(NodeKind.MATERIAL, material_id=lessons[0])])
        db.session.flush()
        lifecycle.publish(other, db.session.get(MaterialVersion, other.latest_version_id),
                          db.session.get(User, people["mod"].id))
        current_uow().commit()
        other_id = other.id
    client.login(people["bea"].email)
    make_list(client, "Gemengd")
    mixed = list_id(app, people["bea"].id, "Gemengd")
    for material_id in (lessons[1], other_id, lessons[2]):
        add(client, material_id, mixed)
    with app.app_context():
        lifecycle.unpublish(db.session.get(User, people["mod"].id),
                            db.session.get(Material, lessons[2]), "Fout")
        current_uow().commit()
    response = client.post(f"/lists/{mixed}/arrangement")
    made = int(re.match(r"/materials/(\d+)/arrange", response.headers["Location"])[1])
    with app.app_context():
        outline = outline_of(db.session.get(Material, made).latest_version_id)
        assert [node.material_id for node in outline] == [lessons[1]]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Some materials were left out" in page


def test_everyone_finds_their_lists_one_click_away(app, new_client, people):
    """A student's header links their lists; a teacher's header has "My materials"
    instead (an admin's must fit one line), whose page links the lists."""
    student = new_client()
    student.login(people["sam"].email)
    header = text_of(student.get("/")).split("</header>")[0]
    assert 'href="/my/lists"' in header
    teacher = new_client()
    teacher.login(people["anna"].email)
    header = text_of(teacher.get("/")).split("</header>")[0]
    assert 'href="/my/lists"' not in header and 'href="/my/materials"' in header
    assert 'href="/my/lists"' in text_of(teacher.get("/my/materials"))


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_a_public_list_has_a_feed_of_its_published_materials_newest_addition_first(
        app, client, new_client, people, lessons, make_material):
    import feedparser

    from oer_portal.core.types import utcnow

    draft = make_material(people["bea"], title="Bea's concept")
    client.login(people["bea"].email)
    make_list(client, "Te volgen", public=True)
    shared = list_id(app, people["bea"].id, "Te volgen")
    for material_id in (lessons[0], lessons[2], draft):
        add(client, material_id, shared)
    with app.app_context():  # Breuken was added again later: it comes first
        item = db.session.get(MaterialListItem, (shared, lessons[0]))
        item.added_at = utcnow()
        current_uow().commit()
    page = new_client().get(f"/lists/{shared}", follow_redirects=True).get_data(as_text=True)
    feed_link = f'href="/feeds/lists/{shared}.atom"'
    assert f'<link rel="alternate" type="application/atom+xml" {feed_link}' in page
    assert "Follow this list in a feed reader" in page
    response = new_client().get(f"/feeds/lists/{shared}.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.get_data())
    assert parsed.bozo == 0 and parsed.version == "atom10"
    assert parsed.feed.title == "Te volgen, a list by Bea Bakker"
    assert parsed.feed.link == f"http://localhost/lists/{shared}-te-volgen"
    assert [entry.title for entry in parsed.entries] == ["Breuken vergelijken",
                                                        "Ohm en de zaklamp"]
    assert parsed.entries[0].link == f"http://localhost/materials/{lessons[0]}-" \
        "breuken-vergelijken"
    # Made private again: the feed is gone with the page.
    client.post(f"/lists/{shared}/settings", {"name": "Te volgen", "description": ""})
    assert new_client().get(f"/feeds/lists/{shared}.atom").status_code == 404
    assert client.get("/feeds/lists/99999.atom").status_code == 404
