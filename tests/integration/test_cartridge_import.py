"""Common Cartridge import: a ``.imscc`` becomes an arrangement draft of the importer, through
the upload form and ``flask materials import``; unsafe or broken archives are refused with a
message that names the problem, and nothing is created."""

from __future__ import annotations

import io
import os
import re
import zipfile
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from oer_portal.arrangements import service
from oer_portal.arrangements.structure import MAX_NODES
from oer_portal.extensions import db
from oer_portal.materials.models import Material, StoredFile
from tests.fixtures.cartridges import (
    Credits,
    Link,
    Other,
    Page,
    Section,
    build,
    raw_zip,
    stored_link,
    summarised,
    symlink,
)

FORM = "/materials/new/cartridge"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def _course() -> bytes:
    """Nested sections, a page with source.md and a file, one with only HTML, web links, an
    unsupported resource, a credits page, and a section nested four levels deep."""
    return build("Water in Nederland", [
        Section("Week 1", [
            Page("Dijken", markdown="# Dijken\n\nEen **dijk** houdt water tegen.\n",
                 body_html="<p>ignored html</p>",
                 files={"kaart.png": _png(), "werkblad.txt": b"Vraag 1\n",
                        "script.js": b"alert(1)"}),
            Link("Rijkswaterstaat", "https://www.rijkswaterstaat.nl/water"),
            Section("Verdieping", [
                Page("Gemalen", body_html="<h2>Gemalen</h2>\n    <p>Een gemaal pompt "
                                          "<em>water</em> weg.</p>\n\n<p>Tweede alinea.</p>"),
                Section("Nog dieper", [Page("Diepste pagina", markdown="Heel diep.")]),
            ]),
        ]),
        Other("Toets week 1", "imsqti_xmlv1p2/imscc_xmlv1p3/assessment"),
        Link("Geen web", "javascript:alert(1)"),
        Section("Week 2", [Page("Deltawerken", markdown="De Deltawerken.")]),
        Credits(),
    ], description="Een reeks over water", keywords=("water", "dijken"), language="nl")


def _upload(client, data: bytes, name: str = "course.imscc", licence: str = "CC-BY-4.0"):
    return client.post(FORM, {"cartridge": (io.BytesIO(data), name), "licence": licence},
                       content_type="multipart/form-data")


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _new_id(response) -> int:
    found = re.search(r"/materials/(\d+)/arrange$", response.headers["Location"])
    assert found, response.headers.get("Location")
    return int(found.group(1))


@pytest.fixture()
def teacher(make_user, client):
    user = make_user("teacher", name="Tineke Teacher")
    client.login(user.email)
    return user


def test_a_cartridge_becomes_a_draft_arrangement_with_its_tree_texts_and_files(
        app, client, teacher) -> None:
    response = _upload(client, _course())
    assert response.status_code == 302
    material_id = _new_id(response)

    with app.app_context():
        material = db.session.get(Material, material_id)
        assert material.kind == "arrangement" and material.status == "draft"
        assert material.owner_id == teacher.id and material.published_version_id is None
        version = material.latest_version
        assert (version.title, version.description, version.language, version.licence) == (
            "Water in Nederland", "Een reeks over water", "nl", "CC-BY-SA-4.0")
        assert version.meta["keywords"] == ["water", "dijken"]
        outline = [summarised(n) for n in service.outline_of(version.id)]
        attachments = sorted(a.filename for a in version.attachments)

    assert outline[0] == ("section", 0, "Week 1", "")
    assert outline[1] == ("page", 1, "Dijken",
                          "# Dijken\n\nEen **dijk** houdt water tegen.")
    assert outline[2] == stored_link(1, "Rijkswaterstaat", "https://www.rijkswaterstaat.nl/water")
    assert outline[3] == ("section", 1, "Verdieping", "")
    kind, depth, title, body = outline[4]
    assert (kind, depth, title) == ("page", 2, "Gemalen")
    # The HTML body became the page's text: no script or style, no indented code block.
    assert "<em>water</em>" in body and "Tweede alinea" in body
    assert "alert" not in body and "color: red" not in body and "\n    " not in body
    assert "<h1>" not in body and body.startswith("<h2>Gemalen</h2>")  # title not repeated
    # "Nog dieper" would be a fourth level: its page joins "Verdieping".
    assert outline[5] == ("page", 2, "Diepste pagina", "Heel diep.")
    assert outline[6:] == [("section", 0, "Week 2", ""), ("page", 1, "Deltawerken",
                                                          "De Deltawerken.")]
    assert attachments == ["kaart.png", "werkblad.txt"]

    # The builder opens with a summary of what was made and left out.
    page = client.get(f"/materials/{material_id}/arrange").get_data(as_text=True)
    assert "Imported as a draft: 3 sections, 4 pages, 1 link, 0 included materials and " \
           "2 attached files." in page
    assert "Toets week 1" in page and "a test or quiz (QTI)" in page
    assert "Geen web" in page and "script.js" in page
    assert "credits page was left out" in page
    assert "nested deeper than 3 levels" in page
    # The page's text renders (sanitised) on its part page.
    part = client.get(f"/materials/{material_id}-water-in-nederland/parts/5")
    assert part.status_code == 200
    text = part.get_data(as_text=True)
    assert "<em>water</em>" in text and "alert(" not in text


