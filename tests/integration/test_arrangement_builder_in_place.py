"""The arrangement builder in place.

``builder.js`` posts the form to a fragment endpoint and swaps the answer in; these tests
hold that endpoint to the full page's behaviour: the same builder after the same button
(one ``builder.run``, one template), never a save, CSRF, only the authors, and a tampered
form no stronger than an honest one.
"""

from __future__ import annotations

import re

import pytest

from oer_portal.arrangements.structure import Node, NodeKind
from oer_portal.materials.models import Material
from oer_portal.materials.reviews import ReviewRequest
from tests.integration.test_arrangements import _count, _create, _form, _head_id

NEW = "/materials/new/arrangement"
NEW_FRAGMENT = "/materials/new/arrangement/builder"


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "student": make_user("student", name="Sam Student"),
            "mod": make_user("moderator", name="Mo Moderator")}


def _builder(html: str) -> str:
    """The builder's fieldset, the part ``builder.js`` swaps."""
    match = re.search(r'<fieldset class="form-section builder" id="builder".*?</fieldset>',
                      html, re.S)
    assert match, html[:500]
    return match.group(0)


OUTLINE = [{"kind": "section", "depth": 0, "title": "Hoog water"},
           {"kind": "page", "depth": 1, "title": "Waarom dijken?", "body": "De zee stijgt."},
           {"kind": "section", "depth": 0, "title": "Laag water"},
           {"kind": "page", "depth": 1, "title": "Droogte", "body": "Te weinig."}]


def test_the_fragment_is_the_builder_the_full_page_shows_after_the_same_button(
        app, client, people, make_material):
    lesson = make_material(people["bea"], title="Dijken bouwen", publish_by=people["mod"])
    client.login(people["anna"].email)
    presses = [{"action": action} for action in (
        "add-section", "add-page", f"include-{lesson}", "up-2", "down-1", "indent-2",
        "outdent-3", "remove-0", "remove-2", "up-0", "explode-1")]
    presses += [{"action": "find", "find_query": "Dijken"},
                {"action": "find", "find_query": f"http://localhost/materials/{lesson}-dijken"},
                {"action": "find", "find_query": ""}]
    for press in presses:
        data = _form(nodes=OUTLINE, **press)
        page = client.post(NEW, data)
        fragment = client.post(NEW_FRAGMENT, data)
        assert page.status_code == fragment.status_code == 200, press
        html = fragment.get_data(as_text=True)
        assert "<html" not in html and "<form" not in html  # only the builder
        assert _builder(html) == _builder(page.get_data(as_text=True)), press
    assert "Dijken bouwen" in _builder(client.post(NEW_FRAGMENT, _form(
        nodes=OUTLINE, action="find", find_query="Dijken")).get_data(as_text=True))
    assert _count(app, Material) == 1  # only the lesson: nothing was saved


def test_the_fragment_of_an_edit_shows_the_posted_outline_not_the_saved_one(
        app, client, people):
    arrangement = _create(app, people["anna"], [Node(NodeKind.SECTION, title="Opgeslagen")])
    client.login(people["anna"].email)
    data = _form(nodes=OUTLINE, base_version_id=_head_id(app, arrangement), action="down-0")
    fragment = client.post(f"/materials/{arrangement}/arrange/builder", data)
    assert fragment.status_code == 200
    html = fragment.get_data(as_text=True)
    assert "Opgeslagen" not in html
    assert re.findall(r'name="node-\d-title" value="([^"]*)"', html) == [
        "Laag water", "Droogte", "Hoog water", "Waarom dijken?"]
    assert f'data-builder-url="/materials/{arrangement}/arrange/builder"' in html
    assert _builder(html) == _builder(client.post(f"/materials/{arrangement}/arrange",
                                                  data).get_data(as_text=True))
    assert _head_id(app, arrangement) == data["base_version_id"]


def test_the_fragment_says_what_changed_and_where_the_focus_goes(client, people):
    client.login(people["anna"].email)

    def press(nodes, **extra) -> str:
        return _builder(client.post(NEW_FRAGMENT, _form(nodes=nodes, **extra))
                        .get_data(as_text=True))

    moved = press([*OUTLINE[:2], {"kind": "page", "depth": 1, "title": "Eb"}], action="up-2")
    assert 'data-announce="Moved up: now part 1.1."' in moved
    # First in its section now: "Up" is disabled, so the focus is on "Down" of that part.
    assert re.search(r'value="down-1"[^>]*aria-label="Down: 1.1 Eb"[^>]*autofocus', moved)
    added = press(OUTLINE, action="add-page")
    assert 'data-announce="Page 2.2 added."' in added
    assert re.search(r'id="node-4-title"[^>]*autofocus', added)
    emptied = press(OUTLINE[:1], action="remove-0")
    assert 'data-announce="Part 1 removed."' in emptied
    assert re.search(r'value="add-section"[^>]*autofocus', emptied)
    lifted = press(OUTLINE, action="remove-0")
    assert "Section 1 removed; what it held moved up a level." in lifted
    nothing = press(OUTLINE, action="find", find_query="zzzonbekendwoord")
    assert 'data-announce="No published material matches these words."' in nothing
    assert re.search(r'id="find-query"[^>]*autofocus', nothing)
    unchanged = press(OUTLINE, action="up-0")  # a disabled button, sent anyway
    assert "data-announce" not in unchanged


