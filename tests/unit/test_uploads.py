"""What may be uploaded: every refusal rule with the hostile file built in the test."""

from __future__ import annotations

import base64
import io
import random
import struct
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from oer_portal.core.errors import InvalidUpload
from oer_portal.materials.uploads import (
    ALLOWED,
    CATEGORIES,
    UploadLimits,
    inspect_upload,
    sanitise_filename,
    unsafe_member_name,
)
from tests.fixtures import samples


@pytest.fixture()
def upload(tmp_path: Path):
    """Write ``data`` to a temp file (named like the store does: no user name) and inspect it."""
    counter = iter(range(10_000))

    def inspect(data: bytes, name: str, limits: UploadLimits | None = None):
        path = tmp_path / f"received-{next(counter)}"
        path.write_bytes(data)
        return inspect_upload(path, name, limits) if limits else inspect_upload(path, name)

    return inspect


def refused(upload, data: bytes, name: str, limits: UploadLimits | None = None) -> str:
    with pytest.raises(InvalidUpload) as error:
        upload(data, name, limits)
    return error.value.message


# -- the allow-list, as data -----------------------------------------------------------------------

def test_the_allow_list_is_data_with_canonical_extensions() -> None:
    assert {t.category for t in ALLOWED.values()} == set(CATEGORIES)
    for media_type, file_type in ALLOWED.items():
        assert file_type.media_type == media_type
        assert file_type.extension == file_type.extension.lower()
        assert file_type.extension.startswith(".")
    assert not any(t.extension in (".doc", ".xls", ".ppt", ".svg", ".html") for t in
                   ALLOWED.values())


# -- accepted types, detected from content ---------------------------------------------------------

ACCEPTED = [
    ("les.pdf", lambda: samples.pdf_bytes("Hallo"), "application/pdf", ".pdf", "pdf"),
    ("foto.png", lambda: samples.image_bytes("PNG"), "image/png", ".png", "image"),
    ("foto.jpeg", lambda: samples.image_bytes("JPEG"), "image/jpeg", ".jpg", "image"),
    ("anim.gif", samples.animated_gif_bytes, "image/gif", ".gif", "image"),
    ("foto.webp", lambda: samples.image_bytes("WEBP"), "image/webp", ".webp", "image"),
    ("tekst.docx", lambda: samples.docx_bytes("Hallo"), "application/vnd.openxmlformats-"
     "officedocument.wordprocessingml.document", ".docx", "office"),
    ("dia.pptx", lambda: samples.pptx_bytes("Dia"), "application/vnd.openxmlformats-"
     "officedocument.presentationml.presentation", ".pptx", "office"),
    ("cijfers.xlsx", lambda: samples.xlsx_bytes("a"), "application/vnd.openxmlformats-"
     "officedocument.spreadsheetml.sheet", ".xlsx", "office"),
    ("tekst.odt", lambda: samples.odt_bytes("Hallo"), "application/vnd.oasis.opendocument.text",
     ".odt", "opendocument"),
    ("cijfers.ods", lambda: samples.opendocument_bytes(
        "application/vnd.oasis.opendocument.spreadsheet", "<office:spreadsheet/>"),
     "application/vnd.oasis.opendocument.spreadsheet", ".ods", "opendocument"),
    ("dia.odp", lambda: samples.opendocument_bytes(
        "application/vnd.oasis.opendocument.presentation", "<office:presentation/>"),
     "application/vnd.oasis.opendocument.presentation", ".odp", "opendocument"),
    ("lied.mp3", samples.mp3_bytes, "audio/mpeg", ".mp3", "audio"),
    ("lied.mp3", lambda: samples.mp3_bytes(id3=False), "audio/mpeg", ".mp3", "audio"),
    ("lied.ogg", lambda: samples.ogg_bytes(samples.VORBIS_ID), "audio/ogg", ".ogg", "audio"),
    ("lied.wav", samples.wav_bytes, "audio/wav", ".wav", "audio"),
    ("lied.m4a", lambda: samples.mp4_bytes([b"soun"], brand=b"M4A "), "audio/mp4", ".m4a",
     "audio"),
    ("film.mp4", lambda: samples.mp4_bytes([b"vide", b"soun"]), "video/mp4", ".mp4", "video"),
    ("film.webm", samples.webm_bytes, "video/webm", ".webm", "video"),
    ("film.ogv", lambda: samples.ogg_bytes(samples.THEORA_ID, samples.VORBIS_ID), "video/ogg",
     ".ogv", "video"),
    ("map.zip", lambda: samples.zip_bytes({"a/b.txt": b"hoi"}), "application/zip", ".zip",
     "archive"),
    ("notities.txt", lambda: "Één regel\n".encode(), "text/plain", ".txt", "text"),
    ("lijst.csv", lambda: b"naam;leeftijd\nAnna;12\nBram;13\n", "text/csv", ".csv", "csv"),
]