def test_the_draft_is_visible_to_the_importer_only(app, client, teacher, new_client,
                                                   make_user) -> None:
    material_id = _new_id(_upload(client, _course()))
    assert client.get(f"/materials/{material_id}").status_code in (200, 301)
    other = new_client()
    other.login(make_user("teacher").email)
    assert other.get(f"/materials/{material_id}-water-in-nederland").status_code == 404
    assert new_client().get(f"/materials/{material_id}-water-in-nederland").status_code == 404
    assert other.get(f"/materials/{material_id}/arrange").status_code == 404


def test_editing_the_imported_draft_keeps_its_files(app, client, teacher) -> None:
    from oer_portal.accounts.models import User
    from oer_portal.core.uow import current_uow
    from oer_portal.materials.metadata import VersionFields

    material_id = _new_id(_upload(client, _course()))
    with app.app_context():
        material = db.session.get(Material, material_id)
        head = material.latest_version
        outline = service.outline_of(head.id)
        result = service.save_arrangement(db.session.get(User, teacher.id), material_id,
                                          head.id, VersionFields.of(head), outline[:2])
        current_uow().commit()
        assert sorted(a.filename for a in result.version.attachments) == [
            "kaart.png", "werkblad.txt"]


def test_an_included_material_of_this_portal_is_included_again(
        app, client, teacher, make_user, make_material) -> None:
    moderator = make_user("moderator")
    lesson = make_material(teacher, title="Breuken", body="Breuken tekst", publish_by=moderator)
    with app.app_context():
        version_id = db.session.get(Material, lesson).published_version_id
    hidden = make_material(make_user("teacher"), title="Geheim", body="Geheime tekst")
    portal = "http://localhost"
    cartridge = build("Met materialen", [
        Page("Breuken", markdown="Breuken tekst", kind="material",
             files={"breuken.txt": b"Oefening\n"}, meta={
            "oer-portal:material": f"{portal}/materials/{lesson}-breuken",
            "oer-portal:pinned-version": str(version_id), "oer-portal:portal": portal}),
        Page("Volgend", markdown="Breuken tekst", kind="material", meta={
            "oer-portal:material": f"{portal}/materials/{lesson}-breuken",
            "oer-portal:portal": portal}),
        Page("Geheim", markdown="Wat de export zag", kind="material",
             files={"geheim.txt": b"Geheim\n"}, meta={
            "oer-portal:material": f"{portal}/materials/{hidden}-geheim",
            "oer-portal:portal": portal}),
        Page("Elders", markdown="Van een ander portaal", kind="material", meta={
            "oer-portal:material": f"https://elders.example/materials/{lesson}-breuken",
            "oer-portal:portal": "https://elders.example"}),
        Page("Niet beschikbaar", markdown="This part is not available", kind="placeholder"),
    ])
    material_id = _new_id(_upload(client, cartridge))
    with app.app_context():
        version = db.session.get(Material, material_id).latest_version
        outline = [summarised(n) for n in service.outline_of(version.id)]
        # An included material's files stay its own; a page made of one's text keeps them.
        assert [a.filename for a in version.attachments] == ["geheim.txt"]
    assert outline == [
        ("material", 0, "Breuken", (lesson, version_id)),
        ("material", 0, "Volgend", (lesson, None)),
        ("page", 0, "Geheim", "Wat de export zag"),
        ("page", 0, "Elders", "Van een ander portaal"),
        ("page", 0, "Niet beschikbaar", "This part is not available"),
    ]


def test_a_licence_the_cartridge_does_not_name_is_the_one_the_importer_chose(
        app, client, teacher) -> None:
    cartridge = build("Zonder licentie", [Page("Een", markdown="Tekst")], licence="",
                      language="xx")
    response = _upload(client, cartridge, licence="CC0-1.0")
    material_id = _new_id(response)
    with app.app_context():
        version = db.session.get(Material, material_id).latest_version
        assert (version.licence, version.language) == ("CC0-1.0", "nl")
    page = client.get(f"/materials/{material_id}/arrange").get_data(as_text=True)
    assert "names no licence the portal knows" in page


