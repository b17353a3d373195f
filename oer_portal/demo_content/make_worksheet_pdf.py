"""Generate the fractions worksheet PDF for the demo lesson ``demo-breuken-pizzapunten``.

Standard library only: writes a minimal PDF 1.4 file (one A4 page, Helvetica text) by hand,
with a correct cross-reference table. Text must be Latin-1.

Usage: python make_worksheet_pdf.py
(writes demo-breuken-pizzapunten/files/werkblad-breuken-vergelijken.pdf)
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "demo-breuken-pizzapunten" / "files" / "werkblad-breuken-vergelijken.pdf"

TITLE = "Werkblad: breuken vergelijken met pizzapunten"
SUBTITLE = "Naam: ______________________   Groep: ______   Datum: ____________"
INTRO = "Zet <, > of = tussen de breuken. Teken pizzapunten als je twijfelt."
EXERCISES = [
    "1.  3/8  ...  5/8",
    "2.  1/3  ...  1/4",
    "3.  2/4  ...  1/2",
    "4.  4/5  ...  4/6",
    "5.  3/4  ...  5/8   (tip: maak eerst achtsten)",
    "6.  2/6  ...  1/2   (tip: vergelijk met een halve pizza)",
    "7.  Sem eet 2/3 van een pizza, Noor eet 3/4. Wie eet het meest?",
    "8.  Zet op volgorde van klein naar groot:  1/2,  1/8,  3/4,  5/8",
]
FOOTER = "Demo-lesmateriaal OER-portaal (CC BY 4.0)"


def escape(text: str) -> str:
    """Escape a string for use inside a PDF literal string ( ... )."""
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def content_stream() -> bytes:
    lines: list[str] = ["BT"]
    # Title
    lines += ["/F2 18 Tf", "1 0 0 1 60 770 Tm", f"({escape(TITLE)}) Tj"]
    # Subtitle and intro
    lines += ["/F1 11 Tf", "1 0 0 1 60 735 Tm", f"({escape(SUBTITLE)}) Tj"]
    lines += ["1 0 0 1 60 705 Tm", f"({escape(INTRO)}) Tj"]
    # Exercises, 44 pt apart to leave room for drawing
    lines += ["/F1 13 Tf"]
    y = 665
    for exercise in EXERCISES:
        lines += [f"1 0 0 1 60 {y} Tm", f"({escape(exercise)}) Tj"]
        y -= 44
    # Footer
    lines += ["/F1 9 Tf", "1 0 0 1 60 50 Tm", f"({escape(FOOTER)}) Tj", "ET"]
    return ("\n".join(lines) + "\n").encode("latin-1")


def build_pdf() -> bytes:
    stream = content_stream()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length " + str(len(stream)).encode("ascii") + b" >>\nstream\n" + stream
        + b"endstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode("ascii") + body + b"\nendobj\n"
    xref_offset = len(out)
    out += f"xref\n0 {len(objects) + 1}\n".encode("ascii")
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode("ascii")
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\n".encode("ascii")
    out += f"startxref\n{xref_offset}\n%%EOF\n".encode("ascii")
    return bytes(out)


def main() -> None:
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    TARGET.write_bytes(build_pdf())
    print(f"wrote {TARGET} ({TARGET.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