@pytest.mark.parametrize(("name", "build", "media_type", "extension", "category"), ACCEPTED)
def test_accepted_types_are_detected_from_content(upload, name, build, media_type, extension,
                                                  category) -> None:
    inspected = upload(build(), name)
    assert (inspected.media_type, inspected.extension, inspected.category) == (
        media_type, extension, category)
    assert inspected.display_name.endswith(extension)


@pytest.mark.parametrize(("name", "build", "media_type", "extension", "category"), ACCEPTED)
def test_the_name_never_decides_the_type(upload, name, build, media_type, extension,
                                         category) -> None:
    if category == "csv":
        return  # the one documented case where the name chooses between two text types
    wrong_name = "misleading.png" if category == "pdf" else "misleading.pdf"
    inspected = upload(build(), wrong_name)
    assert inspected.media_type == media_type
    assert inspected.display_name == "misleading" + extension


def test_a_png_named_pdf_is_a_png(upload) -> None:
    inspected = upload(samples.image_bytes("PNG"), "rapport.pdf")
    assert inspected.media_type == "image/png"
    assert inspected.display_name == "rapport.png"


# -- markup, programs, scripts ---------------------------------------------------------------------

HTML_PAGE = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG_IMAGE = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" '
             b'height="10"><script>alert(1)</script></svg>')


@pytest.mark.parametrize("name", ["lesbrief.pdf", "pagina.html", "foto.png", "notities.txt"])
def test_html_is_refused_whatever_its_name(upload, name) -> None:
    assert "HTML" in refused(upload, HTML_PAGE, name)


@pytest.mark.parametrize("page", [
    b"   \n\t<html><p>hoi</p></html>",
    b"\xef\xbb\xbf<!doctype html><title>x</title>",
    b"<!-- comment --><div>x</div>",
    b"Some harmless words first.\n<script src='//evil.example/x.js'></script>\n",
    b"<IFRAME SRC=//evil.example>",
])
def test_html_variants_are_refused(upload, page) -> None:
    assert "HTML" in refused(upload, page, "les.txt")


@pytest.mark.parametrize("name", ["tekening.svg", "tekening.png", "tekening.txt"])
def test_svg_is_refused_even_when_named_png(upload, name) -> None:
    message = refused(upload, SVG_IMAGE, name)
    assert "SVG images can contain scripts" in message and "PNG or a PDF" in message


def test_svg_without_xml_declaration_is_refused(upload) -> None:
    assert "SVG" in refused(upload, b'<svg onload="alert(1)"/>', "plaatje.png")


def test_xml_is_refused(upload) -> None:
    data = b'<?xml version="1.0"?><lesson><title>Breuken</title></lesson>'
    assert "XML" in refused(upload, data, "les.xml")
    assert "XML" in refused(upload, b"<lesson>Breuken</lesson>", "les.txt")


@pytest.mark.parametrize("header", [
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff",  # Windows PE
    b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00",  # Linux ELF
    b"\xcf\xfa\xed\xfe\x07\x00\x00\x01",  # macOS Mach-O
])
def test_programs_are_refused_whatever_their_name(upload, header) -> None:
    assert "Programs cannot be uploaded" in refused(upload, header + b"\x00" * 200,
                                                   "handleiding.pdf")


def test_shell_scripts_are_refused(upload) -> None:
    assert "Scripts" in refused(upload, b"#!/bin/sh\nrm -rf ~\n", "notities.txt")


