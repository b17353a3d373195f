"""Export → import → export of a Common Cartridge keeps the structure and the texts: the
exporter through ``flask materials export --format imscc``, the importer as the upload form
and ``materials import`` call it."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lxml import etree

from oer_portal.accounts.models import User
from oer_portal.arrangements import service
from oer_portal.arrangements.cartridge_import import import_cartridge
from oer_portal.arrangements.structure import Node, NodeKind
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials.attachments import Upload, store_upload
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material
from tests.fixtures.cartridges import Page, Section, build

PORTAL = "http://localhost"


def export_imscc(runner: Any, material_id: int, email: str, folder: Path) -> bytes:
    """``flask materials export ID PATH --format imscc --as EMAIL`` (ARCHITECTURE.md section 8)
    as the arrangement's owner runs it, PATH a fresh folder."""
    folder.mkdir(parents=True)
    result = runner.invoke(args=["materials", "export", str(material_id), str(folder),
                                 "--format", "imscc", "--as", email])
    assert result.exit_code == 0, result.output
    written = sorted(folder.rglob("*.imscc"))
    assert len(written) == 1, result.output
    return written[0].read_bytes()


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _tree(data: bytes) -> list[tuple[Any, ...]]:
    """The organisation as nested (title, kind, text, children): a page's text is its
    ``source.md``, a link's its address; the credits page is left out."""
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(data))
    manifest = etree.fromstring(archive.read("imsmanifest.xml"),
                                etree.XMLParser(resolve_entities=False, no_network=True))
    resources = {r.get("identifier"): r for r in manifest.iter()
                 if isinstance(r.tag, str) and _local(r) == "resource"}

    def files(resource: etree._Element) -> list[str]:
        return [f.get("href") for f in resource if isinstance(f.tag, str)
                and _local(f) == "file"]

    def item(element: etree._Element) -> tuple[Any, ...] | None:
        title = next((c.text or "" for c in element if isinstance(c.tag, str)
                      and _local(c) == "title"), "")
        children = [c for c in element if isinstance(c.tag, str) and _local(c) == "item"]
        ref = element.get("identifierref")
        if ref == "RES-CREDITS":
            return None
        if ref is None:
            return (title.strip(), "section", "",
                    tuple(x for x in (item(c) for c in children) if x is not None))
        resource = resources[ref]
        every = files(resource)
        for name in every:
            assert name in archive.namelist(), f"{name} is listed but not in the archive"
        if resource.get("type", "").startswith("imswl_xmlv1p"):
            link = etree.fromstring(archive.read(every[0]))
            url = next(u.get("href") for u in link.iter() if isinstance(u.tag, str)
                       and _local(u) == "url")
            return (title.strip(), "link", url, ())
        source = next((n for n in every if n.endswith("/source.md")), None)
        text = archive.read(source).decode().strip() if source else ""
        return (title.strip(), "page", text, ())

    organisation = next(e for e in manifest.iter() if isinstance(e.tag, str)
                        and _local(e) == "organization")
    root = next(e for e in organisation if isinstance(e.tag, str) and _local(e) == "item")
    return [x for x in (item(c) for c in root if isinstance(c.tag, str)
                        and _local(c) == "item") if x is not None]


def test_export_import_export_keeps_the_structure_and_the_texts(
        app, runner, make_user, make_material, tmp_path) -> None:
    app.config["PORTAL_URL"] = PORTAL
    owner = make_user("teacher", name="Anna Aalders")
    moderator = make_user("moderator")
    with app.app_context():
        sheet = store_upload(Upload(io.BytesIO(b"Vraag 1\n"), "werkblad.txt"))
        current_uow().commit()
    pinned = make_material(owner, title="Breuken", body="Breuken zijn delen.",
                           publish_by=moderator, attachments=[sheet])
    following = make_material(owner, title="Procenten", body="Procent is per honderd.",
                              publish_by=moderator)
    with app.app_context():
        pinned_version = db.session.get(Material, pinned).published_version_id
        user = db.session.get(User, owner.id)
        outline = [
            Node(NodeKind.SECTION, 0, "Week 1"),
            Node(NodeKind.PAGE, 1, "Inleiding", body="# Welkom\n\nWe beginnen **nu**."),
            Node(NodeKind.MATERIAL, 1, "Breuken", material_id=pinned,
                 pinned_version_id=pinned_version),
            Node(NodeKind.SECTION, 1, "Verdieping"),
            Node(NodeKind.PAGE, 2, "Moeilijk", body="Een lastige opgave."),
            Node(NodeKind.LINK, 2, "Rekenen online", url="https://example.org/rekenen"),
            Node(NodeKind.SECTION, 0, "Week 2"),
            Node(NodeKind.MATERIAL, 1, "Procenten", material_id=following),
            Node(NodeKind.PAGE, 1, "Afsluiting", body="Tot ziens."),
        ]
        sheet2 = store_upload(Upload(io.BytesIO(b"Antwoorden\n"), "antwoorden.txt"))
        original = service.create_arrangement(
            user, VersionFields(title="Rekenen", body="Een reeks.", licence="CC-BY-SA-4.0"),
            outline, attachments=[sheet2]).id
        current_uow().commit()

    first = export_imscc(runner, original, owner.email, tmp_path / "first")
    with app.app_context():
        result = import_cartridge(db.session.get(User, owner.id), io.BytesIO(first),
                                  portal_url=PORTAL)
        imported = result.material.id
        current_uow().commit()
        assert result.skipped == []
        assert result.materials == 2
    second = export_imscc(runner, imported, owner.email, tmp_path / "second")

    first_tree, second_tree = _tree(first), _tree(second)
    # The introduction comes first (its source the arrangement's own), the credits last.
    assert [t[0] for t in first_tree][1:] == ["Week 1", "Week 2"]
    assert first_tree[0][1:3] == ("page", "Een reeks.")
    assert first_tree == second_tree
    with app.app_context():
        version = db.session.get(Material, imported).latest_version
        assert version.title == "Rekenen" and version.licence == "CC-BY-SA-4.0"
        assert version.body == "Een reeks."  # the introduction again, not a page
        assert "Een reeks." not in [n.body for n in service.outline_of(version.id)]


