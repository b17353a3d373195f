"""A material form that comes back with an error keeps the files already added: they stay
stored, the form carries a signed claim on each (bound to the user, expiring), shows them as
already attached, and a save attaches them.  A claim that was altered, has expired, belongs to
someone else or names a file by its hash alone attaches nothing."""

from __future__ import annotations

import html
import io
import json
import re

from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import func, select

from oer_portal.extensions import db
from oer_portal.materials.models import Material, MaterialVersion, StoredFile
from tests.fixtures.samples import pdf_bytes

PDF = pdf_bytes("Breuken vergelijken\nWerkblad voor havo 2")
LOST = "A file you added earlier could not be kept. Add it again."


def _form(**overrides):
    form = {"title": "Breuken vergelijken", "body": "Zie het werkblad.", "language": "nl",
            "licence": "CC-BY-4.0", "save": "1"}
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def _post(client, path="/materials/new/lesson", **overrides):
    return client.post(path, _form(**overrides), content_type="multipart/form-data")


def _claims(page: str) -> list[str]:
    return [html.unescape(value) for value in
            re.findall(r'<input[^>]*name="held_files"[^>]*value="([^"]+)"', page)]


def _materials(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Material))


def _head_files(app, material_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        head = db.session.get(MaterialVersion,
                              db.session.get(Material, material_id).latest_version_id)
        return [(a.filename, a.sha256) for a in head.attachments]


def _material_id(response) -> int:
    return int(re.search(r"/materials/(\d+)", response.headers["Location"]).group(1))


def _held_pdf(client) -> tuple[str, str]:
    """A lesson form sent without a title and with a PDF: the page and its one claim."""
    response = _post(client, title="", files=[(io.BytesIO(PDF), "werkblad.pdf")])
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    [claim] = _claims(page)
    return page, claim


def test_a_form_that_comes_back_keeps_the_file_and_a_save_attaches_it(app, client, make_user):
    client.login(make_user("teacher").email)
    page, claim = _held_pdf(client)
    assert "Fill in a title." in page
    assert "werkblad.pdf" in page and "already attached" in page
    assert re.search(r'<input[^>]*checked[^>]*name="held_files"', page)
    assert _materials(app) == 0
    with app.app_context():
        [stored] = db.session.scalars(select(StoredFile)).all()  # kept, not dropped

    response = _post(client, held_files=[claim], save_and_submit="1", save=None)
    assert response.status_code == 302
    assert _head_files(app, _material_id(response)) == [("werkblad.pdf", stored.sha256)]


def test_a_file_survives_several_attempts_and_joins_new_ones(app, client, make_user):
    from tests.fixtures.samples import image_bytes

    client.login(make_user("teacher").email)
    _page, claim = _held_pdf(client)
    again = _post(client, title="", licence="", held_files=[claim],
                  files=[(io.BytesIO(image_bytes()), "plaatje.png")])
    page = again.get_data(as_text=True)
    assert "Choose a licence." in page
    claims = _claims(page)
    assert len(claims) == 2 and "werkblad.pdf" in page and "plaatje.png" in page
    response = _post(client, held_files=claims)
    assert [name for name, _sha in _head_files(app, _material_id(response))] == [
        "werkblad.pdf", "plaatje.png"]


def test_unticking_a_held_file_leaves_it_out(app, client, make_user):
    client.login(make_user("teacher").email)
    _held_pdf(client)
    response = _post(client)  # the box unticked: the claim is not sent
    assert _head_files(app, _material_id(response)) == []


def test_the_preview_keeps_the_file_too(client, make_user):
    client.login(make_user("teacher").email)
    response = _post(client, save=None, preview="1",
                     files=[(io.BytesIO(PDF), "werkblad.pdf")])
    page = response.get_data(as_text=True)
    assert 'id="preview-body"' in page and len(_claims(page)) == 1


def test_an_altered_claim_attaches_nothing(app, client, make_user):
    client.login(make_user("teacher").email)
    _page, claim = _held_pdf(client)
    def changed(at: int) -> str:
        return claim[:at] + ("A" if claim[at] != "A" else "B") + claim[at + 1:]

    unsigned = json.dumps({"user": 1, "sha256": "0" * 64, "name": "x.pdf"})
    # The signature, the signed payload, an unsigned one, nothing.
    for forged in (changed(len(claim) - 10), changed(len(claim) // 4), unsigned, ""):
        response = _post(client, held_files=[forged])
        assert response.status_code == 200, forged
        assert LOST in response.get_data(as_text=True)
    assert _materials(app) == 0


def test_a_claim_signed_with_another_key_attaches_nothing(app, client, make_user):
    teacher = make_user("teacher")
    client.login(teacher.email)
    _held_pdf(client)
    with app.app_context():
        sha = db.session.scalars(select(StoredFile.sha256)).one()
    forged = URLSafeTimedSerializer("not-the-secret", salt="oer_portal.materials.held-upload"
                                    ).dumps({"user": teacher.id, "sha256": sha, "name": "x.pdf"})
    assert LOST in _post(client, held_files=[forged]).get_data(as_text=True)
    assert _materials(app) == 0


def test_the_hash_of_someone_elses_file_attaches_nothing(app, client, new_client, make_user):
    owner = new_client()
    owner.login(make_user("teacher").email)
    _page, claim = _held_pdf(owner)
    with app.app_context():
        sha = db.session.scalars(select(StoredFile.sha256)).one()
    client.login(make_user("teacher").email)
    for attempt in (claim, sha):  # the other user's own claim, or the bare hash
        response = _post(client, held_files=[attempt])
        assert LOST in response.get_data(as_text=True)
        assert _claims(response.get_data(as_text=True)) == []
    assert _materials(app) == 0


def test_an_expired_claim_attaches_nothing(app, client, make_user):
    client.login(make_user("teacher").email)
    _page, claim = _held_pdf(client)
    app.config["HELD_UPLOAD_MAX_AGE"] = -1  # every claim is older than that
    page = _post(client, held_files=[claim]).get_data(as_text=True)
    assert "kept too long to attach now. Add it again." in page
    assert _materials(app) == 0


def test_a_claim_on_a_file_that_is_not_stored_attaches_nothing(app, client, make_user):
    from oer_portal.materials.attachments import AttachmentRef, hold

    teacher = make_user("teacher")
    client.login(teacher.email)
    with app.app_context():
        claim = hold(teacher.id, AttachmentRef("ab" * 32, "verzonnen.pdf"))
    assert LOST in _post(client, held_files=[claim]).get_data(as_text=True)
    assert _materials(app) == 0


def test_an_edit_that_comes_back_keeps_the_new_file_and_the_old_ones(
        app, client, make_user):
    from tests.fixtures.samples import image_bytes

    client.login(make_user("teacher").email)
    created = _post(client, files=[(io.BytesIO(image_bytes()), "plaatje.png")])
    material_id = _material_id(created)
    edit = client.get(f"/materials/{material_id}/edit").get_data(as_text=True)
    base = re.search(r'name="base_version_id"[^>]*value="(\d+)"', edit).group(1)
    keep = re.search(r'name="keep_attachments"[^>]*value="(\d+)"', edit).group(1)
    path = f"/materials/{material_id}/edit"
    response = _post(client, path, title="", base_version_id=base, keep_attachments=[keep],
                     files=[(io.BytesIO(PDF), "werkblad.pdf")])
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Fill in a title." in page
    [claim] = _claims(page)
    saved = _post(client, path, base_version_id=base, keep_attachments=[keep],
                  held_files=[claim])
    assert saved.status_code == 302
    assert [name for name, _sha in _head_files(app, material_id)] == [
        "plaatje.png", "werkblad.pdf"]


def test_a_refused_upload_is_not_held(app, client, make_user):
    client.login(make_user("teacher").email)
    response = _post(client, title="", files=[(io.BytesIO(b"MZ\x90\x00"), "program.exe")])
    page = response.get_data(as_text=True)
    assert 'id="files-error"' in page and _claims(page) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0


def test_required_material_fields_say_what_to_fill_in(client, make_user):
    client.login(make_user("teacher").email)
    page = _post(client, title="", licence="", language="").get_data(as_text=True)
    for message in ("Fill in a title.", "Choose a licence.",
                    "Choose the language of the material."):
        assert message in page
    assert "This field is required." not in page
    summary = re.search(r'<div class="error-summary"[^>]*>', page).group(0)
    assert "autofocus" in summary
