"""Writing through the JSON API goes through the web's services: the same validation, the
licence rules, review and trusted teachers, the audit log; adding a version needs If-Match."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from oer_portal.core.audit import AuditEntry
from oer_portal.extensions import db
from oer_portal.materials.models import Material
from tests.fixtures.api import ApiClient, build_world, make_token, problem_of, slug_of

LESSON = {"kind": "lesson", "title": "Getallen op de getallenlijn",
          "body": "# Getallenlijn\n\nTel mee.\n", "subjects": ["mathematics"],
          "levels": ["primary"], "licence": "CC-BY-SA-4.0", "summary": "Eerste versie"}


@pytest.fixture()
def world(app, make_user, make_material):
    return build_world(app, make_user, make_material)


@pytest.fixture()
def writer(app, world):
    return ApiClient(app, make_token(app, world["teacher"], "write"))


def _actions(app, material_id):
    with app.app_context():
        return [entry.action for entry in db.session.scalars(
            select(AuditEntry).where(AuditEntry.target_type == "material",
                                     AuditEntry.target_id == material_id)
            .order_by(AuditEntry.id))]


def test_create_a_draft_through_the_service(app, writer, world):
    response = writer.post("/api/v1/materials", json=LESSON)
    assert response.status_code == 201, response.get_data(as_text=True)
    data = response.get_json()
    assert data["status"] == "draft" and data["published_version"] is None
    assert data["draft"]["title"] == LESSON["title"]
    assert data["draft"]["licence"] == "CC-BY-SA-4.0"
    assert response.headers["ETag"] and response.headers["Location"] == data["url"]
    assert _actions(app, data["id"]) == ["material.created"]
    # A draft: not found for a visitor.
    assert ApiClient(app).get(f"/api/v1/materials/{data['id']}").status_code == 404


@pytest.mark.parametrize("change, field", [
    ({"title": "  "}, "title"), ({"language": "xx"}, "language"),
    ({"subjects": ["astrologie"]}, "subjects"), ({"licence": "GPL-3.0"}, "licence"),
    ({"kind": "link", "link_url": "ftp://example.org"}, "link_url"),
    ({"age_min": 12, "age_max": 8}, "age_max")])
def test_the_service_validation_answers_422_with_the_fields(writer, change, field):
    response = writer.post("/api/v1/materials", json={**LESSON, **change})
    assert response.status_code == 422
    problem = problem_of(response)
    assert slug_of(response) == "validation-failed"
    assert field in [item["field"] for item in problem["invalid"]]


@pytest.mark.parametrize("body", [{"title": "x"}, {**LESSON, "colour": "red"},
                                  {**LESSON, "kind": "video"}, {**LESSON, "age_min": "old"}])
def test_a_body_that_breaks_the_schema_is_422(writer, body):
    response = writer.post("/api/v1/materials", json=body)
    assert response.status_code == 422
    assert problem_of(response)["invalid"]


def test_a_body_that_is_not_json_is_415(writer):
    response = writer.post("/api/v1/materials", data="title=x",
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415 and slug_of(response) == "unsupported-media-type"


def test_a_student_may_not_create(app, make_user):
    student = make_user("student")
    response = ApiClient(app, make_token(app, student, "write")).post("/api/v1/materials",
                                                                      json=LESSON)
    assert response.status_code == 403 and slug_of(response) == "forbidden"


def test_a_new_version_needs_the_current_etag(app, writer, world):
    created = writer.post("/api/v1/materials", json=LESSON)
    m, etag = created.get_json()["id"], created.headers["ETag"]
    path = f"/api/v1/materials/{m}/versions"
    edit = {"title": "Getallen op de getallenlijn", "body": "Tel mee tot tien.\n",
            "summary": "Tot tien"}
    missing = writer.post(path, json=edit)
    assert missing.status_code == 428 and slug_of(missing) == "precondition-required"
    stale = writer.post(path, json=edit, headers={"If-Match": '"not-the-tag"'})
    assert stale.status_code == 412 and slug_of(stale) == "precondition-failed"
    assert writer.post(path, json=edit, headers={"If-Match": "*"}).status_code == 412
    saved = writer.post(path, json=edit, headers={"If-Match": etag})
    assert saved.status_code == 201, saved.get_data(as_text=True)
    assert saved.get_json()["draft"]["number"] == 2
    assert saved.get_json()["draft"]["body"] == "Tel mee tot tien.\n"
    # The old tag is stale now: the second writer with it is refused, nothing is lost.
    again = writer.post(path, json={**edit, "body": "Iets anders\n"}, headers={"If-Match": etag})
    assert again.status_code == 412
    assert writer.get(f"/api/v1/materials/{m}").headers["ETag"] == saved.headers["ETag"]
    assert len(writer.get(f"{path}").get_json()["items"]) == 2


def test_only_its_authors_may_add_a_version(app, world):
    m = world["ids"]["published"]
    other = ApiClient(app, make_token(app, world["other"], "write"))
    etag = other.get(f"/api/v1/materials/{m}").headers["ETag"]
    response = other.post(f"/api/v1/materials/{m}/versions", json={"title": "Overgenomen"},
                          headers={"If-Match": etag})
    assert response.status_code == 403
    hidden = other.post(f"/api/v1/materials/{world['ids']['draft']}/versions",
                        json={"title": "x"}, headers={"If-Match": '"x"'})
    assert hidden.status_code == 404


def test_submit_goes_to_review_and_a_trusted_teacher_publishes(app, writer, world, make_user):
    m = writer.post("/api/v1/materials", json=LESSON).get_json()["id"]
    submitted = writer.post(f"/api/v1/materials/{m}/submit")
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    assert submitted.get_json() == {"material_id": m, "version": 1, "status": "pending",
                                    "post_review": False}
    again = writer.post(f"/api/v1/materials/{m}/submit", headers={"Accept-Language": "en"})
    assert again.status_code == 422 and "waiting" in problem_of(again)["detail"]
    dutch = writer.post(f"/api/v1/materials/{m}/submit", headers={"Accept-Language": "nl"})
    assert "wacht" in problem_of(dutch)["detail"]
    assert "review.submitted" in _actions(app, m)
    assert ApiClient(app).get(f"/api/v1/materials/{m}").status_code == 404

    from oer_portal.accounts import trust
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow

    trusted = make_user("teacher")
    with app.app_context():
        trust.grant(db.session.get(User, world["moderator"].id),
                    trusted.id, "Goed werk")
        current_uow().commit()
    own = ApiClient(app, make_token(app, trusted, "write"))
    mine = own.post("/api/v1/materials", json=LESSON).get_json()["id"]
    published = own.post(f"/api/v1/materials/{mine}/submit").get_json()
    assert published["status"] == "published" and published["post_review"] is True
    assert ApiClient(app).get(f"/api/v1/materials/{mine}").get_json()["status"] == "published"


def test_remix_follows_the_licence_rules(app, world):
    remixer = ApiClient(app, make_token(app, world["other"], "write"))
    refused = remixer.post(f"/api/v1/materials/{world['ids']['nd']}/remix",
                           json={"licence": "CC-BY-4.0"})
    assert refused.status_code == 403 and slug_of(refused) == "remix-refused"
    assert "ND" in problem_of(refused)["detail"]
    wrong = remixer.post(f"/api/v1/materials/{world['ids']['published']}/remix",
                         json={"licence": "CC-BY-NC-4.0"})
    assert wrong.status_code == 422
    made = remixer.post(f"/api/v1/materials/{world['ids']['published']}/remix",
                        json={"licence": "CC-BY-SA-4.0", "title": "Breuken met taart"})
    assert made.status_code == 201, made.get_data(as_text=True)
    data = made.get_json()
    assert data["derived_from"] == {"material_id": world["ids"]["published"], "version": 1}
    assert data["draft"]["title"] == "Breuken met taart" and data["status"] == "draft"
    assert "material.remixed" in _actions(app, data["id"])
    with app.app_context():
        assert db.session.get(Material, data["id"]).owner_id == world["other"].id
    hidden = remixer.post(f"/api/v1/materials/{world['ids']['draft']}/remix",
                          json={"licence": "CC-BY-4.0"})
    assert hidden.status_code == 404


def test_writes_are_not_cross_site_and_need_no_csrf_token(app, writer):
    """No CSRF token is needed (nor possible): the API ignores cookies, so a page of another
    site has nothing to ride on; and CORS does not let it send writes."""
    response = writer.post("/api/v1/materials", json=LESSON,
                           headers={"Origin": "https://elsewhere.example"})
    assert response.status_code == 201
    assert "Access-Control-Allow-Origin" not in response.headers


# -- Arrangements: created and given new versions with their outline ------------------------

SERIES = {"kind": "arrangement", "title": "Reeks getallen", "body": "Inleiding\n",
          "licence": "CC-BY-4.0", "summary": "Eerste opzet"}


def _outline(world, pinned=1):
    return [{"kind": "section", "title": "Deel 1"},
            {"kind": "material", "depth": 1, "material_id": world["ids"]["published"],
             "version": pinned},
            {"kind": "page", "depth": 1, "title": "Oefenen", "body": "Doe mee.\n"},
            {"kind": "link", "title": "Getallenlijn", "url": "https://example.org/lijn"}]


def _parts(reader, material_id):
    response = reader.get(f"/api/v1/arrangements/{material_id}")
    assert response.status_code == 200, response.get_data(as_text=True)

    def flat(nodes):
        for node in nodes:
            yield (node["number"], node["kind"], node["title"], node["material_id"],
                   node["version"], node["url"])
            yield from flat(node["children"])

    return response.get_json()["version"], list(flat(response.get_json()["outline"]))


def test_create_an_arrangement_with_its_outline(app, writer, world):
    response = writer.post("/api/v1/materials", json={**SERIES, "outline": _outline(world)})
    assert response.status_code == 201, response.get_data(as_text=True)
    data = response.get_json()
    assert data["kind"] == "arrangement" and data["status"] == "draft"
    assert _actions(app, data["id"]) == ["material.created"]
    assert _parts(writer, data["id"]) == (1, [
        ("1", "section", "Deel 1", None, None, None),
        ("1.1", "material", "Breuken met pizzapunten", world["ids"]["published"], 1, None),
        ("1.2", "page", "Oefenen", None, None, None),
        ("2", "link", "Getallenlijn", None, None, "https://example.org/lijn")])
    # A draft like any other: not found for a visitor.
    assert ApiClient(app).get(f"/api/v1/arrangements/{data['id']}").status_code == 404


@pytest.mark.parametrize("part, message", [
    ({"kind": "material", "material_id": "draft"}, "no material number"),
    ({"kind": "material", "material_id": "arrangement"}, "cannot include another arrangement"),
    ({"kind": "material", "material_id": "withdrawn"}, "withdrawn"),
    ({"kind": "material", "material_id": "published", "version": 2}, "not available"),
    ({"kind": "material", "material_id": "published", "version": 99}, "not available"),
    ({"kind": "link", "title": "Kwaad", "url": "javascript:alert(1)"}, None),
    ({"kind": "section", "title": " "}, None)])
def test_the_outline_is_checked_by_the_arrangement_service(app, world, part, message):
    """Another teacher's token: the draft and the pending version 2 of ``published`` are not
    theirs to include; the service's own checks refuse, named per part."""
    other = ApiClient(app, make_token(app, world["other"], "write"))
    if "material_id" in part:
        part = {**part, "material_id": world["ids"][part["material_id"]]}
    outline = [{"kind": "page", "title": "Welkom", "body": "Hallo\n"}, part]
    response = other.post("/api/v1/materials", json={**SERIES, "outline": outline},
                          headers={"Accept-Language": "en"})
    assert response.status_code == 422, response.get_data(as_text=True)
    problem = problem_of(response)
    assert slug_of(response) == "validation-failed"
    assert [item["field"] for item in problem["invalid"]] == ["outline[1]"]
    if message:
        assert message in problem["invalid"][0]["message"]
    with app.app_context():
        assert db.session.scalar(select(Material.id).where(
            Material.owner_id == world["other"].id)) is None, "nothing was created"