def test_a_plain_ims_content_package_is_read_too(app, client, teacher) -> None:
    manifest = ('<?xml version="1.0"?><manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"'
                ' identifier="M"><organizations><organization identifier="O"><title>Pakket'
                '</title><item identifier="I1" identifierref="R1"><title>Eerste</title></item>'
                '<item identifier="I2"><title>Map</title><item identifier="I3" '
                'identifierref="R1"><title>Weer</title></item></item></organization>'
                '</organizations><resources><resource identifier="R1" type="webcontent" '
                'href="a%20b.html"><file href="a%20b.html"/><dependency identifierref="R2"/>'
                '</resource><resource identifier="R2" type="webcontent"><file '
                'href="res/plaatje.png"/></resource></resources></manifest>')
    data = raw_zip([("imsmanifest.xml", manifest.encode()),
                    ("a b.html", b"<html><body><p>Hallo</p></body></html>"),
                    ("res/plaatje.png", _png())])
    material_id = _new_id(_upload(client, data))
    with app.app_context():
        material = db.session.get(Material, material_id)
        outline = [summarised(n) for n in service.outline_of(material.latest_version_id)]
        assert material.latest_version.title == "Pakket"
        # The page's dependency (an LMS's resource of images) is attached once.
        assert [a.filename for a in material.latest_version.attachments] == ["plaatje.png"]
    assert outline == [("page", 0, "Eerste", "<p>Hallo</p>"), ("section", 0, "Map", ""),
                       ("page", 1, "Weer", "<p>Hallo</p>")]


def test_a_student_may_not_import(client, make_user) -> None:
    student = make_user("student")
    client.login(student.email)
    assert client.get(FORM).status_code == 403
    assert _upload(client, _course()).status_code == 403


def test_the_form_needs_a_signed_in_teacher_and_its_csrf_token(app, client, teacher,
                                                                new_client) -> None:
    assert new_client().get(FORM).status_code == 302  # to the login page
    raw = client.raw.post(FORM, data={"cartridge": (io.BytesIO(_course()), "c.imscc"),
                                      "licence": "CC-BY-4.0"},
                          content_type="multipart/form-data")
    assert raw.status_code == 400
    assert _count(app, Material) == 0


def test_the_new_material_page_offers_the_import(client, teacher) -> None:
    page = client.get("/materials/new").get_data(as_text=True)
    assert f'href="{FORM}"' in page


def _entities() -> bytes:
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
              '<manifest xmlns="http://www.imsglobal.org/xsd/imsccv1p3/imscp_v1p1">'
              '<organizations/>&lol2;</manifest>')
    return raw_zip([("imsmanifest.xml", laughs.encode())])


