"""``flask storage gc``: files (and their rows) that no version uses are collected once they
are older than the grace period; a referenced file never is, whatever the grace.

Real forms through the pages, a real file store, a real database: a form that comes back
with an error and a save that ends in a 409 conflict both leave a stored file behind, and
after a collection with no grace nothing of either is left, on disk or in the database."""

from __future__ import annotations

import hashlib
import html
import io
import os
import re
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update

from oer_portal.core import blob_references
from oer_portal.core.storage import FileStore
from oer_portal.extensions import db
from oer_portal.materials import storage_gc
from oer_portal.materials.models import Material, MaterialVersion, StoredFile
from tests.fixtures.samples import image_bytes, pdf_bytes

PDF = pdf_bytes("Kringloop van water\nWerkblad voor vmbo 3")
PNG = image_bytes()


def _form(**overrides):
    form = {"title": "Waterkringloop", "body": "Zie het werkblad.\n", "language": "nl",
            "licence": "CC-BY-4.0", "save": "1"}
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def _store(app) -> Path:
    return Path(app.config["STORAGE_DIR"])


def _files_on_disk(app) -> list[str]:
    """Every blob, derived file and temp file in the store (relative paths)."""
    root = _store(app)
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()) \
        if root.exists() else []


def _stored_rows(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(StoredFile.sha256).order_by(StoredFile.sha256)))


def _gc(runner, *args: str):
    result = runner.invoke(args=["storage", "gc", *args])
    assert result.exit_code == 0, result.output
    return result


def _rejected_form_with_files(client) -> None:
    response = client.post("/materials/new/file", _form(title="", files=[
        (io.BytesIO(PDF), "werkblad.pdf"), (io.BytesIO(PNG), "plaatje.png")]),
        content_type="multipart/form-data")
    assert response.status_code == 200 and "Fill in a title." in response.get_data(as_text=True)


def test_a_rejected_form_leaves_nothing_behind_after_collection(app, client, make_user, runner):
    client.login(make_user("teacher").email)
    _rejected_form_with_files(client)
    assert len(_stored_rows(app)) == 2  # held for the form that came back
    assert any(name.endswith("thumb.png") for name in _files_on_disk(app))

    result = _gc(runner, "--grace-hours", "0")
    assert _files_on_disk(app) == []
    assert _stored_rows(app) == []
    assert "2 files" in result.output and "2 rows" in result.output


def test_a_conflict_leaves_nothing_behind_after_collection(app, client, new_client, make_user,
                                                           make_material, runner):
    owner, admin = make_user("teacher"), make_user("admin")
    material_id = make_material(owner, body="regel 1\nregel 2\n")
    with app.app_context():
        base = db.session.get(Material, material_id).latest_version_id
    client.login(owner.email)
    other = new_client()
    other.login(admin.email)
    first = client.post(f"/materials/{material_id}/edit", _form(
        title="Breuken", body="regel 1 door A\nregel 2\n", base_version_id=base))
    assert first.status_code == 302
    conflict = other.post(f"/materials/{material_id}/edit", _form(
        title="Breuken", body="regel 1 door B\nregel 2\n", base_version_id=base,
        files=[(io.BytesIO(PDF), "werkblad.pdf")]), content_type="multipart/form-data")
    assert conflict.status_code == 409
    assert _stored_rows(app) == []  # rolled back ...
    assert _files_on_disk(app)  # ... but the file stayed

    result = _gc(runner, "--grace-hours", "0")
    assert _files_on_disk(app) == []
    assert "1 file" in result.output


def test_a_referenced_file_is_never_collected(app, client, make_user, runner):
    client.login(make_user("teacher").email)
    saved = client.post("/materials/new/file", _form(files=[(io.BytesIO(PDF), "werkblad.pdf")]),
                        content_type="multipart/form-data")
    assert saved.status_code == 302
    before = _files_on_disk(app)
    rows = _stored_rows(app)
    assert len(rows) == 1 and any(name.endswith(rows[0]) for name in before)
    other = client.post("/materials/new/file", _form(title="", files=[
        (io.BytesIO(PNG), "plaatje.png")]), content_type="multipart/form-data")
    assert other.status_code == 200 and len(_stored_rows(app)) == 2

    result = _gc(runner, "--grace-hours", "0")
    assert hashlib.sha256(PNG).hexdigest() in result.output  # the unused one went
    assert _files_on_disk(app) == before
    assert _stored_rows(app) == rows
    material_id = int(re.search(r"/materials/(\d+)", saved.headers["Location"]).group(1))
    with app.app_context():
        head = db.session.get(MaterialVersion,
                              db.session.get(Material, material_id).latest_version_id)
        [attachment] = head.attachments
    download = client.get(f"/materials/{material_id}/files/{attachment.id}/werkblad.pdf")
    assert download.status_code == 200 and download.data == PDF


