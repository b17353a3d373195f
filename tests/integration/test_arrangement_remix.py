"""Remixing an arrangement: the outline is copied (included materials by reference, own pages
become the remixer's under a licence the arrangement's licence allows), the credits and the
upstream notices work as for any remix, and the usual rules on who may remix what hold."""

from __future__ import annotations

import html
import re
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from oer_portal.accounts.models import User
from oer_portal.arrangements import service as arrangements
from oer_portal.arrangements.structure import Node, NodeKind
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material
from oer_portal.notifications.models import Notification
from oer_portal.remix import service as remix_service
from oer_portal.remix.service import RemixRefused
from tests.integration.test_remix import publish


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "cor": make_user("teacher", name="Cor Claassen"),
            "student": make_user("student", name="Sam Student"),
            "mod": make_user("moderator", name="Mo Moderator")}


@pytest.fixture()
def lessons(app, people, make_material):
    """Bea's two published lessons: one ND (version 1 pinned below), one BY-SA followed."""
    dijken = make_material(people["bea"], title="Dijken bouwen", body="Klei en zand.\n",
                           licence="CC-BY-ND-4.0", publish_by=people["mod"])
    zee = make_material(people["bea"], title="De zee stijgt", body="Smeltend ijs.\n",
                        licence="CC-BY-SA-4.0", publish_by=people["mod"])
    with app.app_context():
        pinned = db.session.get(Material, dijken).published_version_id
    return {"dijken": dijken, "zee": zee, "pinned": pinned}


def outline_for(lessons) -> tuple[Node, ...]:
    return (Node(NodeKind.SECTION, 0, "Hoog water"),
            Node(NodeKind.PAGE, 1, "Waarom dijken?", "De **zee** stijgt."),
            Node(NodeKind.MATERIAL, 1, material_id=lessons["dijken"],
                 pinned_version_id=lessons["pinned"]),
            Node(NodeKind.MATERIAL, 1, "Over de zee", material_id=lessons["zee"]),
            Node(NodeKind.PAGE, 0, "Afsluiting", "Wat weet je nu?"))


def make_arrangement(app, owner, outline, licence="CC-BY-4.0", title="Water in Nederland",
                     publish_by=None) -> int:
    with app.app_context():
        material = arrangements.create_arrangement(
            db.session.get(User, owner.id),
            VersionFields(title=title, body="Inleiding over water.", licence=licence), outline)
        current_uow().commit()
        material_id = material.id
    if publish_by is not None:
        publish(app, material_id, publish_by)
    return material_id


def nodes_of(app, material_id: int) -> tuple[Node, ...]:
    with app.app_context():
        return arrangements.outline_of(db.session.get(Material, material_id).latest_version_id)


def save_outline(app, user, material_id: int, outline, body: str | None = None) -> None:
    with app.app_context():
        head = db.session.get(Material, material_id).latest_version
        fields = VersionFields.of(head)
        arrangements.save_arrangement(
            db.session.get(User, user.id), material_id, head.id,
            replace(fields, body=body) if body is not None else fields, outline)
        current_uow().commit()


def remix_form(client, material_id: int) -> str:
    return client.get(f"/materials/{material_id}/remix").get_data(as_text=True)


def remix_arrangement(client, material_id: int, licence: str, title: str = "Mijn water") -> int:
    response = client.post(f"/materials/{material_id}/remix",
                           {"licence": licence, "version": "", "title": title})
    assert response.status_code == 302, response.get_data(as_text=True)
    location = response.headers["Location"]
    assert location.endswith("/arrange"), location  # straight to the builder
    return int(re.search(r"/materials/(\d+)/arrange", location)[1])


def _textarea(page: str, name: str) -> str:
    return html.unescape(re.search(rf'id="credits-{name}"[^>]*>(.*?)</textarea>', page,
                                   re.S)[1])


