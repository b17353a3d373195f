"""Public profiles: the display name and never the e-mail address, only published work,
public lists only, the remixes' family at a glance, no profile for students, the author
line linking to the profile, and a fixed number of statements with 50 materials."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from oer_portal.accounts.models import User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.lists import service as lists
from oer_portal.materials import lifecycle
from oer_portal.materials.models import Material, MaterialVersion
from oer_portal.remix import service as remix
from tests.fixtures.statements import page_statements


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders", email="anna.secret@example.org"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "sam": make_user("student", name="Sam Student"),
            "mod": make_user("moderator", name="Mo Moderator")}


def profile(client, user) -> str:
    response = client.get(f"/people/{user.id}", follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _publish_remix(app, owner, source_id: int, moderator, title: str) -> int:
    with app.app_context():
        made = remix.remix(db.session.get(User, owner.id), source_id, None, "CC-BY-4.0",
                           title=title)
        db.session.flush()
        lifecycle.publish(made, db.session.get(MaterialVersion, made.latest_version_id),
                          db.session.get(User, moderator.id))
        current_uow().commit()
        return made.id


def test_a_profile_shows_the_name_and_never_the_address(client, new_client, people):
    anna = people["anna"]
    response = client.get(f"/people/{anna.id}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/people/{anna.id}-anna-aalders"
    for viewer in (client, new_client()):
        if viewer is client:
            client.login(anna.email)  # even Anna's own view of it
        page = profile(viewer, anna)
        assert "Anna Aalders" in page
        assert "anna.secret@example.org" not in page and "anna.secret" not in page
        assert "Nothing published yet." in page


def test_a_student_has_no_profile(client, people):
    assert client.get(f"/people/{people['sam'].id}", follow_redirects=True).status_code == 404
    assert client.get("/people/999999", follow_redirects=True).status_code == 404


def test_a_profile_lists_only_published_work(app, client, people, make_material):
    anna, mod = people["anna"], people["mod"]
    make_material(anna, title="Gepubliceerde breuken", publish_by=mod)
    make_material(anna, title="Geheim concept")
    gone = make_material(anna, title="Ingetrokken les", publish_by=mod)
    with app.app_context():
        lifecycle.withdraw(db.session.get(User, anna.id), db.session.get(Material, gone),
                           "Verouderd")
        current_uow().commit()
    page = profile(client, anna)
    assert "Gepubliceerde breuken" in page
    assert "Geheim concept" not in page and "Ingetrokken les" not in page
    assert "Nothing published yet." not in page


def test_public_lists_are_on_the_profile_and_private_ones_are_not(app, client, people,
                                                                   make_material):
    anna = people["anna"]
    with app.app_context():
        user = db.session.get(User, anna.id)
        lists.create_list(user, "Openbare tips", public=True)
        lists.create_list(user, "Geheime voorbereiding")
        lists.favourites(user)
        current_uow().commit()
    page = profile(client, anna)
    assert "Openbare tips" in page
    assert "Geheime voorbereiding" not in page and "Favourites" not in page


def test_the_remixes_family_at_a_glance(app, client, people, make_user, make_material):
    anna, bea, mod = people["anna"], people["bea"], people["mod"]
    original = make_material(anna, title="Breuken met pizza", publish_by=mod)
    _publish_remix(app, bea, original, mod, "Breuken met taart")
    _publish_remix(app, make_user("teacher"), original, mod, "Breuken met appels")
    page = profile(client, anna)
    assert "remixed 2 times" in page
    bea_page = profile(client, bea)
    assert "Breuken met taart" in bea_page
    assert "is based on" in bea_page and "Breuken met pizza" in bea_page
    assert "by Anna Aalders" in bea_page


def test_the_author_line_links_to_the_profile(client, people, make_material):
    material = make_material(people["anna"], title="Breuken", publish_by=people["mod"])
    page = client.get(f"/materials/{material}", follow_redirects=True).get_data(as_text=True)
    assert f"/people/{people['anna'].id}-anna-aalders" in page


def test_the_profile_runs_a_fixed_number_of_statements(app, client, new_client, people,
                                                       make_material):
    anna, bea, mod = people["anna"], people["bea"], people["mod"]
    first = make_material(anna, title="Enige les", publish_by=mod)
    _publish_remix(app, bea, first, mod, "Bea's remix")
    for n in range(50):
        make_material(bea, title=f"Les {n}", publish_by=mod)
    with app.app_context():
        for user_id, name in ((anna.id, "Lijst van Anna"), (bea.id, "Lijst van Bea")):
            made = lists.create_list(db.session.get(User, user_id), name, public=True)
            for material_id in db.session.scalars(select(Material.id).limit(20)):
                lists.add_item(db.session.get(User, user_id), made.id, material_id)
        current_uow().commit()
    for viewer in (client, new_client()):
        small = page_statements(app, viewer, f"/people/{anna.id}-anna-aalders")
        large = page_statements(app, viewer, f"/people/{bea.id}-bea-bakker")
        assert len(large) == len(small), (small, large)