@pytest.mark.parametrize("name", ["start.bat", "run.ps1", "x.js", "x.vbs", "x.hta", "x.sh"])
def test_text_named_like_a_script_is_refused(upload, name) -> None:
    assert "Scripts" in refused(upload, b"echo hallo\n", name)


def test_text_named_like_a_web_page_is_refused(upload) -> None:
    assert "HTML" in refused(upload, b"just words\n", "pagina.HTM")


def test_a_letter_that_starts_with_a_heart_is_still_text(upload) -> None:
    assert upload(b"<3 voor iedereen\n", "groet.txt").media_type == "text/plain"


def test_html_deep_inside_a_text_file_is_just_text(upload) -> None:
    data = b"Les over webpagina's.\n" + b"Uitleg. " * 200 + b"\nVoorbeeld: <html><body>\n"
    assert upload(data, "les.txt").media_type == "text/plain"


# -- images: bombs and polyglots -------------------------------------------------------------------

def test_decompression_bomb_above_the_pixel_limit_is_refused(upload) -> None:
    # 8,000 x 7,000 = 56 megapixels in a small 1-bit PNG; the default limit is 50.
    data = samples.image_bytes("PNG", size=(8000, 7000), mode="1", color=0)
    assert len(data) < 100_000
    message = refused(upload, data, "groot.png")
    assert "too many pixels" in message and "50 megapixels" in message


def test_the_pixel_limit_is_configurable(upload) -> None:
    data = samples.image_bytes("PNG", size=(100, 100))
    assert "0.005 megapixels" in refused(upload, data, "a.png",
                                         UploadLimits(max_image_pixels=5_000))
    assert upload(data, "a.png", UploadLimits(max_image_pixels=10_000)).category == "image"


def test_pillows_bomb_warning_is_an_error(upload, monkeypatch: pytest.MonkeyPatch) -> None:
    # Between 1x and 2x Pillow's own limit it only warns; that must refuse too, even when
    # our limit would allow the image.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 3_000)
    data = samples.image_bytes("PNG", size=(80, 50))  # 4,000 pixels
    assert "too many pixels" in refused(upload, data, "a.png",
                                        UploadLimits(max_image_pixels=10**9))


def test_pillows_bomb_error_is_refused_kindly(upload, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000)
    data = samples.image_bytes("PNG", size=(80, 50))  # 4,000 pixels: over 2x
    assert "too many pixels" in refused(upload, data, "a.png",
                                        UploadLimits(max_image_pixels=10**9))


def test_jpeg_bomb_is_refused(upload) -> None:
    data = samples.image_bytes("JPEG", size=(10_000, 6_000), mode="L", color=0, quality=1)
    assert "too many pixels" in refused(upload, data, "groot.jpg")


def test_polyglot_gif_with_html_appended_is_refused(upload) -> None:
    data = samples.image_bytes("GIF") + b"<html><script>alert(document.domain)</script>"
    assert upload(samples.image_bytes("GIF"), "a.gif").media_type == "image/gif"
    assert "web page code" in refused(upload, data, "a.gif")


def test_polyglot_gif_with_script_in_a_comment_is_refused(upload) -> None:
    buffer = io.BytesIO()
    Image.new("P", (10, 10)).save(buffer, format="GIF",
                                  comment=b"<script>alert(1)</script>")
    assert "web page code" in refused(upload, buffer.getvalue(), "a.gif")


def test_polyglot_png_with_html_in_a_text_chunk_is_refused(upload) -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "<body onload=alert(1)>")
    data = samples.image_bytes("PNG", pnginfo=info)
    assert "web page code" in refused(upload, data, "a.png")


