"""Arrangements through the builder pages and the service: the outline is built without
saving, saved with the version, read part by part, merged or kept on a conflict, reverted,
compared, found by search, and never shows what the reader may not see."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from oer_portal.accounts.models import User
from oer_portal.arrangements.models import ArrangementNode
from oer_portal.arrangements.structure import Node, NodeKind
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialVersion
from oer_portal.materials.reviews import ReviewRequest


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "mod": make_user("moderator", name="Mo Moderator")}


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _form(title: str = "Water in Nederland", nodes: list[dict] = (), **extra) -> dict:
    """The builder form as a browser sends it."""
    data = {"title": title, "description": "Een reeks over water", "body": "Welkom.",
            "language": "nl", "licence": "CC-BY-4.0", "nodes": str(len(nodes)), **extra}
    for i, node in enumerate(nodes):
        for key, value in node.items():
            data[f"node-{i}-{key}"] = "" if value is None else str(value)
    return data


def _publish(app, material_id: int, moderator) -> None:
    with app.app_context():
        material = db.session.get(Material, material_id)
        lifecycle.publish(material, material.latest_version, db.session.get(User, moderator.id))
        current_uow().commit()


def _create(app, owner, outline, title="Water in Nederland", publish_by=None, **fields) -> int:
    from oer_portal.arrangements import service

    with app.app_context():
        material = service.create_arrangement(
            db.session.get(User, owner.id),
            VersionFields(title=title, body="Inleiding.", **fields), outline)
        current_uow().commit()
        material_id = material.id
    if publish_by is not None:
        _publish(app, material_id, publish_by)
    return material_id


def _head_id(app, material_id: int) -> int:
    with app.app_context():
        return db.session.get(Material, material_id).latest_version_id


def _outline(app, material_id: int) -> list[tuple]:
    with app.app_context():
        material = db.session.get(Material, material_id)
        rows = db.session.scalars(select(ArrangementNode).where(
            ArrangementNode.version_id == material.latest_version_id)
            .order_by(ArrangementNode.position))
        return [(r.kind, r.depth, r.title, r.material_id) for r in rows]


def _material_id(response) -> int:
    return int(re.search(r"/materials/(\d+)", response.headers["Location"]).group(1))


def test_the_builder_changes_the_outline_without_saving_and_keeps_what_was_typed(
        app, client, people, make_material):
    lesson = make_material(people["bea"], title="Dijken bouwen", publish_by=people["mod"])
    client.login(people["anna"].email)
    page = client.post("/materials/new/arrangement", _form(action="add-section"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="node-0-kind" value="section"' in html
    # Add a page, then include a material by its address: each answer keeps the typed text.
    nodes = [{"kind": "section", "depth": 0, "title": "Hoog water"}]
    html = client.post("/materials/new/arrangement",
                       _form(nodes=nodes, action="add-page")).get_data(as_text=True)
    assert 'value="Hoog water"' in html and 'name="node-1-kind" value="page"' in html
    assert 'name="node-1-depth" value="1"' in html  # inside the section
    nodes.append({"kind": "page", "depth": 1, "title": "Waarom dijken?", "body": "Zeespiegel."})
    html = client.post("/materials/new/arrangement", _form(
        nodes=nodes, action="find", find_query=f"http://localhost/materials/{lesson}-dijken")
    ).get_data(as_text=True)
    assert f'name="node-2-material" value="{lesson}"' in html
    assert "Dijken bouwen" in html and "Zeespiegel." in html
    assert _count(app, Material) == 1  # only the lesson: nothing was saved


def test_saving_writes_the_version_with_its_outline_and_the_parts_can_be_read(
        app, client, new_client, people, make_material):
    lesson = make_material(people["bea"], title="Dijken bouwen", body="Klei en zand.\n",
                           licence="CC-BY-ND-4.0", publish_by=people["mod"])
    client.login(people["anna"].email)
    response = client.post("/materials/new/arrangement", _form(nodes=[
        {"kind": "section", "depth": 0, "title": "Hoog water"},
        {"kind": "page", "depth": 1, "title": "Waarom dijken?", "body": "De **zee** stijgt."},
        {"kind": "material", "depth": 1, "material": lesson, "pin": ""},
    ], save="Save draft"))
    assert response.status_code == 302, response.get_data(as_text=True)
    arrangement = _material_id(response)
    assert _outline(app, arrangement) == [("section", 0, "Hoog water", None),
                                          ("page", 1, "Waarom dijken?", None),
                                          ("material", 1, "", lesson)]
    _publish(app, arrangement, people["mod"])
    reader = new_client("nl")
    overview = reader.get(f"/materials/{arrangement}-water-in-nederland").get_data(as_text=True)
    assert "Inhoud" in overview and "Waarom dijken?" in overview and "Dijken bouwen" in overview
    # The collection rule: the ND lesson keeps its own licence and credits.
    assert "Tenzij anders vermeld" in overview and "CC BY-ND 4.0" in overview
    page = reader.get(f"/materials/{arrangement}-water-in-nederland/parts/2")
    assert page.status_code == 200 and "<strong>zee</strong>" in page.get_data(as_text=True)
    item = reader.get(f"/materials/{arrangement}-water-in-nederland/parts/3").get_data(
        as_text=True)
    assert "Klei en zand." in item and "Bea Bakker" in item
    assert 'rel="prev"' in item and 'rel="next"' not in item
    assert reader.get(f"/materials/{arrangement}-water-in-nederland/parts/4").status_code == 404
    assert reader.get(f"/materials/{arrangement}-water-in-nederland/parts/0").status_code == 404


def test_wrong_outlines_are_refused_with_a_message_per_part_and_nothing_is_saved(
        app, client, people, make_material):
    draft = make_material(people["bea"], title="Geheim concept")
    withdrawn = make_material(people["bea"], title="Oud", publish_by=people["mod"])
    other = _create(app, people["bea"], (), title="Ander arrangement", publish_by=people["mod"])
    with app.app_context():
        lifecycle.withdraw(db.session.get(User, people["mod"].id),
                           db.session.get(Material, withdrawn), "Verouderd")
        current_uow().commit()
    client.login(people["anna"].email)
    response = client.post("/materials/new/arrangement", _form(nodes=[
        {"kind": "page", "depth": 0, "title": "", "body": "Zonder titel"},
        {"kind": "material", "depth": 0, "material": draft},
        {"kind": "material", "depth": 0, "material": withdrawn},
        {"kind": "material", "depth": 0, "material": other},
        {"kind": "material", "depth": 0, "material": 999_999},
    ], save="Save draft"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Give this part a title." in html
    assert f"There is no material number {draft} that you can see." in html
    assert "Geheim concept" not in html  # the draft's title does not leak
    assert "was withdrawn and cannot be included" in html
    assert "cannot include another arrangement" in html
    assert "There is no material number 999999 that you can see." in html
    assert "Zonder titel" in html  # the typed text is kept
    assert _count(app, Material) == 3


def test_a_tampered_builder_form_is_harmless(app, client, people):
    client.login(people["anna"].email)
    for data in ({"nodes": "99999999", "node-0-kind": "script", "action": "up-0"},
                 {"nodes": "abc", "action": "indent-9999"},
                 {"nodes": "2", "node-0-kind": "page", "node-0-depth": "-5",
                  "node-1-kind": "material", "node-1-material": "x", "action": "down-0"},
                 {"nodes": "1", "node-0-kind": "section", "node-0-depth": "50",
                  "node-0-title": "x" * 5000, "save": "Save draft"}):
        response = client.post("/materials/new/arrangement", {**_form(), **data})
        assert response.status_code in (200, 400), data
    assert _count(app, Material) == 0


def test_review_is_refused_while_an_included_material_is_unpublished(
        app, client, people, make_material):
    mine = make_material(people["anna"], title="Mijn eigen concept")
    arrangement = _create(app, people["anna"], [Node(NodeKind.MATERIAL, material_id=mine)])
    client.login(people["anna"].email)
    client.post(f"/materials/{arrangement}/submit")
    page = client.get(f"/materials/{arrangement}-water-in-nederland").get_data(as_text=True)
    assert "“Mijn eigen concept” is not published" in page
    assert _count(app, ReviewRequest) == 0
    _publish(app, mine, people["mod"])
    client.post(f"/materials/{arrangement}/submit")
    assert _count(app, ReviewRequest) == 1


def test_save_and_submit_in_the_builder_sends_the_arrangement_to_review(
        app, client, people, make_material):
    published = make_material(people["bea"], title="Dijken", publish_by=people["mod"])
    draft = make_material(people["anna"], title="Mijn eigen concept")
    client.login(people["anna"].email)
    refused = client.post("/materials/new/arrangement", _form(nodes=[
        {"kind": "material", "depth": 0, "material": draft, "pin": ""}],
        save_and_submit="1"))
    assert refused.status_code == 400
    assert "“Mijn eigen concept” is not published" in refused.get_data(as_text=True)
    assert _count(app, ReviewRequest) == 0 and _count(app, Material) == 2  # nothing saved
    response = client.post("/materials/new/arrangement", _form(nodes=[
        {"kind": "material", "depth": 0, "material": published, "pin": ""}],
        save_and_submit="1"))
    assert response.status_code == 302
    assert "submitted for review" in client.get(response.headers["Location"]).get_data(
        as_text=True)
    assert _count(app, ReviewRequest) == 1


def test_the_public_never_sees_what_it_may_not_see(app, client, new_client, people,
                                                   make_material):
    lesson = make_material(people["bea"], title="Dijken bouwen", body="Klei.\n",
                           publish_by=people["mod"])
    arrangement = _create(app, people["anna"], [
        Node(NodeKind.PAGE, title="Geheime pagina", body="geheimwoord")])
    reader = new_client()
    # A draft arrangement: overview, parts and permalinks are all 404 for the public.
    for path in (f"/materials/{arrangement}", f"/materials/{arrangement}-water-in-nederland/"
                 "parts/1", f"/materials/{arrangement}/v/1/parts/1"):
        assert reader.get(path).status_code == 404, path
    _create(app, people["anna"], [Node(NodeKind.MATERIAL, material_id=lesson)],
            title="Nog een concept")
    published = _create(app, people["anna"], [Node(NodeKind.MATERIAL, material_id=lesson)],
                        title="Openbaar", publish_by=people["mod"])
    lesson_page = reader.get(f"/materials/{lesson}-dijken-bouwen").get_data(as_text=True)
    listed = lesson_page[lesson_page.index('id="used-in-title"'):]
    assert f"/materials/{published}-openbaar" in listed and "Nog een concept" not in listed
    with app.app_context():
        lifecycle.withdraw(db.session.get(User, people["mod"].id),
                           db.session.get(Material, lesson), "Fout in de tekst")
        current_uow().commit()
    part = reader.get(f"/materials/{published}-openbaar/parts/1").get_data(as_text=True)
    assert "not available" in part and "Klei." not in part


def test_used_in_lists_each_published_arrangement_once_by_title(app, people, make_material):
    from oer_portal.arrangements.service import used_in

    lesson = make_material(people["bea"], title="Dijken", body="Klei.\n",
                           publish_by=people["mod"])
    other = make_material(people["bea"], title="Polders", body="Land.\n",
                          publish_by=people["mod"])
    twice = _create(app, people["anna"], [Node(NodeKind.MATERIAL, material_id=lesson),
                                          Node(NodeKind.MATERIAL, material_id=lesson)],
                    title="Zeeland", publish_by=people["mod"])
    once = _create(app, people["anna"], [Node(NodeKind.MATERIAL, material_id=lesson)],
                   title="Afsluitdijk", publish_by=people["mod"])
    _create(app, people["anna"], [Node(NodeKind.MATERIAL, material_id=other)],
            title="Flevoland", publish_by=people["mod"])
    _create(app, people["anna"], [Node(NodeKind.MATERIAL, material_id=lesson)],
            title="Concept")
    with app.app_context():
        assert [(m.id, title) for m, title in used_in(lesson)] == [
            (once, "Afsluitdijk"), (twice, "Zeeland")]
        assert [m.id for m, _title in used_in(lesson, limit=1)] == [once]
        assert used_in(people["bea"].id + 10_000) == []


def test_a_pinned_material_keeps_its_version_and_says_when_it_is_outdated(
        app, client, new_client, people, make_material):
    from oer_portal.materials import service as materials

    lesson = make_material(people["bea"], title="Dijken", body="Versie een.\n",
                           publish_by=people["mod"])
    with app.app_context():
        first = db.session.get(Material, lesson).published_version_id
    arrangement = _create(app, people["anna"], [
        Node(NodeKind.MATERIAL, material_id=lesson, pinned_version_id=first),
        Node(NodeKind.MATERIAL, material_id=lesson, title="Altijd nieuw")],
        title="Vast", publish_by=people["mod"])
    with app.app_context():
        materials.save_version(db.session.get(User, people["bea"].id), lesson, first,
                               VersionFields(title="Dijken", body="Versie twee.\n"), [])
        current_uow().commit()
    _publish(app, lesson, people["mod"])
    reader = new_client()
    pinned = reader.get(f"/materials/{arrangement}-vast/parts/1").get_data(as_text=True)
    assert "Versie een." in pinned and "has been updated since" in pinned
    following = reader.get(f"/materials/{arrangement}-vast/parts/2").get_data(as_text=True)
    assert "Versie twee." in following and "has been updated since" not in following


def test_a_stale_save_merges_when_only_one_side_changed_the_outline(app, new_client, people):
    arrangement = _create(app, people["anna"], [Node(NodeKind.SECTION, title="Een")])
    base = _head_id(app, arrangement)
    anna, bea = new_client(), new_client()
    anna.login(people["anna"].email)
    with app.app_context():
        from oer_portal.materials import service as materials

        materials.add_co_author(db.session.get(User, people["anna"].id), arrangement,
                                people["bea"].email)
        current_uow().commit()
    bea.login(people["bea"].email)
    section = [{"kind": "section", "depth": 0, "title": "Een"}]
    assert anna.post(f"/materials/{arrangement}/arrange", _form(
        title="Nieuwe titel", nodes=section, base_version_id=base, save="Save")
    ).status_code == 302
    two = [*section, {"kind": "page", "depth": 1, "title": "Twee", "body": "Tekst"}]
    response = bea.post(f"/materials/{arrangement}/arrange", _form(
        nodes=two, base_version_id=base, save="Save"))
    assert response.status_code == 302
    with app.app_context():
        head = db.session.get(Material, arrangement).latest_version
        assert head.title == "Nieuwe titel" and head.merged
    assert [n[2] for n in _outline(app, arrangement)] == ["Een", "Twee"]


def test_a_stale_save_that_changed_the_outline_on_both_sides_keeps_the_users_work(
        app, client, people):
    arrangement = _create(app, people["anna"], [Node(NodeKind.SECTION, title="Een")])
    base = _head_id(app, arrangement)
    client.login(people["anna"].email)
    assert client.post(f"/materials/{arrangement}/arrange", _form(
        nodes=[{"kind": "section", "depth": 0, "title": "Eén (hernoemd)"}],
        base_version_id=base, save="Save")).status_code == 302
    mine = [{"kind": "section", "depth": 0, "title": "Een"},
            {"kind": "page", "depth": 1, "title": "Mijn pagina", "body": "Mijn tekst"}]
    response = client.post(f"/materials/{arrangement}/arrange", _form(
        nodes=mine, base_version_id=base, save="Save"))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else saved a newer version" in html and "Mijn tekst" in html
    assert "from=1&amp;to=2" in html
    newer = _head_id(app, arrangement)
    assert f'name="base_version_id" type="hidden" value="{newer}"' in html
    assert [n[2] for n in _outline(app, arrangement)] == ["Eén (hernoemd)"]
    # Saving again on purpose replaces their outline with the user's own.
    assert client.post(f"/materials/{arrangement}/arrange", _form(
        nodes=mine, base_version_id=newer, save="Save")).status_code == 302
    assert [n[2] for n in _outline(app, arrangement)] == ["Een", "Mijn pagina"]


def test_revert_restores_the_outline_and_the_diff_shows_it(app, client, people):
    arrangement = _create(app, people["anna"], [Node(NodeKind.SECTION, title="Oorspronkelijk")])
    base = _head_id(app, arrangement)
    client.login(people["anna"].email)
    assert client.post(f"/materials/{arrangement}/arrange", _form(
        nodes=[{"kind": "section", "depth": 0, "title": "Gewijzigd"}],
        base_version_id=base, save="Save")).status_code == 302
    diff = client.get(f"/materials/{arrangement}/diff?from=1&to=2").get_data(as_text=True)
    assert "Oorspronkelijk" in diff and "Gewijzigd" in diff
    head = _head_id(app, arrangement)
    assert client.post(f"/materials/{arrangement}/revert/1",
                       {"base_version_id": head}).status_code == 302
    assert [n[2] for n in _outline(app, arrangement)] == ["Oorspronkelijk"]


def test_the_lesson_editor_sends_arrangements_to_the_builder(app, client, people):
    arrangement = _create(app, people["anna"], [])
    client.login(people["anna"].email)
    response = client.raw.get(f"/materials/{arrangement}/edit")
    assert response.status_code == 307
    assert response.headers["Location"].endswith(f"/materials/{arrangement}/arrange")
    other = new = client.get(f"/materials/{arrangement}/arrange")
    assert new.status_code == 200 and "Add a section" in other.get_data(as_text=True)


def test_only_authors_may_open_the_builder(app, client, new_client, people):
    arrangement = _create(app, people["anna"], [], publish_by=people["mod"])
    bea = new_client()
    bea.login(people["bea"].email)
    assert bea.get(f"/materials/{arrangement}/arrange").status_code == 403
    assert bea.post(f"/materials/{arrangement}/arrange", _form(save="Save")).status_code == 403
    anonymous = new_client()
    assert anonymous.get(f"/materials/{arrangement}/arrange").status_code in (302, 401)


def test_outline_rows_are_immutable_in_the_database(app, people):
    arrangement = _create(app, people["anna"], [Node(NodeKind.SECTION, title="Vast")])
    with app.app_context():
        for statement in ("UPDATE arrangement_nodes SET title = 'x'",
                          "DELETE FROM arrangement_nodes"):
            with pytest.raises(DatabaseError):
                db.session.execute(text(statement))
            db.session.rollback()
    assert _outline(app, arrangement)[0][2] == "Vast"


def test_search_finds_an_arrangement_by_its_own_pages_only_when_published(
        app, client, people, make_material):
    from oer_portal.arrangements import service

    lesson = make_material(people["bea"], title="Dijken", body="klei\n", publish_by=people["mod"])
    arrangement = _create(app, people["anna"], [
        Node(NodeKind.SECTION, title="Polderland"),
        Node(NodeKind.PAGE, depth=1, title="Gemalen", body="Het stoomgemaal pompt water."),
        Node(NodeKind.MATERIAL, depth=1, material_id=lesson)])

    def found(query: str) -> list[int]:
        return [r["id"] for r in client.get("/api/v1/search", query_string={"q": query})
                .get_json()["results"]]

    assert found("stoomgemaal") == []  # a draft
    _publish(app, arrangement, people["mod"])
    assert found("stoomgemaal") == [arrangement]
    assert found("polderland") == [arrangement]
    assert arrangement in found("klei") or found("klei") == [lesson]
    # A new draft version's page text is not found until it is published.
    with app.app_context():
        material = db.session.get(Material, arrangement)
        service.save_arrangement(
            db.session.get(User, people["anna"].id), arrangement, material.latest_version_id,
            VersionFields.of(material.latest_version),
            [Node(NodeKind.PAGE, title="Nieuw", body="windmolenpark")])
        current_uow().commit()
    assert found("windmolenpark") == []
    assert found("stoomgemaal") == [arrangement]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(MaterialVersion).where(
            MaterialVersion.material_id == arrangement)) == 2


def test_pages_of_a_large_arrangement_issue_a_bounded_number_of_queries(
        app, client, new_client, people, make_material):
    from sqlalchemy import event

    lessons = [make_material(people["bea"], title=f"Les {n}", publish_by=people["mod"])
               for n in range(30)]
    with app.app_context():
        pinned = db.session.get(Material, lessons[0]).published_version_id
    outline = [Node(NodeKind.SECTION, title="Alles"),
               *(Node(NodeKind.MATERIAL, depth=1, material_id=m) for m in lessons),
               Node(NodeKind.MATERIAL, depth=1, material_id=lessons[0],
                    pinned_version_id=pinned)]
    arrangement = _create(app, people["anna"], outline, title="Groot",
                          publish_by=people["mod"])
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
    owner = new_client()
    owner.login(people["anna"].email)
    for reader, path in ((client, f"/materials/{arrangement}-groot"),
                         (client, f"/materials/{arrangement}-groot/parts/2"),
                         (client, f"/materials/{arrangement}/v/1/parts/32"),
                         (owner, f"/materials/{arrangement}/arrange")):
        statements.clear()
        assert reader.get(path).status_code == 200
        # 21: a visitor's first view of a page also reads the public generation, the key
        # of the page cache (``core.page_cache``), which serves the next view alone.
        assert len(statements) <= 21, (path, len(statements))


def test_export_of_an_arrangement_is_refused_with_a_reason(app, runner, people, tmp_path):
    arrangement = _create(app, people["anna"], [Node(NodeKind.SECTION, title="Een")])
    target = tmp_path / "export"
    target.mkdir()
    result = runner.invoke(args=["materials", "export", str(arrangement), str(target)])
    assert result.exit_code != 0
    assert "is an arrangement" in result.output
    assert not any(target.iterdir())


def test_a_co_author_never_sees_the_title_of_a_draft_they_may_not_see(
        app, client, new_client, people, make_material):
    """Anna includes her own draft; Bea, co-author of the arrangement but not of the draft,
    sees its number only: in the builder, on the overview, on the part and in the diff."""
    from oer_portal.materials import service as materials

    secret = make_material(people["anna"], title="Geheim concept", body="geheimwoord\n")
    arrangement = _create(app, people["anna"], [Node(NodeKind.SECTION, title="Een"),
                                                Node(NodeKind.MATERIAL, depth=1,
                                                     material_id=secret)])
    with app.app_context():
        anna = db.session.get(User, people["anna"].id)
        materials.add_co_author(anna, arrangement, people["bea"].email)
        from oer_portal.arrangements import service

        material = db.session.get(Material, arrangement)
        service.save_arrangement(anna, arrangement, material.latest_version_id,
                                 VersionFields.of(material.latest_version),
                                 service.outline_of(material.latest_version_id)[::-1])
        current_uow().commit()
    bea = new_client()
    bea.login(people["bea"].email)
    page = f"/materials/{arrangement}-water-in-nederland"
    bea.post(f"/materials/{arrangement}/submit")  # refused: the draft is named by number
    assert f"“material {secret}” is not published" in bea.get(page).get_data(as_text=True)
    for path in (f"/materials/{arrangement}/arrange", page, f"{page}/parts/1",
                 f"/materials/{arrangement}/diff?from=1&to=2"):
        response = bea.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert "Geheim concept" not in html and "geheimwoord" not in html, path
    client.login(people["anna"].email)
    assert "Geheim concept" in client.get(f"/materials/{arrangement}/arrange").get_data(
        as_text=True)


def test_the_table_of_contents_links_each_part_under_the_address_it_was_read_from(
        app, new_client, people, make_material):
    lesson = make_material(people["bea"], title="Dijken", publish_by=people["mod"])
    arrangement = _create(app, people["anna"], [
        Node(NodeKind.SECTION, title="Hoog water"),
        Node(NodeKind.MATERIAL, depth=1, material_id=lesson)],
        title="Water", publish_by=people["mod"])
    reader = new_client()
    overview = reader.get(f"/materials/{arrangement}-water").get_data(as_text=True)
    assert f'<a href="/materials/{arrangement}-water/parts/1">Hoog water</a>' in overview
    assert f'<a href="/materials/{arrangement}-water/parts/2">Dijken</a>' in overview
    permalink = reader.get(f"/materials/{arrangement}/v/1/parts/1").get_data(as_text=True)
    assert f'<a rel="next" href="/materials/{arrangement}/v/1/parts/2">' in permalink


def _links(html: str) -> dict[str, str]:
    return dict(re.findall(r'<a rel="(prev|next)" href="([^"]+)"', html))


def test_previous_and_next_skip_the_pages_that_only_list_a_sections_contents(
        app, new_client, people, make_material):
    lesson = make_material(people["bea"], title="Dijken", publish_by=people["mod"])
    arrangement = _create(app, people["anna"], [
        Node(NodeKind.SECTION, title="Hoog water"),
        Node(NodeKind.PAGE, depth=1, title="Waarom dijken?", body="De zee."),
        Node(NodeKind.SECTION, title="Laag water"),
        Node(NodeKind.MATERIAL, depth=1, material_id=lesson),
        Node(NodeKind.PAGE, depth=1, title="Droogte", body="Te weinig.")],
        title="Water", publish_by=people["mod"])
    reader = new_client()
    base = f"/materials/{arrangement}-water/parts"

    def part(number: int) -> str:
        response = reader.get(f"{base}/{number}")
        assert response.status_code == 200
        return response.get_data(as_text=True)

    first = part(2)
    assert _links(first) == {"next": f"{base}/4"}  # past section 2's page
    assert f'<a href="/materials/{arrangement}-water">← Overview</a>' in first
    assert _links(part(4)) == {"prev": f"{base}/2", "next": f"{base}/5"}
    assert _links(part(5)) == {"prev": f"{base}/4"}
    # A section's own page stays: from the table of contents, and the breadcrumbs of the
    # parts it holds; its previous and next lead to the parts around it.
    section = part(3)
    assert "This section holds:" in section
    assert _links(section) == {"prev": f"{base}/2", "next": f"{base}/4"}
    assert f'<a href="{base}/3">2 Laag water</a>' in part(5)  # the breadcrumbs
    overview = reader.get(f"/materials/{arrangement}-water").get_data(as_text=True)
    assert f'<a href="{base}/3">Laag water</a>' in overview
    assert re.search(rf'href="{base}/2">Start with part 1.1<', overview)
    permalink = reader.get(f"/materials/{arrangement}/v/1/parts/2").get_data(as_text=True)
    assert _links(permalink) == {"next": f"/materials/{arrangement}/v/1/parts/4"}