def test_a_remix_copies_the_outline_with_references_and_own_pages(app, client, people,
                                                                   lessons):
    source = make_arrangement(app, people["anna"], outline_for(lessons),
                              publish_by=people["mod"])
    client.login(people["cor"].email)
    form = remix_form(client, source)
    assert "The included materials stay included as they are" in form
    remix = remix_arrangement(client, source, "CC-BY-SA-4.0")

    assert nodes_of(app, remix) == nodes_of(app, source)
    copied = nodes_of(app, remix)
    assert copied[2].material_id == lessons["dijken"]
    assert copied[2].pinned_version_id == lessons["pinned"]  # the same pin
    assert copied[3].pinned_version_id is None  # still follows the newest version
    with app.app_context():
        made = db.session.get(Material, remix)
        original = db.session.get(Material, source)
        version = made.latest_version
        assert made.kind == "arrangement" and made.owner_id == people["cor"].id
        assert made.status == "draft" and made.derived_from_version_id == \
            original.published_version_id
        # The own pages and introduction are the remixer's, under the licence chosen.
        assert version.licence == "CC-BY-SA-4.0" and version.title == "Mijn water"
        assert version.body == "Inleiding over water."
        # No material was copied: the included ones are the same rows.
        assert db.session.scalar(select(func.count()).select_from(Material)) == 4

    builder = client.get(f"/materials/{remix}/arrange").get_data(as_text=True)
    assert 'value="Hoog water"' in builder and "Dijken bouwen" in builder
    assert f'name="node-2-material" value="{lessons["dijken"]}"' in builder
    assert "De **zee** stijgt." in builder
    # The remix's pages: its own pages under its licence, the included ND lesson under its own.
    part = client.get(f"/materials/{remix}-mijn-water/parts/2").get_data(as_text=True)
    assert "<strong>zee</strong>" in part and "licenses/by-sa/4.0/" in part
    item = client.get(f"/materials/{remix}-mijn-water/parts/3").get_data(as_text=True)
    assert "Klei en zand." in item and "licenses/by-nd/4.0/" in item


def test_a_remix_in_the_builder_is_saved_and_submitted_like_any_arrangement(
        app, client, people, lessons):
    source = make_arrangement(app, people["anna"], outline_for(lessons),
                              publish_by=people["mod"])
    client.login(people["cor"].email)
    remix = remix_arrangement(client, source, "CC-BY-4.0")
    builder = client.get(f"/materials/{remix}/arrange").get_data(as_text=True)
    base = re.search(r'name="base_version_id"[^>]*value="(\d+)"', builder)[1]
    data = {"title": "Mijn water", "description": "", "body": "Mijn inleiding.",
            "language": "nl", "licence": "CC-BY-4.0", "base_version_id": base,
            "nodes": "2", "save_and_submit": "Save and submit"}
    for i, node in enumerate(({"kind": "page", "depth": 0, "title": "Eigen start",
                               "body": "Hallo."},
                              {"kind": "material", "depth": 0,
                               "material": lessons["dijken"], "pin": lessons["pinned"]})):
        data.update({f"node-{i}-{key}": str(value) for key, value in node.items()})
    response = client.post(f"/materials/{remix}/arrange", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert [(n.kind, n.title) for n in nodes_of(app, remix)] == [
        ("page", "Eigen start"), ("material", "")]
    with app.app_context():
        pending = lifecycle.pending_review(remix)
        assert pending is not None
        assert pending.version_id == db.session.get(Material, remix).latest_version_id


def test_only_the_licences_the_arrangement_allows_are_offered_and_accepted(
        app, client, people, lessons):
    # The arrangement is BY-SA, though it includes an ND lesson: its own pages decide.
    source = make_arrangement(app, people["anna"], outline_for(lessons),
                              licence="CC-BY-SA-4.0", publish_by=people["mod"])
    client.login(people["cor"].email)
    form = remix_form(client, source)
    offered = re.findall(r'name="licence"[^>]*value="([^"]+)"', form)
    assert offered == ["CC-BY-SA-4.0"]
    # A tampered form asking for another licence is refused by the service; nothing is made.
    response = client.post(f"/materials/{source}/remix",
                           {"licence": "CC-BY-4.0", "version": "", "title": "Stiekem"})
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Material)) == 3
        with pytest.raises(Exception, match="BY-SA"):
            remix_service.remix(db.session.get(User, people["cor"].id), source, None,
                                "CC-BY-4.0")
        db.session.rollback()

    nc = make_arrangement(app, people["anna"], outline_for(lessons), title="Water NC",
                          licence="CC-BY-NC-4.0", publish_by=people["mod"])
    offered = re.findall(r'name="licence"[^>]*value="([^"]+)"', remix_form(client, nc))
    assert sorted(offered) == ["CC-BY-NC-4.0", "CC-BY-NC-SA-4.0"]