def test_only_an_arrangement_has_an_outline(app, writer, world):
    response = writer.post("/api/v1/materials", json={**LESSON, "outline": _outline(world)})
    assert response.status_code == 422
    assert [item["field"] for item in problem_of(response)["invalid"]] == ["outline"]
    m = world["ids"]["published"]
    etag = writer.get(f"/api/v1/materials/{m}").headers["ETag"]
    edit = writer.post(f"/api/v1/materials/{m}/versions", headers={"If-Match": etag},
                       json={"title": "Breuken", "outline": _outline(world)})
    assert edit.status_code == 422
    assert [item["field"] for item in problem_of(edit)["invalid"]] == ["outline"]


def test_a_new_version_of_an_arrangement_keeps_or_replaces_its_outline(app, writer, world):
    created = writer.post("/api/v1/materials", json={**SERIES, "outline": _outline(world)})
    m, etag = created.get_json()["id"], created.headers["ETag"]
    path = f"/api/v1/materials/{m}/versions"
    _first, parts = _parts(writer, m)
    assert writer.post(path, json={"title": "Reeks"}).status_code == 428
    kept = writer.post(path, json={"title": "Reeks getallen en breuken"},
                       headers={"If-Match": etag})
    assert kept.status_code == 201, kept.get_data(as_text=True)
    assert kept.get_json()["draft"]["title"] == "Reeks getallen en breuken"
    assert _parts(writer, m) == (2, parts)
    replaced = writer.post(path, headers={"If-Match": kept.headers["ETag"]}, json={
        "title": "Reeks getallen en breuken",
        "outline": [{"kind": "material", "material_id": world["ids"]["published"]}]})
    assert replaced.status_code == 201, replaced.get_data(as_text=True)
    assert _parts(writer, m) == (3, [("1", "material", "Breuken met pizzapunten",
                                      world["ids"]["published"], 1, None)])
    stale = writer.post(path, headers={"If-Match": etag}, json={"title": "Oud", "outline": []})
    assert stale.status_code == 412
    refused = writer.post(path, headers={"If-Match": replaced.headers["ETag"]}, json={
        "title": "Reeks", "outline": [{"kind": "material",
                                       "material_id": world["ids"]["arrangement"]}]})
    assert refused.status_code == 422
    assert [item["field"] for item in problem_of(refused)["invalid"]] == ["outline[0]"]
    assert _parts(writer, m)[0] == 3, "a refused outline saves no version"


