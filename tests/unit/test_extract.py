"""Derived data: text for search and PNG thumbnails; broken input gives None, never an error."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from oer_portal.materials import extract
from oer_portal.materials.extract import extract_text, make_thumbnail
from oer_portal.materials.uploads import InspectedFile, inspect_upload
from tests.fixtures import samples


@pytest.fixture()
def received(tmp_path: Path):
    """Write ``data``, inspect it as an upload would be, return (path, inspected)."""
    counter = iter(range(10_000))

    def write(data: bytes, name: str) -> tuple[Path, InspectedFile]:
        path = tmp_path / f"blob-{next(counter)}"
        path.write_bytes(data)
        return path, inspect_upload(path, name)

    return write


def claimed(tmp_path: Path, data: bytes, inspected_as: str) -> tuple[Path, InspectedFile]:
    """A file that is *said* to be of a type (as if it had changed since inspection)."""
    path = tmp_path / "claimed"
    path.write_bytes(data)
    categories = {"application/pdf": ("pdf", ".pdf"), "image/png": ("image", ".png"),
                  "image/jpeg": ("image", ".jpg"),
                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
                  ("office", ".docx"),
                  "application/vnd.oasis.opendocument.text": ("opendocument", ".odt")}
    category, extension = categories[inspected_as]
    return path, InspectedFile(inspected_as, extension, category, "x" + extension)


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG" and image.mode == "RGB"
        return image.size


# -- text -----------------------------------------------------------------------------------------

def test_pdf_text_from_every_page(received) -> None:
    path, inspected = received(samples.pdf_bytes(
        "Breuken optellen\nEerst gelijknamig maken.", "Pagina twee: oefeningen"), "les.pdf")
    text = extract_text(path, inspected)
    assert text is not None
    assert "Breuken optellen" in text and "Eerst gelijknamig maken." in text
    assert "Pagina twee: oefeningen" in text
    assert text.index("Breuken") < text.index("Pagina twee")


def test_pdf_text_is_capped(received) -> None:
    pages = [f"Pagina {n} " + "woord " * 50 for n in range(20)]
    path, inspected = received(samples.pdf_bytes(*pages), "lang.pdf")
    text = extract_text(path, inspected, max_chars=500)
    assert text is not None and 0 < len(text) <= 500 and text.startswith("Pagina 0")


def test_a_pdf_without_text_gives_an_empty_string(received) -> None:
    path, inspected = received(samples.pdf_bytes(""), "scan.pdf")
    assert extract_text(path, inspected) == ""


def test_a_broken_pdf_gives_none(tmp_path: Path) -> None:
    path, inspected = claimed(tmp_path, b"%PDF-1.4\n1 0 obj\n<< /Type /Cat", "application/pdf")
    assert extract_text(path, inspected) is None
    assert make_thumbnail(path, inspected) is None


def test_a_truncated_pdf_gives_none(tmp_path: Path) -> None:
    data = samples.pdf_bytes("Hallo")
    path, inspected = claimed(tmp_path, data[: len(data) // 3], "application/pdf")
    assert extract_text(path, inspected) is None
    assert make_thumbnail(path, inspected) is None


def test_a_pdf_that_needs_a_password_gives_none(tmp_path: Path) -> None:
    data = samples.encrypted_pdf_bytes("geheime tekst", user_password="wachtwoord")
    path, inspected = claimed(tmp_path, data, "application/pdf")
    assert extract_text(path, inspected) is None
    assert make_thumbnail(path, inspected) is None


def test_a_pdf_with_only_an_owner_password_still_gives_its_text(received) -> None:
    data = samples.encrypted_pdf_bytes("open voor iedereen", user_password="")
    path, inspected = received(data, "les.pdf")
    assert extract_text(path, inspected) == "open voor iedereen"


def test_docx_text(received) -> None:
    path, inspected = received(samples.docx_bytes(
        "Titel van de les", "Stap 1\tpak een blad", "Veel <plezier> & succes"), "les.docx")
    text = extract_text(path, inspected)
    assert text == "Titel van de les\nStap 1 pak een blad\nVeel <plezier> & succes"


def test_docx_deleted_revisions_are_not_text(received) -> None:
    path, inspected = received(samples.docx_bytes("Zichtbaar"), "les.docx")
    text = extract_text(path, inspected)
    assert text is not None and "deleted words" not in text


def test_docx_text_is_capped(received) -> None:
    path, inspected = received(samples.docx_bytes(*(["alinea " * 20] * 500)), "lang.docx")
    text = extract_text(path, inspected, max_chars=1_000)
    assert text is not None and 900 < len(text) <= 1_000


def test_pptx_text_in_slide_order(received) -> None:
    slides = [f"Dia {n}\nPunt van dia {n}" for n in range(1, 12)]
    path, inspected = received(samples.pptx_bytes(*slides), "les.pptx")
    text = extract_text(path, inspected)
    assert text is not None
    assert text.index("Dia 2\n") < text.index("Dia 10\n")  # 10 after 2, not after 1
    assert "Punt van dia 11" in text


def test_xlsx_text_from_shared_strings(received) -> None:
    path, inspected = received(samples.xlsx_bytes("Naam", "Cijfer", "Anna"), "cijfers.xlsx")
    assert extract_text(path, inspected) == "Naam\nCijfer\nAnna"


def test_odt_text(received) -> None:
    body = ("<office:text>"
            "<text:h>Hoofdstuk 1</text:h>"
            "<text:p>Een <text:span>vette</text:span> zin<text:s text:c=\"3\"/>met"
            "<text:tab/>tab<text:line-break/>en regel</text:p>"
            "<text:p>Voetnoot hier<text:note><text:note-body><text:p>de noot</text:p>"
            "</text:note-body></text:note> en verder.</text:p>"
            "<text:tracked-changes><text:changed-region><text:deletion>"
            "<text:p>weggehaald</text:p></text:deletion></text:changed-region>"
            "</text:tracked-changes>"
            "<text:p>Met <office:annotation><text:p>een opmerking</text:p></office:annotation>"
            "commentaar</text:p>"
            "</office:text>")
    data = samples.opendocument_bytes("application/vnd.oasis.opendocument.text", body)
    path, inspected = received(data, "les.odt")
    text = extract_text(path, inspected)
    assert text is not None
    lines = text.split("\n")
    assert lines[0] == "Hoofdstuk 1"
    assert "Een vette zin met tab" in text and "en regel" in text
    assert "Voetnoot hier" in text and "en verder." in text and "de noot" in text
    assert "weggehaald" not in text and "een opmerking" not in text
    assert "Met commentaar" in text


def test_nested_paragraphs_are_read_once(received) -> None:
    body = ("<office:text><text:p>Voor <draw:frame><draw:text-box><text:p>In het kader</text:p>"
            "</draw:text-box></draw:frame> na</text:p></office:text>")
    data = samples.opendocument_bytes("application/vnd.oasis.opendocument.text", body)
    path, inspected = received(data, "les.odt")
    assert extract_text(path, inspected) == "In het kader\nVoor na"


def test_a_long_document_stops_at_max_chars(received) -> None:
    data = samples.odt_bytes(*(f"Alinea {n} met wat woorden erin." for n in range(60_000)))
    path, inspected = received(data, "boek.odt")
    text = extract_text(path, inspected, max_chars=5_000)
    assert text is not None and 4_900 < len(text) <= 5_000
    assert text.startswith("Alinea 0 ") and "Alinea 59999" not in text


def test_odp_text(received) -> None:
    body = ("<office:presentation><draw:page><draw:frame><draw:text-box>"
            "<text:p>Dia over fotosynthese</text:p></draw:text-box></draw:frame></draw:page>"
            "</office:presentation>")
    data = samples.opendocument_bytes("application/vnd.oasis.opendocument.presentation", body)
    path, inspected = received(data, "les.odp")
    assert extract_text(path, inspected) == "Dia over fotosynthese"


def test_text_and_csv_are_decoded(received) -> None:
    path, inspected = received("\ufeffÉén regel\r\nTwee  regels\n".encode(), "a.txt")
    assert extract_text(path, inspected) == "Één regel\nTwee regels"
    path, inspected = received(b"naam;leeftijd\nAnna;12\nBram;13\n", "a.csv")
    assert extract_text(path, inspected) == "naam;leeftijd\nAnna;12\nBram;13"


def test_text_is_capped(received) -> None:
    path, inspected = received(b"abc " * 10_000, "a.txt")
    text = extract_text(path, inspected, max_chars=100)
    assert text is not None and len(text) <= 100


@pytest.mark.parametrize(("data", "name"), [
    (samples.zip_bytes({"a.txt": b"hoi"}), "map.zip"),
    (samples.mp3_bytes(), "lied.mp3"),
    (samples.image_bytes("PNG"), "foto.png"),
])
def test_other_types_have_no_text(received, data, name) -> None:
    path, inspected = received(data, name)
    assert extract_text(path, inspected) is None


def test_broken_office_files_give_none(tmp_path: Path) -> None:
    kind = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    path, inspected = claimed(tmp_path, b"PK\x03\x04 not really a zip", kind)
    assert extract_text(path, inspected) is None
    bad_xml = samples.zip_bytes({"word/document.xml": b"<w:document><w:body><unclosed>"})
    path, inspected = claimed(tmp_path, bad_xml, kind)
    assert extract_text(path, inspected) is None


def test_entities_in_office_xml_are_not_expanded(tmp_path: Path) -> None:
    laughs = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
              b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/'
              b'main"><w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>')
    path, inspected = claimed(tmp_path, samples.zip_bytes({"word/document.xml": laughs}),
                              "application/vnd.openxmlformats-officedocument."
                              "wordprocessingml.document")
    assert extract_text(path, inspected) is None


def test_deeply_nested_odt_gives_text_or_none_but_never_raises(tmp_path: Path) -> None:
    body = ("<office:text><text:p>" + "<text:span>" * 5_000 + "diep" + "</text:span>" * 5_000
            + "</text:p></office:text>")
    data = samples.opendocument_bytes("application/vnd.oasis.opendocument.text", body)
    path, inspected = claimed(tmp_path, data, "application/vnd.oasis.opendocument.text")
    assert extract_text(path, inspected) == "diep"


# -- thumbnails -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("fmt", "size", "mode", "expected"), [
    ("PNG", (1000, 500), "RGB", (320, 160)),
    ("PNG", (500, 1000), "RGBA", (160, 320)),
    ("JPEG", (2000, 1500), "RGB", (320, 240)),
    ("JPEG", (800, 600), "CMYK", (320, 240)),
    ("WEBP", (640, 640), "RGBA", (320, 320)),
    ("PNG", (100, 50), "P", (100, 50)),  # small images are not enlarged
    ("PNG", (3000, 2000), "L", (320, 213)),
])
def test_image_thumbnails_fit_and_are_rgb_png(received, fmt, size, mode, expected) -> None:
    color = 128 if mode in ("L", "P") else (10, 20, 30, 40)[: len(mode)]
    path, inspected = received(samples.image_bytes(fmt, size=size, mode=mode, color=color),
                               "beeld")
    thumbnail = make_thumbnail(path, inspected)
    assert thumbnail is not None
    assert png_size(thumbnail) == expected


def test_thumbnail_size_is_a_parameter(received) -> None:
    path, inspected = received(samples.image_bytes("PNG", size=(1000, 800)), "a.png")
    thumbnail = make_thumbnail(path, inspected, size=64)
    assert thumbnail is not None and png_size(thumbnail) == (64, 51)


def test_transparency_becomes_white(received) -> None:
    path, inspected = received(samples.image_bytes("PNG", size=(50, 50), mode="RGBA",
                                                   color=(0, 0, 0, 0)), "a.png")
    thumbnail = make_thumbnail(path, inspected)
    assert thumbnail is not None
    with Image.open(io.BytesIO(thumbnail)) as image:
        assert image.getpixel((25, 25)) == (255, 255, 255)


def test_exif_orientation_is_applied(received) -> None:
    # Stored landscape, but the camera was held upright (orientation 6: rotate 90 degrees).
    path, inspected = received(samples.jpeg_with_orientation((640, 480), 6), "foto.jpg")
    thumbnail = make_thumbnail(path, inspected)
    assert thumbnail is not None and png_size(thumbnail) == (240, 320)


def test_animated_gif_gives_its_first_frame(received) -> None:
    path, inspected = received(samples.animated_gif_bytes(frames=5, size=(640, 320)), "a.gif")
    thumbnail = make_thumbnail(path, inspected)
    assert thumbnail is not None and png_size(thumbnail) == (320, 160)


def test_pdf_thumbnail_is_the_first_page(received) -> None:
    path, inspected = received(samples.pdf_bytes("Voorblad", "Tweede pagina"), "les.pdf")
    thumbnail = make_thumbnail(path, inspected)
    assert thumbnail is not None
    width, height = png_size(thumbnail)
    assert max(width, height) <= 320 and height == 320  # A4 portrait fills the height
    assert 220 <= width <= 230
    with Image.open(io.BytesIO(thumbnail)) as image:
        assert image.getextrema() != ((255, 255), (255, 255), (255, 255))  # the text is drawn


def test_landscape_pdf_thumbnail_fits(received) -> None:
    path, inspected = received(samples.pdf_bytes("Breed", width=842, height=595), "les.pdf")
    thumbnail = make_thumbnail(path, inspected, size=200)
    assert thumbnail is not None
    width, height = png_size(thumbnail)
    assert width == 200 and height <= 200


def test_huge_pdf_pages_are_not_rendered(received) -> None:
    path, inspected = received(samples.pdf_bytes("Groot", width=14_400, height=30_000),
                               "poster.pdf")
    assert make_thumbnail(path, inspected) is None
    assert extract_text(path, inspected) == "Groot"  # the text is still there


def test_pdfium_is_only_called_under_the_lock(received, monkeypatch: pytest.MonkeyPatch) -> None:
    path, inspected = received(samples.pdf_bytes("x"), "les.pdf")
    original = extract.pdfium.PdfDocument
    seen = []

    def checking(*args, **kwargs):
        seen.append(extract.PDFIUM_LOCK.locked())
        return original(*args, **kwargs)

    monkeypatch.setattr(extract.pdfium, "PdfDocument", checking)
    assert make_thumbnail(path, inspected) is not None
    assert seen == [True]
    assert not extract.PDFIUM_LOCK.locked()


def test_broken_images_give_none(tmp_path: Path) -> None:
    data = samples.image_bytes("PNG", size=(300, 300))
    path, inspected = claimed(tmp_path, data[:200], "image/png")
    assert make_thumbnail(path, inspected) is None
    path, inspected = claimed(tmp_path, b"not an image at all", "image/jpeg")
    assert make_thumbnail(path, inspected) is None


def test_image_bombs_give_no_thumbnail(tmp_path: Path) -> None:
    data = samples.image_bytes("PNG", size=(8000, 7000), mode="1", color=0)
    path, inspected = claimed(tmp_path, data, "image/png")
    assert make_thumbnail(path, inspected) is None


@pytest.mark.parametrize(("data", "name"), [
    (samples.docx_bytes("Hallo"), "les.docx"),
    (samples.zip_bytes({"a.txt": b"hoi"}), "map.zip"),
    (b"gewoon tekst\n", "a.txt"),
])
def test_other_types_have_no_thumbnail(received, data, name) -> None:
    path, inspected = received(data, name)
    assert make_thumbnail(path, inspected) is None