def _export(runner: Any, material_id: int, email: str, folder: Path, format_name: str
            ) -> zipfile.ZipFile:
    folder.mkdir(parents=True)
    result = runner.invoke(args=["materials", "export", str(material_id), str(folder),
                                 "--format", format_name, "--as", email])
    assert result.exit_code == 0, result.output
    written = [p for p in folder.rglob("*") if p.is_file()]
    assert len(written) == 1, result.output
    return zipfile.ZipFile(io.BytesIO(written[0].read_bytes()))


def _png(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (6, 4), colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_export_import_export_keeps_a_page_s_image_working(
        app, client, runner, make_user, tmp_path) -> None:
    """A page's image imported from a cartridge is a file of the arrangement; exported, it
    goes into the page's ``files/`` with a relative link (cartridge and web pages); imported
    again, the link is the new arrangement's file; exported again, the same."""
    app.config["PORTAL_URL"] = PORTAL
    owner = make_user("teacher")
    client.login(owner.email)
    red, blue = _png((200, 30, 30)), _png((30, 30, 200))
    original = build("Kaartlezen", [
        Section("Week 1", [Page("Kaart", markdown="# Kaart\n\n![De kaart](files/kaart.png)\n",
                                files={"kaart.png": red})]),
        Page("Andere kaart", body_html='<p><img src="files/kaart.png" alt="Blauw"></p>',
             files={"kaart.png": blue}),
    ])

    def imported(data: bytes) -> int:
        with app.app_context():
            result = import_cartridge(db.session.get(User, owner.id), io.BytesIO(data),
                                      portal_url=PORTAL)
            current_uow().commit()
            assert not [n for n in result.notes if "stay" in n], result.notes
            return result.material.id

    def image_of(material_id: int, part: int) -> bytes:
        with app.app_context():
            slug = db.session.get(Material, material_id).slug
        page = client.get(f"/materials/{material_id}-{slug}/parts/{part}")
        source = re.search(r'<img[^>]* src="([^"]+)"', page.get_data(as_text=True)).group(1)
        assert source.startswith(f"/materials/{material_id}/attachments/")
        response = client.get(source)
        assert response.status_code == 200
        data = response.data
        response.close()
        return data

    def check_cartridge(archive: zipfile.ZipFile, material_id: int) -> None:
        page = archive.read("parts/002-kaart/index.html").decode()
        assert 'src="files/kaart.png"' in page
        assert archive.read("parts/002-kaart/files/kaart.png") == red
        other = archive.read("parts/003-andere-kaart/index.html").decode()
        name = re.search(r'<img[^>]* src="files/([^"]+)"', other).group(1)
        assert archive.read(f"parts/003-andere-kaart/files/{unquote(name)}") == blue
        # The Markdown source keeps the portal's address, as written.
        source = archive.read("parts/002-kaart/source.md").decode()
        assert f"(/materials/{material_id}/attachments/kaart.png)" in source
        assert _tree(archive.fp.getvalue())  # every listed file is in the archive

    first_id = imported(original)
    assert (image_of(first_id, 2), image_of(first_id, 3)) == (red, blue)
    first = _export(runner, first_id, owner.email, tmp_path / "first", "imscc")
    check_cartridge(first, first_id)

    second_id = imported(first.fp.getvalue())
    assert second_id != first_id
    assert (image_of(second_id, 2), image_of(second_id, 3)) == (red, blue)
    second = _export(runner, second_id, owner.email, tmp_path / "second", "imscc")
    check_cartridge(second, second_id)

    pages = _export(runner, second_id, owner.email, tmp_path / "pages", "html")
    page = pages.read("parts/002-kaart.html").decode()
    assert 'src="../files/002-kaart/kaart.png"' in page
    assert pages.read("files/002-kaart/kaart.png") == red