def test_an_arrangement_made_through_the_api_is_submitted_and_remixed(app, writer, world):
    m = writer.post("/api/v1/materials", json={**SERIES, "outline": _outline(world)}
                    ).get_json()["id"]
    submitted = writer.post(f"/api/v1/materials/{m}/submit")
    assert submitted.status_code == 200, submitted.get_data(as_text=True)
    assert submitted.get_json()["status"] == "pending"
    remixer = ApiClient(app, make_token(app, world["other"], "write"))
    source = world["ids"]["arrangement"]
    made = remixer.post(f"/api/v1/materials/{source}/remix", json={"licence": "CC-BY-4.0"})
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.get_json()["kind"] == "arrangement"
    assert made.get_json()["derived_from"] == {"material_id": source, "version": 1}
    assert [part[1:4] for part in _parts(remixer, made.get_json()["id"])[1]] == \
        [part[1:4] for part in _parts(ApiClient(app), source)[1]]


# -- Files: uploaded first, then attached by their claim -----------------------------------

WORKSHEET = {"kind": "file", "title": "Werkblad breuken", "description": "Oefenen op papier",
             "licence": "CC-BY-4.0", "summary": "Eerste versie"}


def _upload(client, name="werkblad.pdf", data=None):
    from tests.fixtures.samples import pdf_bytes

    return client.post(f"/api/v1/uploads?filename={name}",
                       data=pdf_bytes("Breuken oefenen") if data is None else data,
                       headers={"Content-Type": "application/octet-stream"})


