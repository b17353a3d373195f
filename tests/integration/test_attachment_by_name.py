"""A material's file by name (``/materials/<id>/attachments/<name>``): the address that stays
the same from version to version, so a page's text can link to its files.  It serves the
file of that name in the version the material page shows the reader (``?v=N``: version N),
under the same rules and headers as the download by attachment number."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from oer_portal.accounts.models import User
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle, service
from oer_portal.materials.attachments import AttachmentRef, Upload, store_upload
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialKind
from oer_portal.usage.counter import utc_today

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (5, 4), colour).save(buffer, "PNG")
    return buffer.getvalue()


RED, BLUE = _png((200, 30, 30)), _png((30, 30, 200))


def _store(name: str, data: bytes) -> AttachmentRef:
    return store_upload(Upload(io.BytesIO(data), name))


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher"), "mod": make_user("moderator"),
            "bea": make_user("teacher"), "student": make_user("student")}


@pytest.fixture()
def lesson(app, people) -> int:
    """Version 1 (published): kaart.png (red) and oud.txt; version 2 (published): kaart.png
    (blue) and nieuw.txt; version 3 (a draft): kaart.png (blue) and concept.txt."""
    with app.app_context():
        anna = db.session.get(User, people["anna"].id)
        mod = db.session.get(User, people["mod"].id)
        fields = VersionFields(title="Kaartlezen", body="Zie de kaart.", language="nl",
                               licence="CC-BY-4.0")
        material = service.create_material(anna, MaterialKind.LESSON, fields, [
            _store("kaart.png", RED), _store("oud.txt", b"Oude opgave\n")])
        lifecycle.publish(material, material.latest_version, mod)
        blue = _store("kaart.png", BLUE)
        second = service.save_version(anna, material.id, material.latest_version_id, fields,
                                      [blue, _store("nieuw.txt", b"Nieuwe opgave\n")]).version
        lifecycle.publish(material, second, mod)
        service.save_version(anna, material.id, second.id, fields,
                             [blue, _store("concept.txt", b"Nog niet af\n")])
        current_uow().commit()
        return material.id


def _get(client, url: str):
    response = client.get(url, headers={"User-Agent": BROWSER})
    data = response.data
    response.close()
    return response, data


def test_the_shown_version_s_file_is_served_by_name_with_the_download_s_headers(
        app, client, lesson) -> None:
    response, data = _get(client, f"/materials/{lesson}/attachments/kaart.png")
    assert response.status_code == 200 and data == BLUE  # version 2, not version 1's red
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, max-age=0, must-revalidate"
    assert not response.headers["Content-Disposition"].startswith("attachment")  # an image

    response, data = _get(client, f"/materials/{lesson}/attachments/nieuw.txt")
    assert response.status_code == 200 and data == b"Nieuwe opgave\n"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "filename=nieuw.txt" in response.headers["Content-Disposition"]
    # Counted as a download, as the download by number is.
    pending = app.extensions["usage"].pending()
    assert pending.get((lesson, utc_today(), "download")) == 2


def test_a_file_of_an_older_version_only_or_of_a_draft_is_not_served_by_name(
        client, new_client, people, lesson) -> None:
    assert _get(client, f"/materials/{lesson}/attachments/oud.txt")[0].status_code == 404
    assert _get(client, f"/materials/{lesson}/attachments/concept.txt")[0].status_code == 404
    assert _get(client, f"/materials/{lesson}/attachments/onbekend.png")[0].status_code == 404
    # The author's material page shows the published version too: so does the address.
    anna = new_client()
    anna.login(people["anna"].email)
    assert _get(anna, f"/materials/{lesson}/attachments/concept.txt")[0].status_code == 404
    assert _get(anna, f"/materials/{lesson}/attachments/oud.txt")[0].status_code == 404


def test_a_version_number_asks_for_that_version_when_the_reader_may_see_it(
        client, new_client, people, lesson) -> None:
    response, data = _get(client, f"/materials/{lesson}/attachments/kaart.png?v=1")
    assert response.status_code == 200 and data == RED
    assert _get(client, f"/materials/{lesson}/attachments/oud.txt?v=1")[0].status_code == 200
    # Version 3 is a draft: its authors may ask for it, nobody else.
    assert _get(client, f"/materials/{lesson}/attachments/concept.txt?v=3")[0].status_code \
        == 404
    assert _get(client, f"/materials/{lesson}/attachments/kaart.png?v=9")[0].status_code \
        == 404
    anna = new_client()
    anna.login(people["anna"].email)
    response, data = _get(anna, f"/materials/{lesson}/attachments/concept.txt?v=3")
    assert response.status_code == 200 and data == b"Nog niet af\n"


def test_a_draft_s_files_are_for_its_authors_only(app, client, new_client, people,
                                                  make_material) -> None:
    with app.app_context():
        ref = _store("kaart.png", RED)
        current_uow().commit()
    draft = make_material(people["anna"], title="Nog niet klaar", attachments=[ref])
    url = f"/materials/{draft}/attachments/kaart.png"
    assert _get(client, url)[0].status_code == 404
    for role in ("student", "bea"):
        other = new_client()
        other.login(people[role].email)
        assert _get(other, url)[0].status_code == 404, role
    anna = new_client()
    anna.login(people["anna"].email)
    response, data = _get(anna, url)
    assert response.status_code == 200 and data == RED


def test_a_withdrawn_material_s_files_are_gone_by_name(app, client, people, lesson) -> None:
    with app.app_context():
        lifecycle.withdraw(db.session.get(User, people["anna"].id),
                           db.session.get(Material, lesson), "Verouderd")
        current_uow().commit()
    assert _get(client, f"/materials/{lesson}/attachments/kaart.png")[0].status_code == 404
    assert _get(client, f"/materials/{lesson}/attachments/kaart.png?v=1")[0].status_code \
        == 404


def test_a_lesson_s_image_may_load_its_file_by_name(app) -> None:
    from oer_portal.core.markdown import render_markdown

    with app.test_request_context():
        html = str(render_markdown("![kaart](/materials/7/attachments/kaart%20(2).png)"))
        assert 'src="/materials/7/attachments/kaart%20(2).png"' in html
        refused = str(render_markdown("![x](/materials/7/attachments/../../admin/users)"))
        assert "admin" not in refused