def test_every_table_that_holds_a_file_is_registered(app):
    """Every column that points at ``stored_files`` (and today that is every column holding
    a blob's hash) is a registered reference: a new one that is not would lose files."""
    registered = {(ref.column.table.name, ref.column.name)
                  for ref in blob_references.registered()}
    pointing = {(table.name, fk.parent.name) for table in db.metadata.tables.values()
                for fk in table.foreign_keys if fk.target_fullname == "stored_files.sha256"}
    assert pointing and pointing <= registered
    assert ("version_attachments", "sha256") in registered


def test_a_file_within_the_grace_period_is_kept(app, client, make_user, runner):
    client.login(make_user("teacher").email)
    _rejected_form_with_files(client)
    before, rows = _files_on_disk(app), _stored_rows(app)

    result = _gc(runner)  # the configured grace: a day
    assert _files_on_disk(app) == before and _stored_rows(app) == rows
    assert "0 files" in result.output
    _gc(runner, "--grace-hours", "1")
    assert _files_on_disk(app) == before and _stored_rows(app) == rows


def test_an_old_row_whose_file_was_just_stored_again_is_kept(app, client, make_user, runner):
    """Storing content that is already there makes it fresh: an upload in flight that re-uses
    an old file is never collected under it."""
    client.login(make_user("teacher").email)
    _rejected_form_with_files(client)
    store = FileStore(_store(app))
    old = time.time() - 3 * 24 * 3600
    with app.app_context():
        long_ago = datetime.fromtimestamp(old, UTC)
        db.session.execute(update(StoredFile).values(created_at=long_ago, kept_at=long_ago))
        db.session.commit()
    for sha in _stored_rows(app):
        os.utime(store.path(sha), (old, old))
    with app.app_context():
        store.put_bytes(PDF)  # the same bytes again: the blob's clock restarts
    result = _gc(runner, "--grace-hours", "1")
    assert "1 file" in result.output  # the picture went, the PDF stayed
    assert store.exists(hashlib.sha256(PDF).hexdigest())
    assert not store.exists(hashlib.sha256(PNG).hexdigest())


def test_a_dry_run_deletes_nothing_and_says_what_it_would_do(app, client, make_user, runner):
    client.login(make_user("teacher").email)
    _rejected_form_with_files(client)
    before, rows = _files_on_disk(app), _stored_rows(app)

    result = _gc(runner, "--grace-hours", "0", "--dry-run")
    assert _files_on_disk(app) == before and _stored_rows(app) == rows
    assert "dry run" in result.output.lower() and "2 files" in result.output
    for sha in rows:
        assert sha in result.output


def test_stale_temp_files_are_collected_too(app, runner):
    tmp = _store(app) / "tmp"
    tmp.mkdir(parents=True)
    stale = tmp / ("a" * 32)
    stale.write_bytes(b"half an upload")
    _gc(runner, "--grace-hours", "1")
    assert stale.exists()
    result = _gc(runner, "--grace-hours", "0")
    assert not stale.exists() and "1 temporary file" in result.output


TXT = b"Notities bij de les over water\n"


def _claims(page: str) -> list[str]:
    return [html.unescape(value) for value in
            re.findall(r'<input[^>]*name="held_files"[^>]*value="([^"]+)"', page)]


def test_a_file_re_used_while_the_collection_runs_is_kept(app, client, make_user):
    """Between the scan and the delete, one held file is attached to a new material (a
    reference, no new bytes) and another is uploaded again (its bytes re-used by a form
    that comes back): the collection checks each again before it deletes, and keeps both."""
    client.login(make_user("teacher").email)
    response = client.post("/materials/new/file", _form(title="", files=[
        (io.BytesIO(PDF), "werkblad.pdf"), (io.BytesIO(PNG), "plaatje.png"),
        (io.BytesIO(TXT), "notities.txt")]), content_type="multipart/form-data")
    claims = dict(zip((PDF, PNG, TXT), _claims(response.get_data(as_text=True)), strict=True))
    first, attached, uploaded = sorted((PDF, PNG, TXT), key=lambda b: hashlib.sha256(b).digest())
    sha = {data: hashlib.sha256(data).hexdigest() for data in (PDF, PNG, TXT)}

    def meanwhile(file: storage_gc.CollectedFile) -> None:
        if file.sha256 != sha[first]:
            return
        saved = client.post("/materials/new/file", _form(held_files=[claims[attached]]),
                            content_type="multipart/form-data")
        assert saved.status_code == 302
        again = client.post("/materials/new/file", _form(title="", files=[
            (io.BytesIO(uploaded), "opnieuw")]), content_type="multipart/form-data")
        assert again.status_code == 200

    with app.app_context():
        summary = storage_gc.collect(0, progress=meanwhile)
    assert [file.sha256 for file in summary.files] == [sha[first]]
    assert summary.kept_in_use == 2
    store = FileStore(_store(app))
    assert not store.exists(sha[first])
    assert store.exists(sha[attached]) and store.exists(sha[uploaded])
    assert sorted(_stored_rows(app)) == sorted([sha[attached], sha[uploaded]])


