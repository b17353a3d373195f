"""Common Cartridge export: the manifest lists exactly the archive's files, its organisation
mirrors the arrangement's tree, the LOM carries the licence, the credits name every part
with its chain, and nobody gets what they may not see (a draft becomes a placeholder, a
hidden version is a 404), through the download routes and the service alike."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile

import pytest
from lxml import etree

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import PUBLIC
from oer_portal.arrangements.cartridge import LOM, NS, WEBLINK, write_cartridge
from oer_portal.arrangements.export import build_export, files_of, unique_name
from oer_portal.arrangements.structure import Node, NodeKind
from oer_portal.arrangements.web import ExportLinks, _open_blob
from oer_portal.extensions import db
from oer_portal.materials.models import Material, MaterialVersion
from tests.fixtures.exports import EXPECTED_TREE, Course, build_course

C = {"c": NS, "lom": LOM}


@pytest.fixture()
def people(make_user):
    return {"anna": make_user("teacher", name="Anna Aalders"),
            "bea": make_user("teacher", name="Bea Bakker"),
            "mod": make_user("moderator", name="Mo Moderator"),
            "student": make_user("student", name="Sam Student")}


@pytest.fixture()
def course(app, people) -> Course:
    with app.app_context():
        return build_course(people["anna"].id, people["bea"].id, people["mod"].id)


def _manifest(archive: zipfile.ZipFile) -> etree._Element:
    return etree.fromstring(archive.read("imsmanifest.xml"))


def _tree(item: etree._Element) -> list[tuple[str, list]]:
    return [(child.findtext("c:title", namespaces=C), _tree(child))
            for child in item.findall("c:item", C)]


def _download(client, material_id: int, query: str = "") -> zipfile.ZipFile:
    response = client.get(f"/materials/{material_id}/export.imscc{query}")
    assert response.status_code == 200, response.status_code
    return zipfile.ZipFile(io.BytesIO(response.data))


def _part_pages(archive: zipfile.ZipFile) -> dict[str, etree._Element]:
    """Each part's index.html by its title, parsed."""
    pages = {}
    for name in archive.namelist():
        if name.startswith("parts/") and name.endswith("/index.html"):
            page = etree.fromstring(archive.read(name), etree.HTMLParser())
            pages[page.findtext(".//title")] = page
    return pages


def _meta(page: etree._Element) -> dict[str, str]:
    return {m.get("name"): m.get("content") for m in page.iter("meta") if m.get("name")}


def test_the_manifest_lists_exactly_the_files_and_mirrors_the_tree(app, client, people,
                                                                   course):
    client.login(people["anna"].email)
    archive = _download(client, course.arrangement)
    manifest = _manifest(archive)
    listed = {f.get("href") for f in manifest.iter(f"{{{NS}}}file")}
    names = set(archive.namelist())
    assert listed <= names, listed - names
    assert names - listed == {"imsmanifest.xml"}
    for resource in manifest.iter(f"{{{NS}}}resource"):
        if resource.get("href"):
            assert resource.get("href") in listed
    assert all(not n.startswith("/") and ".." not in n.split("/") for n in names)

    assert manifest.findtext("c:metadata/c:schema", namespaces=C) == "IMS Common Cartridge"
    assert manifest.findtext("c:metadata/c:schemaversion", namespaces=C) == "1.3.0"
    organization = manifest.find("c:organizations/c:organization", C)
    assert organization.get("identifier") == "ORG"
    assert organization.get("structure") == "rootcollection"
    root = organization.find("c:item", C)
    assert root.get("identifier") == "ROOT"
    assert _tree(root) == [("Introduction", []), *EXPECTED_TREE, ("Credits", [])]
    assert root.findall("c:item", C)[0].get("identifierref") == "RES-INTRO"
    assert root.findall("c:item", C)[-1].get("identifierref") == "RES-CREDITS"
    # Sections have no resource, every other part has one.
    for item in root.iter(f"{{{NS}}}item"):
        if item is root:
            continue
        section = item.findtext("c:title", namespaces=C) in ("Eb en vloed", "Verdieping")
        assert (item.get("identifierref") is None) == section
    resources = {r.get("identifier"): r for r in manifest.iter(f"{{{NS}}}resource")}
    kinds = {item.findtext("c:title", namespaces=C):
             resources[item.get("identifierref")].get("type")
             for item in root.iter(f"{{{NS}}}item") if item.get("identifierref")}
    # The stored link part is a weblink; pages, materials and the credits are web content.
    assert kinds.pop("Getijtabel") == "imswl_xmlv1p3"
    assert set(kinds.values()) == {"webcontent"}


