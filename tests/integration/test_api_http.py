"""The API's HTTP: ETags and conditional requests, CORS for reading only, every error as a
problem document, pagination links, and rate limits per token with Retry-After."""

from __future__ import annotations

import pytest

from tests.fixtures.api import ApiClient, build_world, make_token, problem_of, slug_of


@pytest.fixture()
def world(app, make_user, make_material):
    return build_world(app, make_user, make_material)


# -- ETag, If-None-Match, If-Match -----------------------------------------------------------


def test_a_material_answers_304_while_its_etag_holds(app, world):
    visitor = ApiClient(app)
    path = f"/api/v1/materials/{world['ids']['published']}"
    first = visitor.get(path)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = visitor.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    assert again.get_data() == b""
    assert visitor.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_a_draft_changes_its_authors_etag_but_not_the_visitors(app, world):
    """The visitor's tag says nothing about drafts (it would leak that one was saved)."""
    m = world["ids"]["nd"]
    path = f"/api/v1/materials/{m}"
    visitor, author = ApiClient(app), ApiClient(app, make_token(app, world["teacher"], "write"))
    public_tag, author_tag = visitor.get(path).headers["ETag"], author.get(path).headers["ETag"]
    saved = author.post(f"{path}/versions", json={"title": "Niet bewerken", "licence":
                                                  "CC-BY-ND-4.0", "body": "Nieuw\n"},
                        headers={"If-Match": author_tag})
    assert saved.status_code == 201
    assert author.get(path).headers["ETag"] not in (author_tag, public_tag)
    assert author.get(path).headers["ETag"] == saved.headers["ETag"]
    assert visitor.get(path).headers["ETag"] == public_tag
    assert visitor.get(path, headers={"If-None-Match": public_tag}).status_code == 304


def test_a_version_has_a_fixed_etag(app, world):
    visitor = ApiClient(app)
    path = f"/api/v1/materials/{world['ids']['published']}/versions/1"
    etag = visitor.get(path).headers["ETag"]
    assert visitor.get(path, headers={"If-None-Match": f'"x", {etag}'}).status_code == 304
    assert visitor.get(path).headers["ETag"] == etag


def test_if_match_missing_is_428_and_stale_is_412(app, world):
    author = ApiClient(app, make_token(app, world["teacher"], "write"))
    path = f"/api/v1/materials/{world['ids']['draft']}/versions"
    body = {"title": "Geheim concept zebrawoord", "body": "Nieuw\n"}
    assert slug_of(author.post(path, json=body)) == "precondition-required"
    assert author.post(path, json=body).status_code == 428
    stale = author.post(path, json=body, headers={"If-Match": '"0123"'})
    assert stale.status_code == 412 and slug_of(stale) == "precondition-failed"


# -- CORS --------------------------------------------------------------------------------


