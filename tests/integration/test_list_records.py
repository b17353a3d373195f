"""Harvested records (lessons in other collections) on lists: added from a search result's
form, kept in one order with the materials, moved and removed by the owner only, hidden from
visitors once the source deleted them, and turned into link parts when the list becomes an
arrangement."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string
from flask_login import login_user
from sqlalchemy import select

from oer_portal.accounts.models import User
from oer_portal.arrangements.service import outline_of
from oer_portal.arrangements.structure import NodeKind
from oer_portal.extensions import db
from oer_portal.lists.models import MaterialList, MaterialListRecord
from tests.fixtures.records import make_record, remove_collection, set_deleted
from tests.fixtures.statements import page_statements
from tests.integration.test_lists import add, list_id, make_list


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "mod": make_user("moderator", name="Mo Moderator")}


@pytest.fixture()
def records(app):
    return {"getij": make_record(app, "Getijden", "https://wikiwijs.example/getijden"),
            "zee": make_record(app, "Zeespiegel", "https://kennisnet.example/zee",
                               collection="Kennisnet"),
            "oud": make_record(app, "Oude les", "https://wikiwijs.example/oud", deleted=True)}


def add_record(client, record_id, list_id="favourites", next_="/search?q=dijken"):
    return client.post("/my/lists/add-record", {"record_id": record_id, "list_id": list_id,
                                                 "next": next_})


def order(app, list_id: int) -> list[tuple[str, int]]:
    from oer_portal.lists.service import ordered_items

    with app.app_context():
        return ordered_items(list_id)


def test_records_join_a_list_beside_materials_in_one_order(app, client, people, records,
                                                           make_material):
    lesson = make_material(people["bea"], title="Dijken bouwen", publish_by=people["mod"])
    client.login(people["anna"].email)
    make_list(client, "Water")
    water = list_id(app, people["anna"].id, "Water")
    assert add(client, lesson, water).status_code == 303
    response = add_record(client, records["getij"], water)
    assert response.status_code == 303 and response.headers["Location"] == "/search?q=dijken"
    add_record(client, records["zee"], water)
    again = add_record(client, records["zee"], water)
    assert again.status_code == 303
    assert order(app, water) == [("material", lesson), ("record", records["getij"]),
                                 ("record", records["zee"])]
    page = client.get(f"/lists/{water}-water").get_data(as_text=True)
    assert "This lesson is already on “Water”." in page
    assert page.index("Dijken bouwen") < page.index("Getijden") < page.index("Zeespiegel")
    assert 'href="https://wikiwijs.example/getijden" rel="noopener nofollow"' in page
    assert "From the collection Wikiwijs" in page and "From the collection Kennisnet" in page
    # Moving a record passes the material; moving the material passes a record.
    client.post(f"/lists/{water}/records/{records['getij']}/move", {"direction": "up"})
    assert order(app, water)[:2] == [("record", records["getij"]), ("material", lesson)]
    client.post(f"/lists/{water}/items/{lesson}/move", {"direction": "down"})
    assert order(app, water) == [("record", records["getij"]), ("record", records["zee"]),
                                 ("material", lesson)]
    client.post(f"/lists/{water}/records/{records['zee']}/remove")
    assert order(app, water) == [("record", records["getij"]), ("material", lesson)]
    mine = client.get("/my/lists").get_data(as_text=True)
    assert "2 materials" in mine  # the count holds both kinds


def test_favourites_take_records_and_the_count_includes_them(app, client, people, records):
    client.login(people["anna"].email)
    add_record(client, records["getij"])
    with app.app_context():
        favourites = db.session.scalar(select(MaterialList).where(
            MaterialList.owner_id == people["anna"].id))
        assert favourites.is_favourites
        from oer_portal.lists import service
        summary, = service.lists_of(db.session.get(User, people["anna"].id))
        assert summary.count == 1
    assert order(app, favourites.id) == [("record", records["getij"])]


def test_a_deleted_or_unknown_record_cannot_be_added(app, client, people, records):
    client.login(people["anna"].email)
    for record in (records["oud"], 99_999):
        response = add_record(client, record)
        assert response.status_code == 303
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "This record is no longer available in its collection" in page
    with app.app_context():
        assert db.session.scalars(select(MaterialListRecord)).all() == []
    assert client.post("/my/lists/add-record", {"record_id": "x"}).status_code == 400


def test_nobody_else_changes_a_list_of_records(app, client, new_client, people, records):
    client.login(people["anna"].email)
    make_list(client, "Zee", public=True)
    zee = list_id(app, people["anna"].id, "Zee")
    add_record(client, records["getij"], zee)
    add_record(client, records["zee"], zee)
    other = new_client()
    other.login(people["bea"].email)
    assert add_record(other, records["zee"], zee).status_code == 404
    assert other.post(f"/lists/{zee}/records/{records['getij']}/remove").status_code == 404
    assert other.post(f"/lists/{zee}/records/{records['zee']}/move",
                      {"direction": "up"}).status_code == 404
    assert client.post(f"/lists/{zee}/records/{records['oud']}/move",
                       {"direction": "up"}).status_code == 404  # not on the list
    assert client.post(f"/lists/{zee}/records/{records['zee']}/move",
                       {"direction": "sideways"}).status_code == 400
    anonymous = new_client()
    response = anonymous.post(f"/lists/{zee}/records/{records['getij']}/remove")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert order(app, zee) == [("record", records["getij"]), ("record", records["zee"])]


def test_a_public_list_hides_records_the_source_deleted(app, client, new_client, people,
                                                         records):
    client.login(people["anna"].email)
    make_list(client, "Getij", public=True)
    getij = list_id(app, people["anna"].id, "Getij")
    add_record(client, records["getij"], getij)
    add_record(client, records["zee"], getij)
    set_deleted(app, records["getij"])
    visitor = new_client().get(f"/lists/{getij}-getij").get_data(as_text=True)
    assert "Zeespiegel" in visitor and "Getijden" not in visitor
    owner = client.get(f"/lists/{getij}-getij").get_data(as_text=True)
    assert "Getijden — no longer available in the collection Wikiwijs" in owner
    assert "wikiwijs.example/getijden" not in owner  # no link to what is gone
    # Removing the collection takes its records off every list.
    remove_collection(app, "Kennisnet")
    assert order(app, getij) == [("record", records["getij"])]


def test_a_list_with_records_becomes_an_arrangement_with_link_parts(app, client, people,
                                                                    records, make_material):
    lesson = make_material(people["bea"], title="Dijken bouwen", publish_by=people["mod"])
    client.login(people["anna"].email)
    make_list(client, "Reeks")
    reeks = list_id(app, people["anna"].id, "Reeks")
    add_record(client, records["zee"], reeks)
    add(client, lesson, reeks)
    add_record(client, records["getij"], reeks)
    set_deleted(app, records["getij"])  # deleted at the source afterwards: left out
    response = client.post(f"/lists/{reeks}/arrangement")
    assert response.status_code == 303
    made = int(re.match(r"/materials/(\d+)/arrange", response.headers["Location"])[1])
    with app.app_context():
        from oer_portal.materials.models import Material

        outline = outline_of(db.session.get(Material, made).latest_version_id)
    assert [(n.kind, n.title, n.url, n.record_id, n.material_id) for n in outline] == [
        (NodeKind.LINK, "Zeespiegel", "https://kennisnet.example/zee", records["zee"], None),
        (NodeKind.MATERIAL, "", "", None, lesson)]
    builder = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "From the collection Kennisnet" in builder


def test_the_record_actions_partial(app, people, records):
    """Signed in: a list choice and a button in the card, tied with ``form=`` to a form of
    their own (the card sits inside the search form, and forms cannot nest); anonymous: a
    link to log in that comes back to the search page."""
    def render(macro: str) -> str:
        return render_template_string(
            '{% import "collections/_record_actions.html" as actions with context %}'
            f"{{{{ actions.{macro}({records['zee']}) }}}}")

    with app.test_request_context("/search?q=dijken"):
        anonymous = render("controls")
        assert 'href="/account/login?next=' in anonymous
        assert "next=/search?q%3Ddijken" in anonymous or "next=%2Fsearch" in anonymous
        assert "<form" not in render("form")
        login_user(db.session.get(User, people["anna"].id))
        from oer_portal.lists import service

        service.create_list(db.session.get(User, people["anna"].id), "Zee")
        controls, form = render("controls"), render("form")
        assert "<form" not in controls
        assert controls.count(f'form="add-record-{records["zee"]}"') == 2  # select, button
        assert '<option value="favourites">' in controls and ">Zee</option>" in controls
        assert f'<label for="record-{records["zee"]}-list"' in controls
        assert f'<form id="add-record-{records["zee"]}"' in form
        assert 'action="/my/lists/add-record"' in form
        assert f'name="record_id" value="{records["zee"]}"' in form
        db.session.rollback()


def test_the_list_page_with_records_runs_a_fixed_number_of_statements(
        app, client, people):
    client.login(people["anna"].email)
    make_list(client, "Veel")
    veel = list_id(app, people["anna"].id, "Veel")
    few = [make_record(app, f"Les {n}", f"https://wikiwijs.example/{n}") for n in range(2)]
    for record in few:
        add_record(client, record, veel)
    small = page_statements(app, client, f"/lists/{veel}-veel")
    for n in range(2, 30):
        add_record(client, make_record(app, f"Les {n}", f"https://wikiwijs.example/{n}"), veel)
    large = page_statements(app, client, f"/lists/{veel}-veel")
    assert len(large) == len(small), (small, large)