def test_the_lom_carries_title_language_keywords_and_the_licence(app, client, people, course):
    archive = _download(client, course.arrangement)
    lom = _manifest(archive).find("c:metadata/lom:lom", C)
    assert lom.findtext("lom:general/lom:title/lom:string", namespaces=C) == \
        "Water in Nederland"
    assert lom.findtext("lom:general/lom:language", namespaces=C) == "nl"
    assert lom.findtext("lom:general/lom:description/lom:string", namespaces=C) == \
        "Een reeks over water"
    assert [k.text for k in lom.iterfind("lom:general/lom:keyword/lom:string", C)] == \
        ["water", "zee"]
    assert lom.findtext("lom:rights/lom:copyrightAndOtherRestrictions/lom:value",
                        namespaces=C) == "yes"
    rights = lom.findtext("lom:rights/lom:description/lom:string", namespaces=C)
    assert "(CC-BY-4.0)" in rights
    assert "https://creativecommons.org/licenses/by/4.0/" in rights


def test_pages_and_materials_carry_their_text_files_and_the_importers_meta(
        app, client, people, course):
    archive = _download(client, course.arrangement)
    pages = _part_pages(archive)
    names = archive.namelist()
    following = _meta(pages["Getijden"])
    assert following["oer-portal:kind"] == "material"
    assert re.fullmatch(rf"http://localhost/materials/{course.following}-getijden",
                        following["oer-portal:material"])
    assert "oer-portal:pinned-version" not in following
    assert following["oer-portal:portal"] == "http://localhost"
    pinned = _meta(pages["Springtij"])
    assert pinned["oer-portal:pinned-version"] == str(course.pinned_version)
    assert _meta(pages["Inleiding"])["oer-portal:kind"] == "page"
    # The pinned version's text, not the newest.
    springtij = next(n for n in names if n.endswith("springtij/source.md"))
    assert archive.read(springtij).decode() == "Bij volle maan.\n"
    inleiding = next(n for n in names if n.endswith("inleiding/source.md"))
    assert archive.read(inleiding).decode() == "# Water\n\nDe zee komt **op**.\n"
    body = etree.tostring(pages["Inleiding"].find(".//body"), encoding="unicode")
    assert "<strong>op</strong>" in body and "CC BY 4.0" in body
    # Attachments, byte for byte, beside the page that shows them (relative links).
    folder = posixpath.dirname(next(n for n in names if n.endswith("getijden/index.html")))
    assert archive.read(f"{folder}/files/kaart.png") == course.files["kaart.png"]
    assert archive.read(f"{folder}/files/werkblad.pdf") == course.files["werkblad.pdf"]
    hrefs = [a.get("href") for a in pages["Getijden"].iter("a")]
    assert "files/kaart.png" in hrefs


def test_the_credits_page_names_every_part_with_the_chain_of_a_remix(app, client, people,
                                                                     course):
    client.login(people["anna"].email)
    archive = _download(client, course.arrangement)
    credits = archive.read("credits/index.html").decode()
    assert 'name="oer-portal:kind" content="credits"' in credits
    for title in ("Eb en vloed", "Inleiding", "Getijden", "Verdieping", "Springtij",
                  "Opdracht", "Getijden (remix)", "Mijn concept", "Afsluiting"):
        assert f"{title}</strong>" in credits, title
    assert "Adapted from" in credits and "Bea Bakker" in credits and "Anna Aalders" in credits
    assert "CC BY-SA 4.0" in credits