def test_an_nd_arrangement_cannot_be_remixed_and_says_why(app, client, people, lessons):
    source = make_arrangement(app, people["anna"], outline_for(lessons),
                              licence="CC-BY-ND-4.0", publish_by=people["mod"])
    client.login(people["cor"].email)
    page = client.get(f"/materials/{source}", follow_redirects=True).get_data(as_text=True)
    assert "This material cannot be remixed." in page
    assert f'href="/materials/{source}/remix"' not in page
    form = remix_form(client, source)
    assert "This material cannot be remixed" in form and "name=\"licence\"" not in form
    assert "The materials it includes keep their own licences" in form
    response = client.post(f"/materials/{source}/remix",
                           {"licence": "CC-BY-ND-4.0", "version": "", "title": "Toch"})
    assert response.status_code == 403
    with app.app_context():
        with pytest.raises(RemixRefused):
            remix_service.remix(db.session.get(User, people["cor"].id), source, None,
                                "CC-BY-ND-4.0")
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Material)) == 3


def test_the_credits_say_adapted_from_the_arrangement_down_to_the_original(
        app, client, new_client, people, lessons):
    source = make_arrangement(app, people["anna"], outline_for(lessons),
                              publish_by=people["mod"])
    client.login(people["cor"].email)
    remix = remix_arrangement(client, source, "CC-BY-4.0")
    publish(app, remix, people["mod"])
    # And a remix of the remix: the chain goes down to Anna's arrangement.
    bea = new_client()
    bea.login(people["bea"].email)
    again = remix_arrangement(bea, remix, "CC-BY-SA-4.0", title="Water voor groep 8")
    publish(app, again, people["mod"])

    page = new_client().get(f"/materials/{again}", follow_redirects=True).get_data(
        as_text=True)
    text = _textarea(page, "text").splitlines()
    assert text[0].startswith("“Water voor groep 8”") and "by Bea Bakker" in text[0]
    assert "CC BY-SA 4.0" in text[0]
    assert text[1].startswith(f"Adapted from “Mijn water” (http://localhost/materials/{remix}"
                              "/v/1) (version 1) by Cor Claassen")
    assert text[2].startswith(f"That work was adapted from “Water in Nederland” "
                              f"(http://localhost/materials/{source}/v/1)")
    assert "by Anna Aalders" in text[2]
    # The included materials keep their own credits, under the collection sentence.
    assert "Except where otherwise noted" in page
    assert "Dijken bouwen" in page and "CC BY-ND 4.0" in page
    # The family tree of the original names both remixes.
    original = new_client().get(f"/materials/{source}", follow_redirects=True).get_data(
        as_text=True)
    assert "Mijn water" in original and "Water voor groep 8" in original