def test_a_file_material_is_created_from_an_upload(app, writer, world):
    uploaded = _upload(writer)
    assert uploaded.status_code == 201, uploaded.get_data(as_text=True)
    claim = uploaded.get_json()
    assert claim["filename"] == "werkblad.pdf" and len(claim["sha256"]) == 64
    response = writer.post("/api/v1/materials", json={**WORKSHEET, "uploads": [claim["upload"]]})
    assert response.status_code == 201, response.get_data(as_text=True)
    data = response.get_json()
    assert data["kind"] == "file" and data["status"] == "draft"
    assert [(a["filename"], a["media_type"]) for a in data["draft"]["attachments"]] == [
        ("werkblad.pdf", "application/pdf")]
    assert _actions(app, data["id"]) == ["material.created"]
    # A later version keeps the file and adds another.
    second = _upload(writer, "antwoorden.pdf").get_json()["upload"]
    fields = {k: v for k, v in WORKSHEET.items() if k != "kind"}
    saved = writer.post(f"/api/v1/materials/{data['id']}/versions",
                        headers={"If-Match": response.headers["ETag"]},
                        json={**fields, "uploads": [second]})
    assert saved.status_code == 201, saved.get_data(as_text=True)
    assert sorted(a["filename"] for a in saved.get_json()["draft"]["attachments"]) == [
        "antwoorden.pdf", "werkblad.pdf"]


