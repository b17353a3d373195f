"""Reading through the JSON API: what a visitor sees is what the web shows a visitor, through
every route; a token's owner sees their drafts as on the web; the answers carry what the
services give (versions, diff, credits, the licence engine, vocabularies, outlines)."""

from __future__ import annotations

import pytest

from tests.fixtures.api import ApiClient, build_world, make_token, problem_of, slug_of


@pytest.fixture()
def world(app, make_user, make_material):
    return build_world(app, make_user, make_material)


@pytest.fixture()
def visitor(app):
    return ApiClient(app)


def _get_routes(ids: dict[str, int], material: str) -> list[str]:
    """Every reading route of the API that names a material."""
    m = ids[material]
    return [f"/api/v1/materials/{m}", f"/api/v1/materials/{m}/versions",
            f"/api/v1/materials/{m}/versions/1", f"/api/v1/materials/{m}/diff?from=1&to=1",
            f"/api/v1/materials/{m}/credits", f"/api/v1/materials/{m}/credits?format=html",
            f"/api/v1/arrangements/{m}"]


# -- Drafts are invisible through every route ------------------------------------------------


@pytest.mark.parametrize("index", range(7))
@pytest.mark.parametrize("who", ["visitor", "other", "other-write"])
def test_a_draft_is_not_found_through_every_route(app, world, index, who):
    token = None if who == "visitor" else make_token(
        app, world["other"], "write" if who.endswith("write") else "read")
    response = ApiClient(app, token).get(_get_routes(world["ids"], "draft")[index])
    assert response.status_code == 404
    assert slug_of(response) == "not-found"
    assert "zebrawoord" not in response.get_data(as_text=True)


@pytest.mark.parametrize("index", range(6))
def test_its_author_and_a_moderator_see_the_draft(app, world, index):
    for owner in (world["teacher"], world["moderator"]):
        response = ApiClient(app, make_token(app, owner)).get(
            _get_routes(world["ids"], "draft")[index])
        assert response.status_code == 200, response.get_data(as_text=True)


def test_the_pending_version_of_a_published_material_is_hidden_from_visitors(world, visitor,
                                                                             app):
    m = world["ids"]["published"]
    data = visitor.get(f"/api/v1/materials/{m}").get_json()
    assert data["published_version"]["number"] == 1 and data["draft"] is None
    assert data["pending_review"] is False
    assert "zebrawoord" not in str(data)
    assert [v["number"] for v in visitor.get(f"/api/v1/materials/{m}/versions")
            .get_json()["items"]] == [1]
    for path in (f"/api/v1/materials/{m}/versions/2", f"/api/v1/materials/{m}/diff?from=1&to=2",
                 f"/api/v1/materials/{m}/credits?version=2"):
        assert visitor.get(path).status_code == 404, path
    owner = ApiClient(app, make_token(app, world["teacher"]))
    mine = owner.get(f"/api/v1/materials/{m}").get_json()
    assert mine["draft"]["number"] == 2 and mine["pending_review"] is True
    assert mine["published_version"]["number"] == 1
    assert [v["number"] for v in owner.get(f"/api/v1/materials/{m}/versions")
            .get_json()["items"]] == [2, 1]


def test_drafts_are_in_no_list_and_no_search(world, visitor, app):
    for client in (visitor, ApiClient(app, make_token(app, world["teacher"]))):
        listed = client.get("/api/v1/materials?per_page=100").get_json()
        assert world["ids"]["draft"] not in [item["id"] for item in listed["items"]]
        assert world["ids"]["withdrawn"] not in [item["id"] for item in listed["items"]]
        found = client.get("/api/v1/search?q=zebrawoord").get_json()
        assert found["total"] == 0 and "zebrawoord" not in str(found["results"])


def test_a_withdrawn_material_is_gone_for_visitors(world, visitor):
    m = world["ids"]["withdrawn"]
    assert slug_of(visitor.get(f"/api/v1/materials/{m}")) == "gone"
    assert visitor.get(f"/api/v1/materials/{m}/versions").get_json()["items"] == []
    assert visitor.get(f"/api/v1/materials/{m}/versions/1").status_code == 404


