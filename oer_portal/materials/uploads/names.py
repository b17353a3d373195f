"""Display names: the name a browser sent, made safe to show on a page and in a header.

A file is stored under its hash, never under this name; the name is only shown and offered
as the download name.  So it must not carry a path (``../../etc/passwd``), line breaks that
could split a header, or bidi controls that make ``invoice\u202efdp.exe`` look like a PDF, and
it ends in the extension of the type detected from the content, not the one the user typed.
"""

from __future__ import annotations

import re
import unicodedata

from oer_portal.materials.uploads.allowlist import ALLOWED

FALLBACK_STEM = "bestand"
MAX_NAME_LENGTH = 150

PATH_SEPARATORS = re.compile(r"[/\\]")
_WHITESPACE = re.compile(r"\s+")
#: Characters that never belong in a shown name: controls (C0, DEL, C1), format characters
#: (bidi embeddings, overrides and isolates, LRM/RLM/ALM, zero-width joiners, BOM) and
#: surrogates.  Whitespace controls are turned into spaces before these are removed.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
#: What counts as an extension the user typed: a final dot and 1-5 letters or digits, at least
#: one of them a letter ("Versie 1.0" has none, "Breuken.Hoofdstuk" is too long).
_NAME_EXTENSION = re.compile(r"\.(?=[0-9]*[A-Za-z])[A-Za-z0-9]{1,5}$")
_CANONICAL_EXTENSION = re.compile(r"\.[a-z0-9]{1,10}")


def clean_characters(text: str) -> str:
    """``text`` without control and format characters, whitespace collapsed, in NFC."""
    text = _WHITESPACE.sub(" ", text)
    text = "".join(c for c in text if unicodedata.category(c) not in _DROPPED_CATEGORIES)
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text))


def _same_extensions(extension: str) -> tuple[str, ...]:
    for file_type in ALLOWED.values():
        if file_type.extension == extension:
            return (extension, *file_type.aliases)
    return (extension,)


def sanitise_filename(name: str, extension: str | None = None) -> str:
    """A name that is safe to show and to offer as a download name, ending in ``extension``.

    Directory parts (``/`` and ``\\``) go, as do control, bidi and other format characters;
    whitespace is collapsed, the result is NFC and at most 150 characters long, and never
    empty (``bestand``).  With ``extension`` (canonical, lowercase, e.g. ``".pdf"``) the name's
    own last extension is replaced by it, and a copy of it just before is not repeated:
    ``evil.pdf.exe`` detected as PDF becomes ``evil.pdf``, ``photo.jpeg`` detected as JPEG
    becomes ``photo.jpg``, ``Versie 1.0`` becomes ``Versie 1.0.pdf``.  Without ``extension``
    the name keeps its own.
    """
    if extension is not None and not _CANONICAL_EXTENSION.fullmatch(extension):
        raise ValueError(f"not a canonical extension: {extension!r}")
    text = clean_characters(name)
    text = PATH_SEPARATORS.split(text)[-1].strip(" .")
    own = _NAME_EXTENSION.search(text)
    if extension is None:
        extension = own.group().lower() if own else ""
        stem = text[:own.start()] if own else text
    else:
        stem = text[:own.start()] if own else text
        stem = stem.rstrip(" .")
        for same in _same_extensions(extension):
            if stem.lower().endswith(same) and len(stem) > len(same):
                stem = stem[:-len(same)]
                break
    stem = stem.rstrip(" .")[:MAX_NAME_LENGTH - len(extension)].rstrip(" .")
    return (stem or FALLBACK_STEM) + extension


def last_extension(name: str) -> str:
    """The lowercased text after the last dot of the name's last path part, dot included."""
    last = PATH_SEPARATORS.split(clean_characters(name))[-1].strip(" .").lower()
    return last[last.rfind("."):] if "." in last else ""
