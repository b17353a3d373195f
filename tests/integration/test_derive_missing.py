"""Derived text and thumbnails survive a crash: ``flask files derive-missing`` makes what a
killed process did not, and the search then finds the text; storing the same bytes again
derives too.  A file whose derivation yields nothing is not tried again and again."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select, update

from oer_portal.accounts.models import User
from oer_portal.core.storage import FileStore
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials import lifecycle
from oer_portal.materials.models import Material, MaterialVersion, StoredFile
from tests.fixtures.samples import pdf_bytes

ROOT = Path(__file__).resolve().parents[2]
WORD = "verdampingswarmte"
PDF = pdf_bytes(f"De {WORD} van water\nOpdracht 1: meet de temperatuur")


def _search_total(client, q: str) -> int:
    return client.get("/api/v1/search", query_string={"q": q}).get_json()["total"]


def _stored(app) -> StoredFile:
    with app.app_context():
        row = db.session.scalars(select(StoredFile)).one()
        db.session.expunge(row)
        return row


def _publish_only_material(app, moderator_id: int) -> int:
    with app.app_context():
        material = db.session.scalars(select(Material)).one()
        lifecycle.publish(material, db.session.get(MaterialVersion, material.latest_version_id),
                          db.session.get(User, moderator_id))
        current_uow().commit()
        return material.id


def _upload_and_die(app, tmp_path: Path, email: str) -> int:
    pdf = tmp_path / "werkblad.pdf"
    pdf.write_bytes(PDF)
    process = subprocess.run(
        [sys.executable, "-m", "tests.integration.crash_upload",
         app.config["SQLALCHEMY_DATABASE_URI"], str(tmp_path), email, str(pdf)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    return process.returncode


def test_a_process_killed_after_the_commit_leaves_text_that_derive_missing_makes(
        app, client, make_user, runner, tmp_path):
    teacher, moderator = make_user("teacher"), make_user("moderator")
    assert _upload_and_die(app, tmp_path, teacher.email) == -signal.SIGKILL
    stored = _stored(app)
    assert stored.text is None and not stored.has_thumbnail  # the crash lost the derivation
    store = FileStore(Path(app.config["STORAGE_DIR"]))
    assert store.exists(stored.sha256)
    _publish_only_material(app, moderator.id)
    assert _search_total(client, "werkblad") == 1  # published and indexed ...
    assert _search_total(client, WORD) == 0  # ... but its file's text is not

    result = runner.invoke(args=["files", "derive-missing"])
    assert result.exit_code == 0, result.output
    assert "1 file" in result.output
    stored = _stored(app)
    assert WORD in (stored.text or "") and stored.has_thumbnail
    assert store.derived_path(stored.sha256, "thumb.png").is_file()
    assert _search_total(client, WORD) == 1

    again = runner.invoke(args=["files", "derive-missing"])
    assert again.exit_code == 0 and "0 files" in again.output


def test_storing_the_same_bytes_again_derives_what_is_missing(app, client, make_user,
                                                             tmp_path):
    teacher = make_user("teacher")
    assert _upload_and_die(app, tmp_path, teacher.email) == -signal.SIGKILL
    assert _stored(app).text is None
    client.login(teacher.email)
    response = client.post("/materials/new/file", {
        "title": "Nog een werkblad", "body": "", "language": "nl", "licence": "CC-BY-4.0",
        "save": "1", "files": [(io.BytesIO(PDF), "opnieuw.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    stored = _stored(app)
    assert WORD in (stored.text or "") and stored.has_thumbnail


def test_a_file_without_text_is_tried_once_not_forever(app, client, make_user, runner):
    """A PDF of blank pages (a scan has no text either) derives a thumbnail and no text; it
    counts as derived, so ``derive-missing`` leaves it alone."""
    client.login(make_user("teacher").email)
    response = client.post("/materials/new/file", {
        "title": "Leeg blad", "body": "", "language": "nl", "licence": "CC-BY-4.0",
        "save": "1", "files": [(io.BytesIO(pdf_bytes("")), "leeg.pdf")]},
        content_type="multipart/form-data")
    assert response.status_code == 302
    stored = _stored(app)
    assert not stored.text and stored.derived_at is not None
    result = runner.invoke(args=["files", "derive-missing"])
    assert result.exit_code == 0 and "0 files" in result.output


def test_a_lost_thumbnail_is_made_again(app, client, make_user, runner):
    client.login(make_user("teacher").email)
    client.post("/materials/new/file", {
        "title": "Werkblad", "body": "", "language": "nl", "licence": "CC-BY-4.0",
        "save": "1", "files": [(io.BytesIO(PDF), "werkblad.pdf")]},
        content_type="multipart/form-data")
    stored = _stored(app)
    thumb = FileStore(Path(app.config["STORAGE_DIR"])).derived_path(stored.sha256, "thumb.png")
    thumb.unlink()
    result = runner.invoke(args=["files", "derive-missing"])
    assert result.exit_code == 0 and "1 file" in result.output
    assert thumb.is_file()


def test_rows_never_derived_are_found_by_their_marker(app, client, make_user, runner):
    """Rows that were never derived (a crash before this fix) are found by their marker."""
    client.login(make_user("teacher").email)
    client.post("/materials/new/file", {
        "title": "Werkblad", "body": "", "language": "nl", "licence": "CC-BY-4.0",
        "save": "1", "files": [(io.BytesIO(PDF), "werkblad.pdf")]},
        content_type="multipart/form-data")
    with app.app_context():
        db.session.execute(update(StoredFile).values(text=None, has_thumbnail=False,
                                                     derived_at=None))
        db.session.commit()
    result = runner.invoke(args=["files", "derive-missing"])
    assert result.exit_code == 0 and "1 file" in result.output
    assert WORD in (_stored(app).text or "")