def test_a_truncated_image_is_refused(upload) -> None:
    data = samples.image_bytes("PNG", size=(200, 200))
    message = refused(upload, data[: len(data) // 2], "kapot.png")
    assert "damaged" in message and "PNG" in message


def test_a_truncated_jpeg_is_refused(upload) -> None:
    photo = Image.effect_noise((300, 200), 60).convert("RGB")
    buffer = io.BytesIO()
    photo.save(buffer, format="JPEG")
    data = buffer.getvalue()
    assert upload(data, "foto.jpg").media_type == "image/jpeg"
    assert "JPEG" in refused(upload, data[: len(data) // 2], "foto.jpg")


def test_other_image_formats_are_refused_with_advice(upload) -> None:
    assert "PNG or JPEG" in refused(upload, samples.image_bytes("TIFF"), "scan.tif")
    assert "PNG or JPEG" in refused(upload, samples.image_bytes("BMP"), "scan.png")
    heic = samples.mp4_bytes([], brand=b"heic", compatible=[b"mif1", b"heic"])
    assert "PNG or JPEG" in refused(upload, heic, "IMG_0001.HEIC")


# -- PDF -------------------------------------------------------------------------------------------

def test_a_broken_pdf_is_refused(upload) -> None:
    message = refused(upload, b"%PDF-1.7\nthis is not really a PDF\n", "les.pdf")
    assert "damaged" in message and "PDF" in message


def test_a_pdf_that_needs_a_password_is_refused(upload) -> None:
    data = samples.encrypted_pdf_bytes("geheim", user_password="wachtwoord")
    assert "password" in refused(upload, data, "les.pdf")


def test_a_pdf_with_only_an_owner_password_is_accepted(upload) -> None:
    data = samples.encrypted_pdf_bytes("open voor iedereen", user_password="")
    assert upload(data, "les.pdf").media_type == "application/pdf"


def test_a_pdf_must_start_with_its_header(upload) -> None:
    data = b"<html>" + samples.pdf_bytes("x")
    assert "HTML" in refused(upload, data, "les.pdf")


def test_a_pdf_without_pages_is_refused(upload) -> None:
    from pypdf import PdfWriter

    buffer = io.BytesIO()
    PdfWriter().write(buffer)
    assert "damaged" in refused(upload, buffer.getvalue(), "leeg.pdf")


# -- archives --------------------------------------------------------------------------------------

@pytest.mark.parametrize("member", [
    "../evil.txt",
    "a/../../evil.txt",
    "/etc/cron.d/evil",
    "\\windows\\evil.txt",
    "a\\..\\..\\evil.txt",
    "C:/Windows/evil.txt",
    "c:evil.txt",
    "..",
])
def test_zip_slip_names_are_refused(upload, member) -> None:
    data = samples.zip_bytes({"fine.txt": b"ok", member: b"evil"})
    assert "unsafe path" in refused(upload, data, "map.zip")


def test_zip_member_names_with_nul_are_refused(upload) -> None:
    data = samples.zip_bytes({"evil_txt.pdf": b"evil"})
    data = data.replace(b"evil_txt.pdf", b"evil\x00txt.pdf")
    assert "unsafe path" in refused(upload, data, "map.zip")


def test_unsafe_member_name_rules() -> None:
    assert not unsafe_member_name("map/les 1..2.txt")
    assert not unsafe_member_name("map\\sub\\les.txt")  # old Windows zippers, still inside
    assert not unsafe_member_name("...txt")
    assert unsafe_member_name("map/../../x")


def test_zip_slip_inside_an_office_file_is_refused(upload) -> None:
    data = samples.docx_bytes("Hallo", extra={"../../evil.sh": b"#!/bin/sh"})
    assert "unsafe path" in refused(upload, data, "les.docx")


def test_too_many_entries_are_refused_before_they_are_read(upload) -> None:
    data = samples.zip_bytes([(f"f{i}.txt", b"") for i in range(2_001)],
                             compression=zipfile.ZIP_STORED)
    message = refused(upload, data, "veel.zip")
    assert "more than 2000 files" in message
    assert upload(data, "veel.zip", UploadLimits(max_zip_entries=2_001)).category == "archive"


def _with_declared_entries(data: bytes, entries: int) -> bytes:
    """``data`` with the entry counts of its end-of-central-directory record replaced."""
    end = data.rindex(b"PK\x05\x06")
    counts = struct.pack("<HH", entries, entries)
    return data[:end + 8] + counts + data[end + 12:]


def test_an_archive_that_understates_its_entries_is_still_counted(upload) -> None:
    data = _with_declared_entries(samples.zip_bytes({f"f{i}.txt": b"x" for i in range(4)}), 1)
    assert "more than 3 files" in refused(upload, data, "veel.zip", UploadLimits(max_zip_entries=3))


def test_a_central_directory_too_large_for_the_entry_cap_is_refused(upload) -> None:
    data = samples.zip_bytes({"a" * 1_100: b"x", "b" * 1_100: b"y"})
    limits = UploadLimits(max_zip_entries=2)  # 2 x 1 kB of directory allowed, 2.3 kB used
    assert "more than 2 files" in refused(upload, data, "lang.zip", limits)
    assert upload(data, "lang.zip", UploadLimits(max_zip_entries=3)).category == "archive"


def _zip64_bytes(monkeypatch: pytest.MonkeyPatch, count: int) -> bytes:
    """A ZIP with ZIP64 end records whose classic record says "see ZIP64" (0xFFFF)."""
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # makes zipfile write ZIP64 records
    data = samples.zip_bytes({f"f{i}.txt": b"x" for i in range(count)})
    monkeypatch.undo()
    assert b"PK\x06\x06" in data
    return _with_declared_entries(data, 0xFFFF)


def test_a_zip64_archive_is_counted_from_its_zip64_record(upload, monkeypatch) -> None:
    data = _zip64_bytes(monkeypatch, 3)
    assert upload(data, "map.zip").category == "archive"
    assert "more than 2 files" in refused(upload, data, "map.zip",
                                          UploadLimits(max_zip_entries=2))


def test_a_zip64_locator_that_points_nowhere_is_refused(upload, monkeypatch) -> None:
    data = _zip64_bytes(monkeypatch, 3)
    locator = data.rindex(b"PK\x06\x07")
    data = data[:locator + 8] + struct.pack("<Q", len(data) * 2) + data[locator + 16:]
    assert "damaged" in refused(upload, data, "map.zip")


def test_too_many_bytes_expanded_are_refused(upload) -> None:
    data = samples.zip_bytes({"a.txt": b"a" * 2_000, "b.txt": b"b" * 2_000})
    limits = UploadLimits(max_zip_expanded_bytes=3_000)
    assert "Unpacked" in refused(upload, data, "groot.zip", limits)


def test_a_zip_bomb_is_refused(upload) -> None:
    data = samples.zip_bytes({"nullen.bin": bytes(20 * 1024 * 1024)})
    assert len(data) < 100_000
    assert "ZIP bomb" in refused(upload, data, "bom.zip")


def test_the_ratio_is_taken_over_the_whole_archive(upload) -> None:
    # 2 MB of zeros alone is over 100:1, but next to 300 kB of noise the archive is not.
    noise = random.Random(1).randbytes(300_000)
    members = {"zeros.bin": bytes(2 * 1024 * 1024), "noise.bin": noise}
    assert upload(samples.zip_bytes(members), "map.zip").category == "archive"


def test_a_small_compressible_archive_is_not_a_bomb(upload) -> None:
    data = samples.zip_bytes({"spaties.txt": b" " * 200_000})
    assert upload(data, "spaties.zip").category == "archive"


def test_an_empty_zip_is_refused(upload) -> None:
    assert "empty" in refused(upload, samples.zip_bytes({}), "leeg.zip")


def test_a_truncated_zip_is_refused(upload) -> None:
    data = samples.zip_bytes({"a.txt": b"hallo" * 1000})
    assert "damaged" in refused(upload, data[:-30], "kapot.zip")


def test_other_archives_are_refused_with_advice(upload) -> None:
    import gzip

    assert "Only ZIP archives" in refused(upload, gzip.compress(b"hallo"), "map.tar.gz")
    assert "Only ZIP archives" in refused(upload, b"Rar!\x1a\x07\x01\x00" + bytes(40), "a.rar")
    # A header without NUL bytes (where text is looked for) is still an archive.
    assert "Only ZIP archives" in refused(upload, b"\x1f\x8b\x08" + b"\x01" * 2_000, "a.gz")


# -- Office and OpenDocument -----------------------------------------------------------------------

def test_office_with_macros_is_refused(upload) -> None:
    data = samples.docx_bytes("Hallo", main_type=samples.DOCM_MAIN)
    assert "macros" in refused(upload, data, "les.docm")


def test_a_vba_project_in_an_office_file_is_refused(upload) -> None:
    data = samples.docx_bytes("Hallo", extra={"word/vbaProject.bin": b"\x00" * 100})
    assert "macros" in refused(upload, data, "les.docx")


def test_other_office_kinds_are_refused(upload) -> None:
    template = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
    data = samples.docx_bytes("Hallo", main_type=template)
    assert "(.docx)" in refused(upload, data, "sjabloon.dotx")


def test_an_office_file_without_its_main_part_is_refused(upload) -> None:
    data = samples.zip_bytes({
        "[Content_Types].xml": samples.content_types({"/word/document.xml": samples.DOCX_MAIN}),
    })
    assert "damaged" in refused(upload, data, "les.docx")


def test_oversized_package_metadata_is_refused(upload) -> None:
    # Valid XML naming a real main part, but over 1 MB: metadata is never that large.
    padding = base64.b64encode(random.Random(2).randbytes(800_000))
    types = samples.content_types({"/word/document.xml": samples.DOCX_MAIN})
    data = samples.zip_bytes({"[Content_Types].xml": types + b"<!--" + padding + b"-->",
                              "word/document.xml": b"<x/>"})
    assert "damaged" in refused(upload, data, "les.docx")
    small = samples.zip_bytes({"[Content_Types].xml": types + b"<!--" + padding[:1000] + b"-->",
                               "word/document.xml": b"<x/>"})
    assert upload(small, "les.docx").category == "office"


def test_a_zip_with_content_types_but_no_office_part_is_an_archive(upload) -> None:
    nuget = samples.content_types({"/pakket.nuspec": "application/octet-stream"})
    data = samples.zip_bytes({"[Content_Types].xml": nuget, "pakket.nuspec": b"<x/>"})
    assert upload(data, "pakket.zip").media_type == "application/zip"


def test_office_xml_is_parsed_with_defusedxml(upload) -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
              b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
              b"&lol2;</Types>")
    data = samples.zip_bytes({"[Content_Types].xml": laughs, "word/document.xml": b"<x/>"})
    assert "damaged" in refused(upload, data, "les.docx")


def test_external_entities_in_office_xml_are_refused(upload) -> None:
    xxe = (b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
           b"&x;</Types>")
    data = samples.zip_bytes({"[Content_Types].xml": xxe})
    assert "damaged" in refused(upload, data, "les.docx")


def test_other_opendocument_kinds_are_refused(upload) -> None:
    data = samples.opendocument_bytes("application/vnd.oasis.opendocument.graphics",
                                      "<office:drawing/>")
    assert ".odt" in refused(upload, data, "tekening.odg")


ODT_TYPE = b"application/vnd.oasis.opendocument.text"


def test_an_opendocument_without_content_is_refused(upload) -> None:
    data = samples.zip_bytes({"mimetype": ODT_TYPE, "styles.xml": b"<x/>"})
    message = refused(upload, data, "les.odt")
    assert "damaged" in message and "OpenDocument" in message


def test_an_opendocument_needs_no_manifest(upload) -> None:
    data = samples.zip_bytes({"mimetype": ODT_TYPE, "content.xml": b"<x/>"})
    assert upload(data, "les.odt").media_type == ODT_TYPE.decode()


def test_a_broken_opendocument_manifest_is_refused(upload) -> None:
    data = samples.zip_bytes({"mimetype": ODT_TYPE, "content.xml": b"<x/>",
                              "META-INF/manifest.xml": b"<manifest"})
    assert "damaged" in refused(upload, data, "les.odt")


def test_a_zip_with_another_mimetype_is_an_archive(upload) -> None:
    data = samples.zip_bytes({"mimetype": b"application/epub+zip", "content.opf": b"<x/>"})
    assert upload(data, "boek.epub").media_type == "application/zip"


def test_old_office_files_are_refused_with_advice(upload) -> None:
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    assert ".docx" in refused(upload, ole2, "oud.doc")


def test_rtf_is_refused_with_advice(upload) -> None:
    assert "RTF" in refused(upload, b"{\\rtf1\\ansi Hallo}", "brief.rtf")


# -- audio and video -------------------------------------------------------------------------------

def test_matroska_is_not_webm(upload) -> None:
    assert "MP4, WebM or OGV" in refused(upload, samples.webm_bytes(b"matroska"), "film.mkv")


def test_quicktime_is_refused(upload) -> None:
    data = samples.mp4_bytes([b"vide"], brand=b"qt  ", compatible=[b"qt  "])
    assert "MP4, WebM or OGV" in refused(upload, data, "film.mov")


def test_an_mp4_without_tracks_is_refused(upload) -> None:
    assert "damaged" in refused(upload, samples.mp4_bytes([]), "film.mp4")


def test_an_mp4_with_an_overlong_box_is_refused(upload) -> None:
    data = samples.mp4_bytes([b"vide"])
    data = data[:-72] + b"\x7f\xff\xff\xff" + data[-68:]  # mdat claims 2 GB
    assert "damaged" in refused(upload, data, "film.mp4")


def test_mp3_junk_after_a_tag_is_refused(upload) -> None:
    data = samples.mp3_bytes(frames=0) + b"not audio at all" * 10
    assert "audio or video" in refused(upload, data, "lied.mp3")


def test_a_wav_without_format_is_refused(upload) -> None:
    data = b"RIFF\x24\x00\x00\x00WAVEdata\x00\x00\x00\x00" + bytes(16)
    assert "damaged" in refused(upload, data, "geluid.wav")


def test_ogg_with_an_unknown_codec_is_refused(upload) -> None:
    data = samples.ogg_bytes(b"\x01unknown" + bytes(20))
    assert "audio or video" in refused(upload, data, "x.ogg")


# -- text and CSV ----------------------------------------------------------------------------------

def test_utf8_with_bom_is_text(upload) -> None:
    assert upload("\ufeffHallo wereld\n".encode(), "a.txt").media_type == "text/plain"


def test_text_that_is_not_utf8_is_refused(upload) -> None:
    message = refused(upload, "naam;plaats\nJosé;Utrecht\n".encode("cp1252"), "lijst.csv")
    assert "UTF-8" in message and "CSV UTF-8" in message


def test_utf16_is_refused_as_not_utf8(upload) -> None:
    assert "UTF-8" in refused(upload, "Hallo".encode("utf-16"), "a.txt")


def test_text_with_nul_bytes_is_refused(upload) -> None:
    assert "do not recognise" in refused(upload, b"Hallo\x00wereld", "a.txt")


def test_the_whole_text_is_checked_not_just_its_beginning(upload) -> None:
    text = b"Een regel tekst.\n" * 100_000  # 1.7 MB: read in more than one piece
    assert upload(text, "lang.txt").media_type == "text/plain"
    assert "UTF-8" in refused(upload, text + "José\n".encode("cp1252"), "lang.txt")
    assert "do not recognise" in refused(upload, text + b"\x00", "lang.txt")


def test_csv_needs_both_the_name_and_the_content(upload) -> None:
    data = b"naam,leeftijd\nAnna,12\nBram,13\n"
    assert upload(data, "lijst.csv").media_type == "text/csv"
    assert upload(data, "lijst.txt").media_type == "text/plain"
    single = upload(b"alleen een zin zonder scheidingstekens", "lijst.csv")
    assert (single.media_type, single.display_name) == ("text/plain", "lijst.txt")


def test_csv_sniffing_cannot_be_made_slow(upload) -> None:
    """csv.Sniffer needs ~16 s for 64 kB of these (thousands of times an ordinary file of
    that size); only the first 4 kB are sniffed.  Timed against the ordinary file in the
    same run, so a busy machine slows both alike."""
    def seconds(data: bytes) -> float:
        started = time.perf_counter()
        assert upload(data, "lijst.csv").media_type in ("text/csv", "text/plain")
        return time.perf_counter() - started

    ordinary = b"".join(b"leerling %d;%d\n" % (n, n % 10) for n in range(4_600))[:64_000]
    assert seconds(b',"' * 32_000) < 200 * max(seconds(ordinary), 0.005)


def test_a_long_csv_is_still_csv(upload) -> None:
    data = "".join(f"leerling {n};{n % 10}\n" for n in range(20_000)).encode()
    assert upload(data, "lijst.csv").media_type == "text/csv"


def test_empty_files_are_refused(upload) -> None:
    assert "empty" in refused(upload, b"", "leeg.pdf")
    assert "empty" in refused(upload, b"\xef\xbb\xbf  \n\n", "leeg.txt")


def test_unknown_binary_is_refused_with_the_list_of_accepted_types(upload) -> None:
    message = refused(upload, bytes(range(256)) * 4, "data.bin")
    assert "do not recognise" in message and "PDF files" in message


def test_messages_need_no_app_context(upload) -> None:
    # Outside a request Flask-Babel falls back to the English message ids.
    assert refused(upload, b"", "leeg.txt") == (
        "This file is empty. Check that you chose the right file and try again.")


# -- file names ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "extension", "expected"), [
    ("evil.pdf.exe", ".pdf", "evil.pdf"),
    ("rapport.docx", ".pdf", "rapport.pdf"),
    ("Foto.JPEG", ".jpg", "Foto.jpg"),
    ("Versie 1.0", ".pdf", "Versie 1.0.pdf"),
    ("C:\\Users\\juf\\Desktop\\les 3.pdf", ".pdf", "les 3.pdf"),
    ("../../etc/passwd", ".txt", "passwd.txt"),
    ("les\r\nSet-Cookie: x=1.pdf", ".pdf", "les Set-Cookie: x=1.pdf"),
    ("invoice\u202efdp.exe", ".pdf", "invoicefdp.pdf"),
    ("a\u2066b\u2069c\u200e\u200f\u061cd.txt", ".txt", "abcd.txt"),
    ("  veel    spaties\t\tna elkaar  .pdf", ".pdf", "veel spaties na elkaar.pdf"),
    ("", ".pdf", "bestand.pdf"),
    ("...", ".pdf", "bestand.pdf"),
    ("map/", ".zip", "bestand.zip"),
    (".pdf", ".pdf", "pdf.pdf"),
    ("\u202e\u200b", ".png", "bestand.png"),
    ("Cafe\u0301.odt", ".odt", "Caf\u00e9.odt"),
    ("notities", None, "notities"),
    ("Les.PDF", None, "Les.pdf"),
    ("rapport.abc.abc", ".abc", "rapport.abc"),
    ("", None, "bestand"),
])
def test_sanitise_filename_examples(name, extension, expected) -> None:
    assert sanitise_filename(name, extension) == expected


def test_sanitise_filename_caps_the_length_keeping_the_extension() -> None:
    result = sanitise_filename("a" * 400 + ".pdf", ".pdf")
    assert len(result) == 150 and result.endswith("a.pdf")


def test_sanitise_filename_refuses_a_bad_canonical_extension() -> None:
    with pytest.raises(ValueError):
        sanitise_filename("x", "pdf")
    with pytest.raises(ValueError):
        sanitise_filename("x", ".p/df")


FORBIDDEN = {"/", "\\"}


def _is_forbidden(character: str) -> bool:
    return character in FORBIDDEN or unicodedata.category(character) in ("Cc", "Cf", "Cs")


@settings(max_examples=400, database=None)
@given(name=st.text(), extension=st.sampled_from(sorted({t.extension for t in ALLOWED.values()})))
def test_sanitised_names_are_always_safe(name: str, extension: str) -> None:
    result = sanitise_filename(name, extension)
    assert result.endswith(extension)
    assert len(result) <= 150
    assert len(result) > len(extension)
    assert not any(_is_forbidden(c) for c in result)
    assert result == unicodedata.normalize("NFC", result)
    assert result == result.strip() and "  " not in result


@settings(max_examples=200, database=None)
@given(name=st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=400)
       | st.text(alphabet="./\\ \t\r\n\u202e\u2066\u200f\x00\x7fab.", max_size=50))
def test_sanitised_names_without_extension_are_safe(name: str) -> None:
    result = sanitise_filename(name)
    assert result and len(result) <= 150
    assert not any(_is_forbidden(c) for c in result)
