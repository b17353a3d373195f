"""Issue 16, "Preview is unbounded": every route that renders Markdown a user sent checks
the text against the limits of ``core/markdown_limits.py`` BEFORE rendering, and caps the
size of its request before the form is parsed (not only the global upload cap).

"Not rendered" is proven by counting Python-Markdown's conversions (the real renderer,
wrapped), never by timing."""

from __future__ import annotations

import markdown
import pytest

from oer_portal.core.markdown import _render
from oer_portal.core.markdown_limits import MAX_HTML_TAGS, MAX_NESTING, MAX_SOURCE_CHARS
from oer_portal.extensions import db
from oer_portal.materials.models import Material
from tests.fixtures.api import ApiClient, build_world, make_token, problem_of, slug_of

TOO_LONG = "Tekst. " * (MAX_SOURCE_CHARS // 7) + "x" * 10
TOO_DEEP = ">" * (MAX_NESTING + 1) + " diep\n"
TOO_MANY_TAGS = "<http://" * (MAX_HTML_TAGS + 1)
REFUSED = {"too long": TOO_LONG, "too deep": TOO_DEEP, "too many tags": TOO_MANY_TAGS}
#: More bytes than any text within the limits makes a request: 920,000 bytes in a multipart
#: form (4 a character allowed), 2.8 MB URL-encoded (9 allowed) and in JSON (6 allowed).
OVERSIZED = "é" * (2 * MAX_SOURCE_CHARS + 60_000)


@pytest.fixture()
def conversions(monkeypatch):
    """How many times Python-Markdown converted a text (the real method, counted)."""
    calls: list[str] = []
    real = markdown.Markdown.convert

    def counted(self, source):
        calls.append(source)
        return real(self, source)

    _render.cache_clear()
    monkeypatch.setattr(markdown.Markdown, "convert", counted)
    return calls


def _post_multipart(client, path: str, fields: dict[str, str]):
    """A multipart form, encoded here: the test client's own encoder spools a large field to
    a temporary file that stays open when the app refuses the request unread."""
    boundary = "grens-16"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
             f"{value}\r\n" for name, value in {"csrf_token": client.csrf_token(),
                                                 **fields}.items()]
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    return client.raw.post(path, data=body, buffered=True,
                           content_type=f"multipart/form-data; boundary={boundary}")


def _lesson_form(body: str, **extra) -> dict:
    return {"title": "Grenzen", "body": body, "language": "nl", "licence": "CC-BY-4.0",
            **extra}


@pytest.mark.parametrize("name", REFUSED)
def test_the_preview_refuses_text_over_the_limits_without_rendering_it(
        client, make_user, conversions, name):
    client.login(make_user("teacher").email)
    response = client.post("/materials/preview", {"body": REFUSED[name]})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "at most" in text and "<p>" not in text.replace('<p class="preview-refused">', "")
    assert conversions == []


def test_the_preview_reason_is_translated(new_client, make_user):
    client = new_client("nl")
    client.login(make_user("teacher").email)
    response = client.post("/materials/preview", {"body": TOO_LONG})
    assert response.status_code == 422 and "te lang" in response.get_data(as_text=True)


def test_the_preview_still_renders_text_at_the_limit(client, make_user, conversions):
    client.login(make_user("teacher").email)
    body = ("## Kop\n\n" + "Een zin van een les. " * MAX_SOURCE_CHARS)[:MAX_SOURCE_CHARS]
    response = client.post("/materials/preview", {"body": body})
    assert response.status_code == 200 and "Kop</h3>" in response.get_data(as_text=True)
    assert conversions


@pytest.mark.parametrize("multipart", [False, True])
def test_a_preview_request_over_its_size_cap_is_413_before_the_form_is_read(
        client, make_user, conversions, multipart):
    client.login(make_user("teacher").email)
    response = (_post_multipart(client, "/materials/preview", {"body": OVERSIZED})
                if multipart else client.post("/materials/preview", {"body": OVERSIZED}))
    assert response.status_code == 413
    assert conversions == []


@pytest.mark.parametrize("button", ["preview", "save"])
@pytest.mark.parametrize("name", REFUSED)
def test_the_editor_refuses_text_over_the_limits_without_rendering_it(
        client, make_user, conversions, button, name):
    client.login(make_user("teacher").email)
    response = client.post("/materials/new/lesson", _lesson_form(REFUSED[name], **{button: "1"}))
    assert response.status_code == 200
    assert "at most" in response.get_data(as_text=True)
    assert conversions == []


def test_editing_refuses_text_over_the_limits_without_rendering_it(
        app, client, make_user, make_material, conversions):
    owner = make_user("teacher")
    material_id = make_material(owner, title="Grenzen")
    with app.app_context():
        base = db.session.get(Material, material_id).latest_version_id
    client.login(owner.email)
    conversions.clear()
    response = client.post(f"/materials/{material_id}/edit",
                           _lesson_form(TOO_DEEP, base_version_id=str(base), preview="1"))
    assert "at most" in response.get_data(as_text=True)
    assert conversions == []