def test_a_refused_cartridge_import_leaves_nothing_behind_after_collection(
        app, client, make_user, runner):
    """The import stores each file of the cartridge as it reads it; a cartridge refused
    further on (more parts than an arrangement holds) rolls back its rows, not its files."""
    from oer_portal.arrangements.structure import MAX_NODES
    from tests.fixtures.cartridges import Link, Page, build

    client.login(make_user("teacher").email)
    data = build("Te groot", [Page("Kaart", markdown="Zie de kaart.", files={"kaart.png": PNG}),
                              *(Link(f"Link {i}", f"https://example.org/{i}")
                                for i in range(MAX_NODES + 1))])
    response = client.post("/materials/new/cartridge", {
        "cartridge": (io.BytesIO(data), "cursus.imscc"), "licence": "CC-BY-4.0"},
        content_type="multipart/form-data")
    assert response.status_code == 400
    assert _files_on_disk(app)
    _gc(runner, "--grace-hours", "0")
    assert _files_on_disk(app) == [] and _stored_rows(app) == []


def test_the_embedded_servers_upkeep_derives_and_collects(app, client, make_user):
    from oer_portal.materials import maintenance

    client.login(make_user("teacher").email)
    _rejected_form_with_files(client)
    saved = client.post("/materials/new/file", _form(files=[(io.BytesIO(TXT), "notities.txt")]),
                        content_type="multipart/form-data")
    assert saved.status_code == 302
    with app.app_context():
        db.session.execute(update(StoredFile).values(text=None, derived_at=None))
        db.session.commit()
    assert maintenance.init_app(app) is None  # the tests' app runs no background thread
    app.config["STORAGE_GC_GRACE_SECONDS"] = 0
    maintenance.maintain(app)
    with app.app_context():
        [stored] = db.session.scalars(select(StoredFile)).all()
        assert stored.sha256 == hashlib.sha256(TXT).hexdigest()
        assert stored.derived_at is not None and "Notities" in (stored.text or "")


def test_derived_files_whose_file_is_gone_are_collected(app, runner):
    store = FileStore(_store(app))
    sha = hashlib.sha256(b"weg").hexdigest()
    store.write_derived(sha, "thumb.png", b"png")
    _gc(runner, "--grace-hours", "0")
    assert _files_on_disk(app) == []


def test_a_reference_registered_by_another_feature_keeps_its_files(app):
    """A feature that keeps files without a ``stored_files`` row (a cache of fetched lesson
    images, say) registers its column; a blob it starts to reference while the collection
    runs is checked again and kept, the other one goes."""
    from sqlalchemy import Column, MetaData, String, Table, insert

    cache = Table("test_fetched_images", MetaData(), Column("sha256", String(64)))
    with app.app_context():
        cache.create(db.engine)
    blob_references.register("test_fetched_images", cache.c.sha256)
    try:
        store = FileStore(_store(app))
        first, second = sorted((store.put_bytes(PDF).sha256, store.put_bytes(PNG).sha256))

        def meanwhile(file: storage_gc.CollectedFile) -> None:
            if file.sha256 == first:
                with app.app_context():
                    db.session.execute(insert(cache).values(sha256=second))
                    db.session.commit()

        with app.app_context():
            summary = storage_gc.collect(0, progress=meanwhile)
            assert [file.sha256 for file in summary.files] == [first]
            assert store.exists(second) and not store.exists(first)
            assert storage_gc.collect(0).files == []  # and the next run keeps it too
    finally:
        blob_references.unregister("test_fetched_images")
        with app.app_context():
            cache.drop(db.engine)


def test_a_file_without_a_row_stored_again_while_the_collection_runs_is_kept(app):
    """A blob left by a 409 has no row; an upload of the same bytes between the scan and
    the delete restarts its clock (``keep``), and the collection puts it back."""
    store = FileStore(_store(app))
    first, second = sorted((PDF, PNG), key=lambda data: hashlib.sha256(data).digest())

    def meanwhile(file: storage_gc.CollectedFile) -> None:
        if file.sha256 == hashlib.sha256(first).hexdigest():
            store.put_bytes(second)

    with app.app_context():
        store.put_bytes(first)
        store.put_bytes(second)
        summary = storage_gc.collect(0, progress=meanwhile)
    assert [file.sha256 for file in summary.files] == [hashlib.sha256(first).hexdigest()]
    assert store.path(hashlib.sha256(second).hexdigest()).read_bytes() == second