def test_the_fragment_never_saves_whatever_the_form_says(app, client, people, make_material):
    secret = make_material(people["bea"], title="Geheim concept van Bea")
    client.login(people["anna"].email)
    honest = _form(nodes=OUTLINE, action="add-page")
    for data in ({**honest, "save": "Save draft"},
                 {**honest, "save_and_submit": "1", "action": ""},
                 {"nodes": "99999999", "node-0-kind": "script", "action": "up-0"},
                 {"nodes": "abc", "action": "indent-9999"},
                 {"nodes": "2", "node-0-kind": "page", "node-0-depth": "-5",
                  "node-1-kind": "material", "node-1-material": "x", "action": "down-0"},
                 {"nodes": "1", "node-0-kind": "section", "node-0-depth": "50",
                  "node-0-title": "x" * 5000, "action": "add-section"},
                 {**honest, "action": f"include-{secret}"},
                 {**honest, "action": "find", "find_query": str(secret)}):
        response = client.post(NEW_FRAGMENT, data)
        assert response.status_code == 200, data
        html = response.get_data(as_text=True)
        assert "Geheim concept" not in html, data  # a draft the editor may not see
    assert _count(app, Material) == 1 and _count(app, ReviewRequest) == 0
    # What the page would do with the same tampered form: the same, and no more.
    tampered = {"nodes": "2", "node-0-kind": "section", "node-0-depth": "7",
                "node-1-kind": "page", "node-1-depth": "9", "action": "indent-1"}
    assert _builder(client.post(NEW_FRAGMENT, tampered).get_data(as_text=True)) == \
        _builder(client.post(NEW, {**_form(), **tampered}).get_data(as_text=True))


def test_the_fragment_needs_the_csrf_token(app, client, people):
    client.login(people["anna"].email)
    arrangement = _create(app, people["anna"], [])
    for path in (NEW_FRAGMENT, f"/materials/{arrangement}/arrange/builder"):
        response = client.raw.post(path, data=_form(nodes=OUTLINE, action="add-page"))
        assert response.status_code == 400, path
        assert "node-0-kind" not in response.get_data(as_text=True)
        forged = client.raw.post(path, data={**_form(nodes=OUTLINE, action="add-page"),
                                             "csrf_token": "forged"})
        assert forged.status_code == 400, path


def test_only_the_authors_get_the_builder_of_an_arrangement(
        app, client, new_client, people, make_material):
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow
    from oer_portal.extensions import db
    from oer_portal.materials import service as materials

    draft = _create(app, people["anna"], [Node(NodeKind.SECTION, title="Concept")])
    published = _create(app, people["anna"], [], title="Openbaar", publish_by=people["mod"])
    lesson = make_material(people["anna"], title="Gewone les")
    data = _form(nodes=OUTLINE, action="add-page")
    bea = new_client()
    bea.login(people["bea"].email)
    assert bea.post(f"/materials/{draft}/arrange/builder", data).status_code == 404
    assert bea.post(f"/materials/{published}/arrange/builder", data).status_code == 403
    student = new_client()
    student.login(people["student"].email)
    assert student.post(NEW_FRAGMENT, data).status_code == 403
    anonymous = new_client()
    for path in (NEW_FRAGMENT, f"/materials/{published}/arrange/builder"):
        assert anonymous.post(path, data).status_code in (302, 401), path
    client.login(people["anna"].email)
    assert client.post(f"/materials/{lesson}/arrange/builder", data).status_code == 404
    assert client.get(NEW_FRAGMENT).status_code == 405  # only a button's POST
    with app.app_context():
        materials.add_co_author(db.session.get(User, people["anna"].id), published,
                                people["bea"].email)
        current_uow().commit()
    assert bea.post(f"/materials/{published}/arrange/builder", data).status_code == 200


def test_pages_that_hold_unsaved_work_say_so_for_the_leave_warning(app, client, people):
    client.login(people["anna"].email)
    assert "data-unsaved" not in client.get(NEW).get_data(as_text=True)
    assert "data-unsaved" in client.post(NEW, _form(nodes=OUTLINE, action="add-page")
                                         ).get_data(as_text=True)
    refused = client.post(NEW, _form(nodes=[{"kind": "page", "depth": 0, "title": ""}],
                                     save="Save draft"))
    assert refused.status_code == 400 and "data-unsaved" in refused.get_data(as_text=True)
    arrangement = _create(app, people["anna"], [])
    assert "data-unsaved" not in client.get(f"/materials/{arrangement}/arrange").get_data(
        as_text=True)