def test_the_session_cookie_is_ignored(app, client, world):
    """A signed-in browser reads the API as a visitor: only the token is an identity."""
    client.login(world["teacher"].email)
    assert client.get(f"/materials/{world['ids']['draft']}").status_code in (200, 301)
    assert client.get(f"/api/v1/materials/{world['ids']['draft']}").status_code == 404
    assert client.get("/api/v1/me/materials").status_code == 401


# -- What the reads say --------------------------------------------------------------------


def test_a_material_with_its_published_version(world, visitor):
    m = world["ids"]["published"]
    data = visitor.get(f"/api/v1/materials/{m}").get_json()
    assert data["id"] == m and data["kind"] == "lesson" and data["status"] == "published"
    version = data["published_version"]
    assert version["title"] == "Breuken met pizzapunten"
    assert version["subjects"] == ["mathematics"] and version["levels"] == ["primary"]
    assert version["licence"] == "CC-BY-4.0" and version["published"] is True
    assert data["url"].endswith(f"/api/v1/materials/{m}")
    assert data["web_url"].startswith("http://localhost/materials/")


def test_the_list_filters_and_pages(world, visitor):
    everything = visitor.get("/api/v1/materials").get_json()
    assert everything["total"] == 3  # published, nd, arrangement
    lessons = visitor.get("/api/v1/materials?kind=lesson").get_json()
    assert {item["id"] for item in lessons["items"]} == {world["ids"]["published"],
                                                         world["ids"]["nd"]}
    maths = visitor.get("/api/v1/materials?subject=mathematics&level=primary").get_json()
    assert [item["id"] for item in maths["items"]] == [world["ids"]["published"]]
    assert visitor.get("/api/v1/materials?subject=math").get_json()["total"] == 0
    nd = visitor.get("/api/v1/materials?licence=cc-by-nd-4.0").get_json()
    assert [item["id"] for item in nd["items"]] == [world["ids"]["nd"]]
    first = visitor.get("/api/v1/materials?per_page=1&kind=lesson")
    assert first.get_json()["next"].endswith("per_page=1&kind=lesson&page=2")
    assert first.get_json()["prev"] is None
    assert 'rel="next"' in first.headers["Link"]
    second = visitor.get(first.get_json()["next"])
    assert len(second.get_json()["items"]) == 1 and second.get_json()["next"] is None
    assert {first.get_json()["items"][0]["id"], second.get_json()["items"][0]["id"]} == {
        world["ids"]["published"], world["ids"]["nd"]}
    assert second.get_json()["prev"].endswith("page=1")


def test_the_diff_is_the_shared_comparison(world, app):
    owner = ApiClient(app, make_token(app, world["teacher"]))
    data = owner.get(f"/api/v1/materials/{world['ids']['published']}/diff?from=1&to=2"
                     ).get_json()
    assert data["from"] == 1 and data["to"] == 2
    inserted = "".join(s["text"] for s in data["segments"] if s["op"] == "insert")
    assert "zebrawoord" in inserted
    assert data["stats"]["words_added"] >= 2
    assert owner.get(f"/api/v1/materials/{world['ids']['published']}/diff?from=1&to=9"
                     ).status_code == 404


@pytest.mark.parametrize("fmt, marker", [("text", "CC BY"), ("html", "<a "),
                                         ("markdown", "](")])
def test_credits_in_three_formats(world, visitor, fmt, marker):
    data = visitor.get(f"/api/v1/materials/{world['ids']['published']}/credits?format={fmt}"
                       ).get_json()
    assert data["format"] == fmt and data["version"] == 1
    assert "Breuken met pizzapunten" in data["credits"] and marker in data["credits"]