def test_a_draft_material_is_a_placeholder_for_a_student_and_present_for_its_author(
        app, client, new_client, people, course):
    student = new_client()
    student.login(people["student"].email)
    archive = _download(student, course.arrangement)
    everything = b"".join(archive.read(n) for n in archive.namelist())
    assert b"Mijn concept" not in everything and b"Nog niet af" not in everything
    pages = _part_pages(archive)
    placeholder = pages["Material not available"]
    assert _meta(placeholder)["oer-portal:kind"] == "placeholder"
    assert "This part is not available" in etree.tostring(placeholder, encoding="unicode")
    assert not any(n.endswith("material-not-available/source.md") for n in archive.namelist())

    client.login(people["anna"].email)
    archive = _download(client, course.arrangement)
    assert _meta(_part_pages(archive)["Mijn concept"])["oer-portal:kind"] == "material"
    assert any(n.endswith("mijn-concept/source.md") for n in archive.namelist())


def test_the_download_routes_send_attachments_with_safe_names(app, client, people, course):
    page = client.get(f"/materials/{course.arrangement}-water-in-nederland").get_data(
        as_text=True)
    assert f"/materials/{course.arrangement}/export.imscc" in page
    assert f"/materials/{course.arrangement}/export.zip" in page
    response = client.get(f"/materials/{course.arrangement}/export.imscc")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.ims.imsccv1p3"
    assert response.headers["Content-Disposition"] == \
        "attachment; filename=water-in-nederland.imscc"
    assert "no-store" in response.headers["Cache-Control"]
    response = client.get(f"/materials/{course.arrangement}/export.zip")
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"] == \
        "attachment; filename=water-in-nederland.zip"
    # A single lesson: a root with one item.
    archive = _download(client, course.following)
    root = _manifest(archive).find("c:organizations/c:organization/c:item", C)
    assert _tree(root) == [("Getijden", []), ("Credits", [])]


def test_hidden_materials_and_versions_are_not_found(app, client, new_client, people, course):
    with app.app_context():
        from oer_portal.materials import service as materials
        from oer_portal.materials.metadata import VersionFields

        following = db.session.get(Material, course.following)
        materials.save_version(db.session.get(User, people["bea"].id), following.id,
                               following.latest_version_id,
                               VersionFields(title="Getijden", body="Geheim concept.\n"), [])
        from oer_portal.core.uow import current_uow
        current_uow().commit()
    for path in (f"/materials/{course.following}/export.imscc?v=2",
                 f"/materials/{course.following}/export.zip?v=2",
                 f"/materials/{course.draft}/export.imscc",
                 f"/materials/{course.following}/export.imscc?v=99",
                 f"/materials/{course.following}/export.imscc?v=abc",
                 "/materials/999999/export.zip"):
        assert client.get(path).status_code == 404, path
    # Anonymous readers get the published version, never the newer draft.
    archive = _download(client, course.following)
    assert b"Geheim" not in b"".join(archive.read(n) for n in archive.namelist())
    author = new_client()
    author.login(people["bea"].email)
    archive = _download(author, course.following, "?v=2")
    assert any(b"Geheim concept" in archive.read(n) for n in archive.namelist())


