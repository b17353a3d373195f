"""An imported cartridge's pages link to its files on the portal: every ``src``/``href`` that
names a file the import attached (relative to the page, through ``../``, after
``$IMS-CC-FILEBASE$``, in HTML or in ``source.md``'s Markdown) becomes the file's address by
name, in the first and only version; a link to a file that is missing or refused stays as
written and the summary names it once."""

from __future__ import annotations

import io
import re

from PIL import Image
from sqlalchemy import func, select

from oer_portal.accounts.models import User
from oer_portal.arrangements import service
from oer_portal.arrangements.cartridge_import import import_cartridge
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials.models import Material, MaterialVersion
from tests.fixtures.cartridges import Page, Section, build


def _png(colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (6, 4), colour).save(buffer, "PNG")
    return buffer.getvalue()


RED, BLUE = _png((200, 30, 30)), _png((30, 30, 200))


def _course() -> bytes:
    """Three pages in ``parts/001-eerste``, ``parts/003-tweede`` (in a section) and
    ``parts/004-derde``; two different files are both called kaart.png."""
    return build("Kaartlezen", [
        Page("Eerste", body_html=(
            '<p><img src="files/kaart.png" alt="De kaart"> '
            '<a href="files/ontbreekt.pdf">ontbreekt</a> '
            '<a href="https://example.org/files/kaart.png">elders</a> '
            '<a href="#boven">boven</a> <a href="mailto:juf@example.org">mail</a></p>'),
            files={"kaart.png": RED}),
        Section("Week 2", [
            Page("Tweede", body_html=(
                '<p><a href="../001-eerste/files/kaart.png">kaart van week 1</a> '
                '<img src="files/kaart.png" alt="Een andere kaart"> '
                '<a href="$IMS-CC-FILEBASE$/files/werk%20blad.txt">werkblad</a> '
                '<a href="files/script.js">script</a></p>'),
                files={"kaart.png": BLUE, "werk blad.txt": b"Vraag 1\n",
                       "script.js": b"alert(1)"}),
        ]),
        Page("Derde", markdown=("![kaart](files/kaart.png)\n\n"
                                "[ontbreekt](files/ontbreekt.pdf) en `files/kaart.png`\n"),
             files={"kaart.png": RED}),
    ])


def _import(app, user_id: int, data: bytes):
    with app.app_context():
        result = import_cartridge(db.session.get(User, user_id), io.BytesIO(data),
                                  portal_url="http://localhost")
        current_uow().commit()
        return result.material.id, list(result.notes), list(result.skipped)


def test_links_to_imported_files_become_their_addresses_in_the_first_version(
        app, client, make_user) -> None:
    teacher = make_user("teacher")
    client.login(teacher.email)
    material_id, notes, skipped = _import(app, teacher.id, _course())
    base = f"/materials/{material_id}/attachments"

    with app.app_context():
        material = db.session.get(Material, material_id)
        assert db.session.scalar(select(func.count()).select_from(MaterialVersion).where(
            MaterialVersion.material_id == material_id)) == 1  # no second version
        version = material.latest_version
        assert sorted(a.filename for a in version.attachments) == [
            "kaart (2).png", "kaart.png", "werk blad.txt"]
        bodies = {n.title: n.body for n in service.outline_of(version.id) if n.body}
        slug = material.slug

    first, second, third = bodies["Eerste"], bodies["Tweede"], bodies["Derde"]
    assert f'src="{base}/kaart.png"' in first
    for kept in ('href="files/ontbreekt.pdf"', 'href="https://example.org/files/kaart.png"',
                 'href="#boven"', 'href="mailto:juf@example.org"'):
        assert kept in first
    assert f'href="{base}/kaart.png"' in second  # ../001-eerste/files/kaart.png
    assert f'src="{base}/kaart%20%282%29.png"' in second  # the other kaart.png
    assert f'href="{base}/werk%20blad.txt"' in second  # $IMS-CC-FILEBASE$, percent-encoded
    assert 'href="files/script.js"' in second  # refused: left as it was
    assert third.startswith(f"![kaart]({base}/kaart.png)")
    assert "[ontbreekt](files/ontbreekt.pdf)" in third and "`files/kaart.png`" in third

    # The summary names each link it left once, not once per page.
    left = [note for note in notes if "files/ontbreekt.pdf" in note]
    assert len(left) == 1 and left[0].count("files/ontbreekt.pdf") == 1
    assert "files/script.js" in left[0]
    assert any("script.js" in s for s in skipped)

    # The part pages' images load the files (the draft's author is signed in).
    for number, colour in ((1, RED), (3, BLUE), (4, RED)):
        page = client.get(f"/materials/{material_id}-{slug}/parts/{number}")
        assert page.status_code == 200
        source = re.search(r'<img[^>]* src="([^"]+)"', page.get_data(as_text=True)).group(1)
        assert source.startswith(base)
        image = client.get(source.replace("&amp;", "&"))
        assert image.status_code == 200 and image.data == colour
        image.close()
    sheet = client.get(f"{base}/werk%20blad.txt")
    assert sheet.status_code == 200 and sheet.data == b"Vraag 1\n"
    sheet.close()