def test_licences_and_the_licence_engine(visitor):
    licences = visitor.get("/api/v1/licences").get_json()
    by_id = {lic["spdx"]: lic for lic in licences}
    assert by_id["CC-BY-SA-4.0"]["name"]["nl"] and by_id["CC-BY-SA-4.0"]["name"]["en"]
    assert by_id["CC-BY-SA-3.0"]["offered"] is False
    both = visitor.get("/api/v1/licences/remix?source=CC-BY-4.0&source=CC-BY-SA-4.0").get_json()
    assert both["allowed"] == ["CC-BY-SA-4.0"] and both["refusal"] is None
    nd = visitor.get("/api/v1/licences/remix?source=CC-BY-ND-4.0").get_json()
    assert nd["allowed"] == [] and nd["refusal"] == "no_derivatives" and nd["explanation"]
    mixed = visitor.get("/api/v1/licences/remix?source=CC-BY-SA-4.0&source=CC-BY-NC-4.0"
                        ).get_json()
    assert mixed["refusal"] == "share_alike_non_commercial"
    assert visitor.get("/api/v1/licences/remix?source=GPL-3.0").get_json()["refusal"] \
        == "unknown_licence"
    assert problem_of(visitor.get("/api/v1/licences/remix"))["invalid"][0]["parameter"] \
        == "source"


def test_vocabularies_have_both_labels(visitor):
    data = visitor.get("/api/v1/vocabularies").get_json()
    havo = next(term for term in data["level"] if term["code"] == "havo")
    assert havo["parent"] == "secondary" and havo["label"]["nl"] and havo["label"]["en"]
    kinds = {term["code"]: term["label"] for term in data["kind"]}
    assert kinds["lesson"] == {"nl": "Les", "en": "Lesson"}
    assert {"subject", "level", "resource_type", "language", "kind"} <= set(data)


def test_an_arrangement_with_its_outline(world, visitor):
    data = visitor.get(f"/api/v1/arrangements/{world['ids']['arrangement']}").get_json()
    (section,) = data["outline"]
    assert section["kind"] == "section" and section["number"] == "1"
    included, page = section["children"]
    assert included["material_id"] == world["ids"]["published"] and included["version"] == 1
    assert included["title"] == "Breuken met pizzapunten" and included["available"]
    assert page["kind"] == "page" and page["number"] == "1.2"
    assert visitor.get(f"/api/v1/arrangements/{world['ids']['published']}").status_code == 404


def test_my_materials_needs_a_token_and_lists_drafts(app, world, visitor):
    response = visitor.get("/api/v1/me/materials")
    assert response.status_code == 401 and slug_of(response) == "token-required"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    mine = ApiClient(app, make_token(app, world["teacher"])).get("/api/v1/me/materials"
                                                                 ).get_json()
    ids = {item["id"]: item for item in mine["items"]}
    assert world["ids"]["draft"] in ids and ids[world["ids"]["draft"]]["status"] == "draft"
    assert ids[world["ids"]["published"]]["pending_review"] is True
    others = ApiClient(app, make_token(app, world["other"])).get("/api/v1/me/materials")
    assert others.get_json()["items"] == []


def test_search_keeps_its_fields_and_refuses_unknown_parameters(world, visitor):
    data = visitor.get("/api/v1/search?q=pizza").get_json()
    (hit,) = data["results"]
    assert {"id", "external_id", "title", "url", "licence", "score", "highlights"} <= set(hit)
    assert {"total", "facets"} <= set(data)
    unknown = visitor.get("/api/v1/search?colour=red")
    assert unknown.status_code == 400
    assert problem_of(unknown)["invalid"][0]["parameter"] == "colour"


def test_the_docs_page_renders_the_generated_document(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("/api/v1/materials/{material_id}/versions", "If-Match", "problem-not-found",
                 "token required", "bearer", "Example response"):
        assert text.lower() in html.lower(), text
    assert "<script" not in html.split("</header>", 1)[1]
    assert 'href="/api/v1/docs"' in client.get("/").get_data(as_text=True)


def test_the_draft_test_above_covers_every_reading_route_that_names_a_material(app, world):
    """A new reading route must join ``_get_routes`` (and so the draft test)."""
    spec = ApiClient(app).get("/api/v1/openapi.json").get_json()
    templates = {path for path, item in spec["paths"].items()
                 if "get" in item and "{material_id}" in path}
    covered = {route.split("?")[0].replace(str(world["ids"]["draft"]), "{material_id}")
               .replace("/versions/1", "/versions/{number}")
               for route in _get_routes(world["ids"], "draft")}
    assert templates == covered