def test_reads_are_open_to_other_sites(app, world):
    response = ApiClient(app).get("/api/v1/licences", headers={"Origin": "https://school.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response.headers
    errors = ApiClient(app).get("/api/v1/materials/999999")
    assert errors.headers["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_is_allowed_for_reading_only(app, world):
    client = ApiClient(app)
    read = client.open("/api/v1/materials", "OPTIONS", headers={
        "Origin": "https://school.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert read.status_code == 204
    assert read.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in read.headers["Access-Control-Allow-Headers"]
    assert set(read.headers["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD"}
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        write = client.open("/api/v1/materials", "OPTIONS", headers={
            "Origin": "https://school.example", "Access-Control-Request-Method": method})
        assert write.status_code == 403 and slug_of(write) == "cors-refused"
        assert "Access-Control-Allow-Origin" not in write.headers


def test_web_pages_get_no_cors_headers(client):
    assert "Access-Control-Allow-Origin" not in client.get("/").headers
    assert "Access-Control-Allow-Origin" not in client.get("/api/v1/docs").headers


# -- Problems ------------------------------------------------------------------------------


@pytest.mark.parametrize("method, path, status, slug", [
    ("GET", "/api/v1/nothing-here", 404, "not-found"),
    ("GET", "/api/v1/materials/999999", 404, "not-found"),
    ("DELETE", "/api/v1/materials", 405, "method-not-allowed"),
    ("GET", "/api/v1/materials?page=zero", 400, "invalid-parameter"),
    ("GET", "/api/v1/materials?per_page=1000", 400, "invalid-parameter"),
    ("GET", "/api/v1/materials?sort=title", 400, "invalid-parameter"),
    ("GET", "/api/v1/materials/1/diff?from=1", 400, "invalid-parameter"),
    ("GET", "/api/v1/search?sort=popular", 400, "invalid-parameter"),
    ("GET", "/api/v1/licences/remix", 400, "invalid-parameter"),
    # PostgreSQL refuses a NUL character in any text (schemathesis found a 500 there).
    ("GET", "/api/v1/materials?kind=arrangement&licence=%00", 400, "invalid-parameter"),
    ("GET", "/api/v1/materials?subject=%00", 400, "invalid-parameter"),
    ("GET", "/api/v1/materials?subject%00=x", 400, "invalid-parameter"),
])
def test_every_error_is_a_problem_document(app, world, method, path, status, slug):
    response = ApiClient(app).open(path, method)
    assert response.status_code == status
    assert slug_of(response) == slug
    if status == 400:
        assert problem_of(response)["invalid"]


def test_the_problem_types_are_documented_where_they_point(app, world, client):
    problem = problem_of(ApiClient(app).get("/api/v1/materials/999999"))
    page, anchor = problem["type"].split("#")
    assert page == "http://localhost/api/v1/docs"
    assert f'id="{anchor}"' in client.get("/api/v1/docs").get_data(as_text=True)


def test_web_errors_stay_pages(client):
    response = client.get("/materials/999999")
    assert response.status_code == 404 and response.mimetype == "text/html"


# -- Pagination ---------------------------------------------------------------------------


def test_pages_link_to_each_other_in_body_and_header(app, make_user, make_material):
    teacher, moderator = make_user("teacher"), make_user("moderator")
    for n in range(5):
        make_material(teacher, title=f"Les {n}", publish_by=moderator)
    client = ApiClient(app)
    seen, url, pages = [], "/api/v1/materials?per_page=2", 0
    while url:
        response = client.get(url)
        data = response.get_json()
        assert data["total"] == 5 and data["per_page"] == 2
        seen += [item["id"] for item in data["items"]]
        if data["next"]:
            assert f'<{data["next"]}>; rel="next"' in response.headers["Link"]
        if data["prev"]:
            assert f'<{data["prev"]}>; rel="prev"' in response.headers["Link"]
        url, pages = data["next"], pages + 1
    assert pages == 3 and len(seen) == len(set(seen)) == 5
    titles = [item["title"] for item in client.get("/api/v1/materials").get_json()["items"]]
    assert titles == [f"Les {n}" for n in reversed(range(5))]  # newest publication first


# -- Rate limits ----------------------------------------------------------------------------


def test_each_token_has_its_own_budget_and_429_says_when_to_retry(app, world):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    first = ApiClient(app, make_token(app, world["teacher"]))
    second = ApiClient(app, make_token(app, world["other"]))
    for _ in range(3):
        assert first.get("/api/v1/licences").status_code == 200
    limited = first.get("/api/v1/licences")
    assert limited.status_code == 429 and slug_of(limited) == "rate-limited"
    assert int(limited.headers["Retry-After"]) > 0
    assert second.get("/api/v1/licences").status_code == 200  # a budget of its own
    assert ApiClient(app).get("/api/v1/licences").status_code == 200  # visitors: per address


def test_writes_have_a_smaller_budget(app, world):
    app.config["API_WRITE_RATE_LIMIT"] = "1 per minute"
    writer = ApiClient(app, make_token(app, world["teacher"], "write"))
    assert writer.post("/api/v1/materials", json={"kind": "lesson", "title": "Een"}
                       ).status_code == 201
    limited = writer.post("/api/v1/materials", json={"kind": "lesson", "title": "Twee"})
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    assert writer.get("/api/v1/licences").status_code == 200  # reading goes on


def test_guessing_tokens_is_rate_limited_too(app, world):
    app.config["API_RATE_LIMIT"] = "2 per minute"
    guesser = ApiClient(app, "oer_pat_" + "g" * 43)
    assert [guesser.get("/api/v1/licences").status_code for _ in range(3)] == [401, 401, 429]


# -- The OpenAPI document ------------------------------------------------------------------


def test_the_document_is_openapi_3_1_generated_with_examples(app):
    response = ApiClient(app).get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    text = response.get_data(as_text=True)
    assert '"nullable"' not in text  # 3.0's keyword; 3.1 says "type": [..., "null"]
    assert spec["components"]["schemas"]["Version"]["properties"]["link_url"]["type"] == [
        "string", "null"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    operations = [(path, method, operation) for path, item in spec["paths"].items()
                  for method, operation in item.items() if method in ("get", "post")]
    assert len(operations) >= 15
    for path, method, operation in operations:
        assert path.startswith("/api/v1/") and operation["summary"], (path, method)
        assert operation["security"], (path, method)
        errors = operation["responses"]["default"]["$ref"]
        assert errors == "#/components/responses/DEFAULT_ERROR"
    problem = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]
    assert list(problem) == ["application/problem+json"]
    examples = [prop for schema in spec["components"]["schemas"].values()
                for prop in schema.get("properties", {}).values() if "example" in prop]
    assert len(examples) > 100


def test_a_server_error_is_a_problem_too(app, monkeypatch):
    from oer_portal.api import reference_views

    def broken(_sources):
        raise RuntimeError("the licence engine broke")

    monkeypatch.setattr(reference_views, "allowed_licences_for_adaptation", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: Flask logs, then answers
    response = ApiClient(app).get("/api/v1/licences/remix?source=CC-BY-4.0")
    assert response.status_code == 500 and slug_of(response) == "server-error"
    assert "broke" not in response.get_data(as_text=True)