def test_link_parts_become_weblinks(app, people, course):
    """A link part given in the outline (the course fixture stores one as well)."""
    with app.test_request_context():
        material = db.session.get(Material, course.arrangement)
        version = db.session.get(MaterialVersion, material.published_version_id)
        outline = (Node(NodeKind.SECTION, 0, "Buiten"),
                   Node(NodeKind.LINK, 1, "Rijkswaterstaat", url="https://rws.nl/getij?a=1&b=2"),
                   Node(NodeKind.PAGE, 1, "Vragen", body="Welke?"))
        export = build_export(PUBLIC, material, version, ExportLinks(), "en", outline=outline)
        target = io.BytesIO()
        names = write_cartridge(export, target, _open_blob, "en")
    archive = zipfile.ZipFile(target)
    assert sorted(archive.namelist()) == sorted(names)
    manifest = _manifest(archive)
    link = next(r for r in manifest.iter(f"{{{NS}}}resource")
                if r.get("type") == "imswl_xmlv1p3")
    assert link.get("identifier") == "RES-002"
    assert [f.get("href") for f in link.findall("c:file", C)] == ["links/002.xml"]
    weblink = etree.fromstring(archive.read("links/002.xml"))
    assert weblink.tag == f"{{{WEBLINK}}}webLink"
    assert weblink.findtext(f"{{{WEBLINK}}}title") == "Rijkswaterstaat"
    assert weblink.find(f"{{{WEBLINK}}}url").get("href") == "https://rws.nl/getij?a=1&b=2"
    root = manifest.find("c:organizations/c:organization/c:item", C)
    assert _tree(root)[1:-1] == [("Buiten", [("Rijkswaterstaat", []), ("Vragen", [])])]
    # The credits title is in the exporter's language (Dutch by default, without a request).
    assert (_tree(root)[0], _tree(root)[-1]) == (("Inleiding", []), ("Bronvermelding", []))


def test_attachment_names_are_safe_and_unique(app, people):
    taken: set[str] = set()
    assert [unique_name(n, taken) for n in ("kaart.png", "Kaart.png", "kaart.png", "LEES")] \
        == ["kaart.png", "Kaart (2).png", "kaart (3).png", "LEES"]
    with app.app_context():
        from oer_portal.materials.models import StoredFile, VersionAttachment

        stored = StoredFile(sha256="a" * 64, size=3, media_type="text/plain", category="text")
        version = MaterialVersion(attachments=[
            VersionAttachment(position=0, sha256=stored.sha256, file=stored,
                              filename="../../etc/pass\u202ewd.txt"),
            VersionAttachment(position=1, sha256=stored.sha256, file=stored,
                              filename="C:\\pass\u200bwd.txt"),
            VersionAttachment(position=2, sha256=stored.sha256, file=stored,
                              filename="pass\nwd.txt")])
        assert [f.name for f in files_of(version)] == ["passwd.txt", "passwd (2).txt",
                                                       "pass wd.txt"]
        db.session.rollback()


def test_exports_are_rate_limited_per_address(app, client, course):
    app.config["EXPORT_LIMIT"] = "2 per minute"
    path = f"/materials/{course.following}/export.imscc"
    assert [client.get(path).status_code for _ in range(3)] == [200, 200, 429]


def test_a_link_material_and_a_file_material_export_as_one_item(app, client, people, course):
    from oer_portal.core.uow import current_uow
    from oer_portal.materials import lifecycle
    from oer_portal.materials import service as materials
    from oer_portal.materials.metadata import VersionFields
    from oer_portal.materials.models import MaterialKind

    with app.app_context():
        bea = db.session.get(User, people["bea"].id)
        link = materials.create_material(bea, MaterialKind.LINK, VersionFields(
            title="Getij vandaag", link_url="https://waterinfo.rws.nl/", licence="CC-BY-4.0"))
        db.session.flush()
        lifecycle.publish(link, link.latest_version, db.session.get(User, people["mod"].id))
        current_uow().commit()
        link_id = link.id
    archive = _download(client, link_id)
    page = _part_pages(archive)["Getij vandaag"]
    assert _meta(page)["oer-portal:kind"] == "material"
    assert "https://waterinfo.rws.nl/" in [a.get("href") for a in page.iter("a")]
    assert _tree(_manifest(archive).find("c:organizations/c:organization/c:item", C)) == \
        [("Getij vandaag", []), ("Credits", [])]