def test_a_file_material_needs_a_file_and_a_claim_is_its_uploaders_only(app, writer, world):
    empty = writer.post("/api/v1/materials", json=WORKSHEET)
    assert empty.status_code == 422
    assert [item["field"] for item in problem_of(empty)["invalid"]] == ["files"]
    claim = _upload(writer).get_json()["upload"]
    other = ApiClient(app, make_token(app, world["other"], "write"))
    stolen = other.post("/api/v1/materials", json={**WORKSHEET, "uploads": [claim]})
    assert stolen.status_code == 422
    assert [item["field"] for item in problem_of(stolen)["invalid"]] == ["uploads"]
    forged = writer.post("/api/v1/materials", json={**WORKSHEET, "uploads": [claim + "x"]})
    assert forged.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Material.id).where(Material.kind == "file")) is None


def test_uploads_are_checked_as_on_the_web(app, writer, world):
    refused = _upload(writer, "werkblad.exe", data=b"MZ\x90\x00" + b"\x00" * 200)
    assert refused.status_code == 422 and slug_of(refused) == "validation-failed"
    # The content decides the type, whatever the name says (as on the web).
    renamed = _upload(writer, "foto.png")
    assert renamed.status_code == 201 and renamed.get_json()["filename"].endswith(".pdf")
    app.config["MAX_UPLOAD_BYTES"] = 1000
    large = _upload(writer, data=b"%PDF-1.4\n" + b"0" * 5000)
    assert large.status_code == 413 and slug_of(large) == "payload-too-large"
    nameless = writer.post("/api/v1/uploads", data=b"x",
                           headers={"Content-Type": "application/octet-stream"})
    assert nameless.status_code == 400


def test_uploading_needs_a_write_token_of_someone_who_may_create(app, world, make_user):
    assert _upload(ApiClient(app)).status_code == 401
    reader = ApiClient(app, make_token(app, world["teacher"], "read"))
    assert _upload(reader).status_code == 403
    student = ApiClient(app, make_token(app, make_user("student"), "write"))
    assert _upload(student).status_code == 403


def test_an_arrangement_takes_no_uploads(app, writer, world):
    claim = _upload(writer).get_json()["upload"]
    response = writer.post("/api/v1/materials", json={**SERIES, "uploads": [claim]})
    assert response.status_code == 422
    assert [item["field"] for item in problem_of(response)["invalid"]] == ["uploads"]