@pytest.mark.parametrize("path", ["/materials/new/lesson", "/materials/new/link"])
def test_a_text_field_over_the_cap_is_413_on_the_editors(client, make_user, conversions, path):
    client.login(make_user("teacher").email)
    response = _post_multipart(client, path, _lesson_form(OVERSIZED, preview="1"))
    assert response.status_code == 413
    assert conversions == []


@pytest.mark.parametrize("path", ["/materials/new/arrangement/builder",
                                  "/materials/new/arrangement"])
def test_the_arrangement_builder_caps_its_request(client, make_user, path):
    client.login(make_user("teacher").email)
    pages = {"nodes": "30", **{key: value for i in range(30) for key, value in (
        (f"node-{i}-kind", "page"), (f"node-{i}-title", f"Pagina {i}"),
        (f"node-{i}-body", "Zeespiegel. " * 8_000))}}
    response = _post_multipart(client, path, {**_lesson_form("Welkom."), **pages,
                                              "action": "add-page"})
    assert response.status_code == 413


def test_an_arrangement_page_over_the_limits_is_not_rendered(client, make_user, conversions):
    client.login(make_user("teacher").email)
    response = client.post("/materials/new/arrangement", {
        **_lesson_form("Welkom."), "nodes": "1", "node-0-kind": "page",
        "node-0-title": "Diep", "node-0-body": TOO_DEEP, "save": "1"})
    assert response.status_code == 400
    assert "at most" in response.get_data(as_text=True)
    assert conversions == ["Welkom."]  # the introduction only (its images are checked)


@pytest.fixture()
def writer(app, make_user, make_material):
    world = build_world(app, make_user, make_material)
    return ApiClient(app, make_token(app, world["teacher"], "write"))


API_LESSON = {"kind": "lesson", "title": "Grenzen", "body": "Tekst.",
              "licence": "CC-BY-4.0", "summary": "Eerste versie"}


@pytest.mark.parametrize("name", REFUSED)
def test_the_api_refuses_text_over_the_limits_as_422_without_rendering(
        writer, conversions, name):
    response = writer.post("/api/v1/materials", json={**API_LESSON, "body": REFUSED[name]})
    assert response.status_code == 422 and slug_of(response) == "validation-failed"
    assert "body" in [item["field"] for item in problem_of(response)["invalid"]]
    assert conversions == []


def test_an_api_request_over_its_size_cap_is_a_413_problem(writer, conversions):
    # The API's cap is a whole arrangement's text (introduction and pages), larger than the
    # forms' of one lesson; a lesson's body within it but over its limit is a 422.
    from oer_portal.api.write_views import WRITE_TEXT_CHARS

    oversized = "é" * (WRITE_TEXT_CHARS + 60_000)
    response = writer.post("/api/v1/materials", json={**API_LESSON, "body": oversized})
    assert response.status_code == 413 and slug_of(response) == "payload-too-large"
    too_long = writer.post("/api/v1/materials", json={**API_LESSON, "body": OVERSIZED})
    assert too_long.status_code == 422
    assert [item["field"] for item in too_long.get_json()["invalid"]] == ["body"]
    assert conversions == []


@pytest.mark.parametrize("name", REFUSED)
def test_a_change_proposal_over_the_limits_is_not_rendered(
        client, make_user, make_material, conversions, name):
    material_id = make_material(make_user("teacher"), title="Grenzen",
                                publish_by=make_user("moderator"))
    client.login(make_user("teacher").email)
    conversions.clear()
    response = client.post(f"/materials/{material_id}/propose", {
        "title": "Grenzen", "body": REFUSED[name], "summary": "Beter zo"})
    assert "at most" in response.get_data(as_text=True)
    assert conversions == []


def test_a_change_proposal_over_its_size_cap_is_413(client, make_user, make_material):
    material_id = make_material(make_user("teacher"), title="Grenzen",
                                publish_by=make_user("moderator"))
    client.login(make_user("teacher").email)
    response = client.post(f"/materials/{material_id}/propose", {
        "title": "Grenzen", "body": OVERSIZED, "summary": "Beter zo"})
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/materials/1/upstream/resolve",
                                  "/materials/1/proposals/1/accept",
                                  "/materials/1/arrange/builder"])
def test_every_form_that_carries_markdown_caps_its_request_before_anything_else(
        client, make_user, path):
    """The cap is set by the first hook, before the CSRF check and the view read the form:
    even where the material does not exist, an oversized request is a 413."""
    client.login(make_user("teacher").email)
    assert client.post(path, {"body": OVERSIZED * 3}).status_code == 413