def test_a_cartridge_without_broken_links_says_nothing_about_links(app, make_user) -> None:
    teacher = make_user("teacher")
    data = build("Eén kaart", [Page("Kaart", markdown="![kaart](./files/kaart.png)",
                                    files={"kaart.png": RED})])
    material_id, notes, _skipped = _import(app, teacher.id, data)
    assert not [note for note in notes if "stay" in note or "stays" in note]
    with app.app_context():
        version = db.session.get(Material, material_id).latest_version
        body = service.outline_of(version.id)[0].body
    assert body == f"![kaart](/materials/{material_id}/attachments/kaart.png)"


def test_the_import_s_links_are_for_whoever_may_see_the_draft(app, client, new_client,
                                                              make_user) -> None:
    teacher = make_user("teacher")
    material_id, _notes, _skipped = _import(app, teacher.id, _course())
    url = f"/materials/{material_id}/attachments/kaart.png"
    assert new_client().get(url).status_code == 404
    other = new_client()
    other.login(make_user("teacher").email)
    assert other.get(url).status_code == 404


def test_a_material_s_own_file_links_point_inside_both_exports(
        app, runner, make_user, make_material, tmp_path) -> None:
    """A lesson whose text shows its own image by name: the cartridge's page and the web
    page link the image inside the ZIP; another material's file gets the portal's address."""
    import zipfile

    from oer_portal.materials import lifecycle
    from oer_portal.materials import service as materials
    from oer_portal.materials.attachments import Upload, store_upload
    from oer_portal.materials.metadata import VersionFields

    app.config["PORTAL_URL"] = "http://localhost"
    owner, moderator = make_user("teacher"), make_user("moderator")
    with app.app_context():
        ref = store_upload(Upload(io.BytesIO(RED), "kaart.png"))
        current_uow().commit()
    lesson = make_material(owner, title="Kaart", body="Eerst.", attachments=[ref],
                           publish_by=moderator)
    with app.app_context():
        user = db.session.get(User, owner.id)
        material = db.session.get(Material, lesson)
        body = (f"![De kaart](/materials/{lesson}/attachments/kaart.png)\n\n"
                f"[Elders](/materials/{lesson + 1000}/attachments/blad.pdf)\n")
        version = materials.save_version(
            user, lesson, material.latest_version_id,
            VersionFields(title="Kaart", body=body, language="nl", licence="CC-BY-4.0"),
            [ref]).version
        lifecycle.publish(material, version, db.session.get(User, moderator.id))
        current_uow().commit()

    def exported(format_name: str) -> zipfile.ZipFile:
        folder = tmp_path / format_name
        folder.mkdir()
        result = runner.invoke(args=["materials", "export", str(lesson), str(folder),
                                     "--format", format_name, "--as", owner.email])
        assert result.exit_code == 0, result.output
        (written,) = [p for p in folder.rglob("*") if p.is_file()]
        return zipfile.ZipFile(io.BytesIO(written.read_bytes()))

    cartridge = exported("imscc")
    page = cartridge.read("parts/001-kaart/index.html").decode()
    assert 'src="files/kaart.png"' in page
    assert f'href="http://localhost/materials/{lesson + 1000}/attachments/blad.pdf"' in page
    assert cartridge.read("parts/001-kaart/files/kaart.png") == RED
    assert f"/materials/{lesson}/attachments/kaart.png" in \
        cartridge.read("parts/001-kaart/source.md").decode()

    pages = exported("html")
    assert 'src="../files/001-kaart/kaart.png"' in pages.read("parts/001-kaart.html").decode()
    assert pages.read("files/001-kaart/kaart.png") == RED
