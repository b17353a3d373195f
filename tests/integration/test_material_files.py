"""Attachments through the pages: shared storage, safe serving, refused uploads that leave
nothing behind, and no leak of unpublished files through downloads or thumbnails."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from oer_portal.extensions import db
from oer_portal.materials.models import Material, StoredFile, VersionAttachment
from tests.fixtures.samples import pdf_bytes


def _png(width: int = 40, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def _form(files, **extra):
    return {"title": "Werkblad", "body": "Zie de bijlage.", "language": "nl",
            "licence": "CC-BY-4.0", "save": "1", "files": files, **extra}


def _store_files(app) -> list[Path]:
    root = Path(app.config["STORAGE_DIR"])
    return [p for p in root.rglob("*")
            if p.is_file() and "tmp" not in p.relative_to(root).parts] if root.exists() else []


def _upload(client, name: str, data: bytes):
    return client.post("/materials/new/lesson", _form([(io.BytesIO(data), name)]),
                       content_type="multipart/form-data")


HOSTILE = {
    "svg-with-script.svg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "svg-named.png": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "page.pdf": b"<!doctype html><html><script>alert(document.cookie)</script></html>",
    "polyglot.gif": b"GIF89a\x01\x00\x01\x00\x00\x00\x00;<script>alert(1)</script>",
    "empty.txt": b"",
    "binary.txt": b"\x00\x01\x02\x03 not text",
    "program.exe": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",
}


def _bomb_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buffer, "PNG")  # 400 megapixels, tiny file
    return buffer.getvalue()


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_uploads_are_refused_with_a_message_and_leave_nothing(app, client, make_user,
                                                                      name):
    client.login(make_user("teacher").email)
    response = _upload(client, name, HOSTILE[name])
    assert response.status_code == 200
    assert 'id="files-error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Material)) == 0
        assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 0
    assert _store_files(app) == []


@pytest.mark.parametrize(("name", "data"), [
    ("bomb.png", _bomb_png()),
    ("zipbomb.zip", _zip({"zeros.txt": b"0" * 30_000_000})),
    ("slip.zip", _zip({"../../etc/evil.txt": b"x"})),
    ("absolute.zip", _zip({"/etc/passwd": b"x"})),
])
def test_bombs_and_zip_slip_are_refused(app, client, make_user, name, data):
    client.login(make_user("teacher").email)
    response = _upload(client, name, data)
    assert 'id="files-error"' in response.get_data(as_text=True)
    assert _store_files(app) == []


def test_an_oversized_upload_is_refused_with_the_limit(app, client, make_user):
    app.config["MAX_UPLOAD_BYTES"] = 1024
    client.login(make_user("teacher").email)
    response = _upload(client, "big.txt", b"a" * 5000)
    assert "MB" in response.get_data(as_text=True)
    assert _store_files(app) == []


def test_bidi_characters_are_stripped_from_names(app, client, make_user):
    client.login(make_user("teacher").email)
    response = _upload(client, "les\u202egnp.txt", b"hallo wereld\n")
    assert response.status_code == 302
    with app.app_context():
        name = db.session.scalar(select(VersionAttachment.filename))
    assert name == "lesgnp.txt"


def test_crlf_in_a_name_never_reaches_a_header(app, make_user):
    """Browsers cannot send CR/LF in a multipart name, but imports and the API can."""
    from oer_portal.materials.attachments import Upload, store_upload

    with app.test_request_context():
        ref = store_upload(Upload(io.BytesIO(b"hallo\n"), "evil\r\nSet-Cookie: x=1.txt"))
    assert "\r" not in ref.filename and "\n" not in ref.filename
    assert ref.filename.endswith(".txt")


def test_identical_files_are_stored_once_and_served_safely(app, client, make_user):
    client.login(make_user("teacher").email)
    image = _png()
    first = _upload(client, "rood.png", image)
    second = _upload(client, "ook-rood.png", image)
    assert first.status_code == second.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(StoredFile)) == 1
        assert db.session.scalar(select(func.count()).select_from(VersionAttachment)) == 2
        stored = db.session.scalar(select(StoredFile))
        assert stored.media_type == "image/png" and stored.has_thumbnail
    root = Path(app.config["STORAGE_DIR"])
    originals = [p for p in _store_files(app) if "derived" not in p.relative_to(root).parts]
    assert len(originals) == 1
    material_id = re.search(r"/materials/(\d+)", first.headers["Location"]).group(1)
    page = client.get(f"/materials/{material_id}", follow_redirects=True).get_data(as_text=True)
    download = re.search(r'href="(/materials/\d+/files/\d+/[^"]+)"', page).group(1)
    response = client.get(download)
    assert response.data == image
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert "filename=" in response.headers["Content-Disposition"]
    response.close()


def test_unpublished_files_do_not_leak_through_downloads_or_thumbnails(
        app, client, new_client, make_user):
    owner = make_user("teacher")
    client.login(owner.email)
    response = _upload(client, "geheim.png", _png())
    material_id = re.search(r"/materials/(\d+)", response.headers["Location"]).group(1)
    with app.app_context():
        attachment = db.session.scalar(select(VersionAttachment))
        urls = [f"/materials/{material_id}/files/{attachment.id}/{attachment.filename}",
                f"/materials/{material_id}/files/{attachment.id}/thumbnail"]
    for role in (None, "student", "teacher"):
        other = new_client()
        if role:
            other.login(make_user(role).email)
        for url in urls:
            assert other.get(url).status_code == 404, (role, url)
    for url in urls:
        ok = client.get(url)
        assert ok.status_code == 200
        ok.close()
    # Nor through the address of another material.
    assert new_client().get(urls[0].replace(f"/materials/{material_id}/",
                                            "/materials/999/")).status_code == 404


def test_a_full_disk_keeps_the_form_and_stores_nothing(app, client, make_user, monkeypatch):
    import errno
    import os

    from oer_portal.core import storage

    def full(fd: int, data: object) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    client.login(make_user("teacher").email)
    monkeypatch.setattr(storage.os, "write", full)  # the disk, not our code, is faked
    response = client.post("/materials/new/lesson", _form(
        [(io.BytesIO(b"hallo\n"), "les.txt")], body="Mijn zorgvuldig geschreven les."),
        content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Nothing was saved" in page and "Mijn zorgvuldig geschreven les." in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Material)) == 0
    assert _store_files(app) == []


def test_files_are_named_by_what_they_are_not_by_their_media_type(client, make_user):
    client.login(make_user("teacher").email)
    response = _upload(client, "werkblad.pdf", pdf_bytes("Opdracht 1"))
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(
        as_text=True)
    assert re.search(r"PDF document, \d+ (B|kB)", page)
    assert "application/pdf" not in page
    client.post("/language", {"locale": "nl"})
    page = client.get(response.headers["Location"], follow_redirects=True).get_data(
        as_text=True)
    assert re.search(r"PDF-document, \d+ (B|kB)", page)


def test_an_image_is_accepted_whatever_the_language_of_the_page(client, make_user):
    """The type's label follows the reader's language; the type itself (a dictionary key of
    the checks) must not: a Dutch upload of a PNG was refused as damaged."""
    client.login(make_user("teacher").email)
    client.post("/language", {"locale": "nl"})
    response = _upload(client, "strook.png", _png())
    assert response.status_code == 302, response.get_data(as_text=True)