def test_the_remixer_hears_when_the_arrangement_publishes_and_takes_the_change(
        app, client, people, lessons):
    source = make_arrangement(app, people["anna"], outline_for(lessons),
                              publish_by=people["mod"])
    client.login(people["cor"].email)
    remix = remix_arrangement(client, source, "CC-BY-4.0")
    publish(app, remix, people["mod"])
    # Cor rewrites the introduction (not the outline); Anna adds a page and publishes.
    save_outline(app, people["cor"], remix, nodes_of(app, remix), body="Inleiding van Cor.")
    added = (*nodes_of(app, source), Node(NodeKind.PAGE, 0, "Toets", "Tien vragen."))
    save_outline(app, people["anna"], source, added)
    publish(app, source, people["mod"])

    with app.app_context():
        told = db.session.scalars(select(Notification).where(
            Notification.user_id == people["cor"].id)).all()
        assert [n.kind for n in told] == ["upstream.changed"]
    page = client.get(f"/materials/{remix}", follow_redirects=True).get_data(as_text=True)
    assert "The original has a new version" in page
    changes = client.get(f"/materials/{remix}/upstream").get_data(as_text=True)
    assert "Toets" in changes and "do not overlap" in changes  # the outline in the diff
    source_version = re.search(r'name="source_version_id" value="(\d+)"', changes)[1]
    response = client.post(f"/materials/{remix}/upstream/pull",
                           {"source_version_id": source_version})
    assert response.status_code == 302 and "/v/3" in response.headers["Location"]
    # The outline is the original's new one; the introduction stays Cor's.
    assert nodes_of(app, remix) == added
    with app.app_context():
        head = db.session.get(Material, remix).latest_version
        assert head.body == "Inleiding van Cor." and head.number == 3
    pulled = client.get(f"/materials/{remix}/v/3").get_data(as_text=True)
    assert f"Adapted from “Water in Nederland” (http://localhost/materials/{source}/v/2)" \
        in html.unescape(pulled)


def test_a_pull_where_both_changed_the_outline_is_refused_with_a_message(
        app, client, people, lessons):
    source = make_arrangement(app, people["anna"], outline_for(lessons),
                              publish_by=people["mod"])
    client.login(people["cor"].email)
    remix = remix_arrangement(client, source, "CC-BY-4.0")
    save_outline(app, people["cor"], remix, nodes_of(app, remix)[:2])
    save_outline(app, people["anna"], source,
                 (*nodes_of(app, source), Node(NodeKind.PAGE, 0, "Toets", "Tien vragen.")))
    publish(app, source, people["mod"])

    changes = client.get(f"/materials/{remix}/upstream").get_data(as_text=True)
    assert "two outlines cannot be merged" in changes
    assert "Take the changes into a new draft" not in changes
    source_version = re.search(r'name="source_version_id" value="(\d+)"', changes)[1]
    response = client.post(f"/materials/{remix}/upstream/pull",
                           {"source_version_id": source_version}, follow_redirects=True)
    assert "two outlines cannot be merged" in response.get_data(as_text=True)
    resolve = client.get(f"/materials/{remix}/upstream/resolve", follow_redirects=True)
    assert "two outlines cannot be merged" in resolve.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Material, remix).latest_version.number == 2  # nothing written
    # Dismissing still works: the remix stays as Cor made it.
    response = client.post(f"/materials/{remix}/upstream/dismiss",
                           {"source_version_id": source_version})
    assert response.status_code == 302
    assert "The original has a new version" not in client.get(
        f"/materials/{remix}", follow_redirects=True).get_data(as_text=True)


def test_who_may_remix_which_arrangement(app, client, new_client, people, lessons):
    published = make_arrangement(app, people["anna"], outline_for(lessons),
                                 publish_by=people["mod"])
    draft = make_arrangement(app, people["anna"], outline_for(lessons), title="Concept")
    # A student may read the arrangement but not remix it.
    student = new_client()
    student.login(people["student"].email)
    assert student.get(f"/materials/{published}/remix").status_code == 403
    assert student.post(f"/materials/{published}/remix",
                        {"licence": "CC-BY-4.0", "title": "x", "version": ""}
                        ).status_code == 403
    # A visitor is asked to log in.
    assert new_client().get(f"/materials/{published}/remix").status_code == 302
    # Someone else's draft is not there at all for a teacher who cannot see it.
    client.login(people["cor"].email)
    assert client.get(f"/materials/{draft}/remix").status_code == 404
    assert client.post(f"/materials/{draft}/remix",
                       {"licence": "CC-BY-4.0", "title": "x", "version": ""}
                       ).status_code == 404
    # The author sees her draft, but only what was published can be remixed.
    anna = new_client()
    anna.login(people["anna"].email)
    refused = anna.get(f"/materials/{draft}/remix")
    assert refused.status_code == 403
    assert "Only published versions can be remixed" in refused.get_data(as_text=True)
    # A withdrawn arrangement is refused.
    with app.app_context():
        lifecycle.withdraw(db.session.get(User, people["anna"].id),
                           db.session.get(Material, published), "Verouderd")
        current_uow().commit()
    assert anna.get(f"/materials/{published}/remix").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Material)) == 4