REFUSALS: dict[str, tuple[Any, str]] = {
    "absolute path": (lambda: raw_zip([("imsmanifest.xml", b"<x/>"), ("/etc/evil", b"x")]),
                      "an absolute path (“/etc/evil”)"),
    "dot-dot path": (lambda: raw_zip([("imsmanifest.xml", b"<x/>"), ("a/../../evil", b"x")]),
                     "climbs out of its folder with .. (“a/../../evil”)"),
    "backslash": (lambda: raw_zip([("imsmanifest.xml", b"<x/>"), ("a\\evil", b"x")]),
                  "uses a backslash"),
    "drive letter": (lambda: raw_zip([("imsmanifest.xml", b"<x/>"), ("C:/evil", b"x")]),
                     "a drive letter"),
    "symlink": (lambda: raw_zip([("imsmanifest.xml", b"<x/>"), symlink("link")]),
                "a symbolic link (“link”)"),
    "duplicate": (lambda: raw_zip([("imsmanifest.xml", b"<x/>"), ("a.txt", b"1"),
                                   ("a.txt", b"2")]), "two files named “a.txt”"),
    "zip bomb": (lambda: raw_zip([("imsmanifest.xml", b"<x/>"),
                                  ("zeros.bin", bytes(2 * 1024 * 1024))]),
                 "“zeros.bin” in the archive is packed so tightly"),
    "not a zip": (lambda: b"just text, no archive", "not a readable ZIP archive"),
    "no manifest": (lambda: raw_zip([("index.html", b"<p>x</p>")]), "no imsmanifest.xml"),
    "malformed xml": (lambda: raw_zip([("imsmanifest.xml", b"<manifest><unclosed>")]),
                      "imsmanifest.xml is not well-formed XML (line 1)"),
    "billion laughs": (_entities, "declares a DTD or entities"),
    "not a manifest": (lambda: raw_zip([("imsmanifest.xml", b"<rss/>")]),
                       "not an IMS Common Cartridge or content package manifest"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_an_unsafe_or_broken_archive_is_refused_with_its_reason_and_nothing_made(
        app, client, teacher, case: str) -> None:
    make, message = REFUSALS[case]
    files_before = _count(app, StoredFile)
    response = _upload(client, make())
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page.replace("&#34;", '"'), page[page.find("field__errors"):][:600]
    assert 'aria-invalid="true"' in page
    assert _count(app, Material) == 0 and _count(app, StoredFile) == files_before


def test_too_many_entries_are_refused_before_they_are_read(app, client, teacher) -> None:
    app.config["CARTRIDGE_MAX_ENTRIES"] = 5
    data = raw_zip([("imsmanifest.xml", b"<x/>"), *((f"f{i}.txt", b"x") for i in range(9))])
    response = _upload(client, data)
    assert response.status_code == 400
    assert "The archive holds more than 5 files." in response.get_data(as_text=True)
    assert _count(app, Material) == 0


def test_too_many_expanded_bytes_are_refused(app, client, teacher) -> None:
    # (Small: the test client spools a body over 500 kB to a file it does not close.)
    app.config["CARTRIDGE_MAX_EXPANDED_BYTES"] = 200 * 1024
    data = raw_zip([("imsmanifest.xml", b"<x/>"), ("a.bin", os.urandom(150 * 1024)),
                    ("b.bin", os.urandom(150 * 1024))], compression=zipfile.ZIP_STORED)
    response = _upload(client, data)
    assert response.status_code == 400
    assert "Unpacked, the archive would take more than 200 kB." in \
        response.get_data(as_text=True)
    assert _count(app, Material) == 0


def test_more_parts_than_an_arrangement_holds_are_refused(app, client, teacher) -> None:
    data = build("Te groot", [Link(f"Link {i}", f"https://example.org/{i}")
                              for i in range(MAX_NODES + 1)])
    response = _upload(client, data)
    assert response.status_code == 400
    assert f"holds {MAX_NODES + 1} parts; an arrangement holds at most {MAX_NODES}" in \
        response.get_data(as_text=True)
    assert _count(app, Material) == 0


# -- The command --------------------------------------------------------------------------


def test_the_command_imports_a_cartridge_and_says_what_it_made_and_skipped(
        app, runner, make_user, tmp_path) -> None:
    user = make_user("teacher")
    path = tmp_path / "course.imscc"
    path.write_bytes(_course())
    result = runner.invoke(args=["materials", "import", str(path), "--as", user.email])
    assert result.exit_code == 0, result.output
    found = re.search(r"Created material (\d+): (\S+)", result.output)
    assert found, result.output
    material_id = int(found.group(1))
    assert found.group(2).endswith(f"/materials/{material_id}-water-in-nederland")
    assert "3 sections, 4 pages, 1 link" in result.output
    assert "Skipped: “Toets week 1”: a test or quiz (QTI) cannot be imported." in result.output
    with app.app_context():
        material = db.session.get(Material, material_id)
        assert material.owner_id == user.id and material.status == "draft"


def test_the_command_refuses_a_broken_cartridge_and_keeps_nothing(
        app, runner, make_user, tmp_path) -> None:
    user = make_user("teacher")
    path = tmp_path / "evil.imscc"
    path.write_bytes(raw_zip([("imsmanifest.xml", b"<x/>"), ("../evil", b"x")]))
    result = runner.invoke(args=["materials", "import", str(path), "--as", user.email])
    assert result.exit_code == 1
    assert "evil.imscc was not imported" in result.output and "“../evil”" in result.output
    assert _count(app, Material) == 0


def test_the_command_refuses_a_student(app, runner, make_user, tmp_path) -> None:
    user = make_user("student")
    path = tmp_path / "course.imscc"
    path.write_bytes(_course())
    result = runner.invoke(args=["materials", "import", str(path), "--as", user.email])
    assert result.exit_code == 1 and "permission" in result.output
    assert _count(app, Material) == 0


def test_the_command_recognises_included_materials_on_portal_url(
        app, runner, make_user, make_material, tmp_path) -> None:
    app.config["PORTAL_URL"] = "https://oer.example.nl/portaal"
    user = make_user("teacher")
    lesson = make_material(user, title="Breuken", publish_by=make_user("moderator"))
    base = "https://oer.example.nl/portaal"
    path = tmp_path / "course.imscc"
    path.write_bytes(build("Met materiaal", [Page("Breuken", markdown="x", kind="material", meta={
        "oer-portal:material": f"{base}/materials/{lesson}-breuken",
        "oer-portal:portal": base})]))
    result = runner.invoke(args=["materials", "import", str(path), "--as", user.email])
    assert result.exit_code == 0, result.output
    assert "https://oer.example.nl/portaal/materials/" in result.output
    assert "1 included material" in result.output