def test_the_api_remixes_an_arrangement_through_the_same_service(app, people, lessons):
    from tests.fixtures.api import ApiClient, make_token, slug_of

    source = make_arrangement(app, people["anna"], outline_for(lessons),
                              publish_by=people["mod"])
    nd = make_arrangement(app, people["anna"], outline_for(lessons), title="Water ND",
                          licence="CC-BY-ND-4.0", publish_by=people["mod"])
    api = ApiClient(app, make_token(app, people["cor"], "write"))
    made = api.post(f"/api/v1/materials/{source}/remix",
                    json={"licence": "CC-BY-SA-4.0", "title": "Water via de API"})
    assert made.status_code == 201, made.get_data(as_text=True)
    assert nodes_of(app, made.get_json()["id"]) == nodes_of(app, source)
    refused = api.post(f"/api/v1/materials/{nd}/remix", json={"licence": "CC-BY-ND-4.0"})
    assert refused.status_code == 403 and slug_of(refused) == "remix-refused"


def test_a_part_withdrawn_since_is_copied_and_the_builder_says_so(app, client, people,
                                                                  lessons):
    """The copy is the arrangement as it was published; a material withdrawn since stays a
    reference (never its text), shown as not available, and the builder names it on save."""
    source = make_arrangement(app, people["anna"], outline_for(lessons),
                              publish_by=people["mod"])
    with app.app_context():
        lifecycle.withdraw(db.session.get(User, people["bea"].id),
                           db.session.get(Material, lessons["zee"]), "Verouderd")
        current_uow().commit()
    client.login(people["cor"].email)
    remix = remix_arrangement(client, source, "CC-BY-4.0")
    assert nodes_of(app, remix)[3].material_id == lessons["zee"]
    part = client.get(f"/materials/{remix}-mijn-water/parts/4").get_data(as_text=True)
    assert "This material is not available" in part and "Smeltend ijs." not in part
    builder = client.get(f"/materials/{remix}/arrange").get_data(as_text=True)
    base = re.search(r'name="base_version_id"[^>]*value="(\d+)"', builder)[1]
    form = {"title": "Mijn water", "description": "", "body": "Inleiding over water.",
            "language": "nl", "licence": "CC-BY-4.0", "base_version_id": base,
            "nodes": "5", "save": "Save draft"}
    for i, node in enumerate(nodes_of(app, remix)):
        form.update({f"node-{i}-kind": node.kind.value, f"node-{i}-depth": str(node.depth),
                     f"node-{i}-title": node.title, f"node-{i}-body": node.body,
                     f"node-{i}-material": str(node.material_id or ""),
                     f"node-{i}-pin": str(node.pinned_version_id or "")})
    response = client.post(f"/materials/{remix}/arrange", form)
    assert response.status_code == 400
    assert "This material was withdrawn and cannot be included." in response.get_data(
        as_text=True)


def test_a_remix_copies_link_parts_with_their_address(app, client, people, lessons):
    outline = (*outline_for(lessons),
               Node(NodeKind.LINK, 0, "Deltawerken bij Rijkswaterstaat",
                    url="https://www.rijkswaterstaat.nl/water/waterbeheer"))
    source = make_arrangement(app, people["anna"], outline, publish_by=people["mod"])
    client.login(people["cor"].email)
    remix = remix_arrangement(client, source, "CC-BY-4.0")

    copied = nodes_of(app, remix)
    assert copied == nodes_of(app, source)
    assert copied[-1].kind == NodeKind.LINK
    assert copied[-1].url == "https://www.rijkswaterstaat.nl/water/waterbeheer"
    printed = client.get(f"/materials/{remix}/print").get_data(as_text=True)
    assert "https://www.rijkswaterstaat.nl/water/waterbeheer" in printed
