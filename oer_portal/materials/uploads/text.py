"""Text: strict UTF-8 that no browser would take for a page, and CSV only when named so.

Text is what is left when no binary signature matched, so it is where HTML, SVG and XML
arrive; browsers sniff the first bytes, so markup there is refused whatever the name says.
Here the name is consulted in two cases only, and neither can make a file acceptable: it
chooses between the two text types (CSV only when it ends in ``.csv`` and the content
looks like one), and text named like a web page, a script or a program (``.html``, ``.js``,
``.bat``, ...) is refused, because it would be one where someone opens it.  Text must be
UTF-8, so that it reads the same for everyone who downloads it.
"""

from __future__ import annotations

import codecs
import csv
import re
from typing import BinaryIO

from oer_portal.materials.uploads.allowlist import CSV, READ_CHUNK, TEXT, FileType
from oer_portal.materials.uploads.messages import (
    MSG_EMPTY,
    MSG_HTML,
    MSG_NOT_UTF8,
    MSG_PROGRAM,
    MSG_SCRIPT,
    MSG_SVG,
    MSG_XML,
    refuse,
    refuse_unknown,
)
from oer_portal.materials.uploads.names import last_extension

#: Text whose name says it is one of these is refused: it would be a web page or a script
#: where someone opens it, even though we would offer it as .txt.
REFUSED_TEXT_EXTENSIONS = {
    **dict.fromkeys((".html", ".htm", ".xhtml", ".shtml", ".mht", ".mhtml", ".xht"), "html"),
    **dict.fromkeys((".svg", ".svgz"), "svg"),
    **dict.fromkeys((".xml", ".xsl", ".xslt", ".rss", ".atom"), "xml"),
    **dict.fromkeys((".js", ".mjs", ".cjs", ".jse", ".vbs", ".vbe", ".wsf", ".wsh", ".hta",
                     ".ps1", ".psm1", ".bat", ".cmd", ".sh", ".bash", ".zsh", ".command",
                     ".php", ".phtml", ".jsp", ".asp", ".aspx", ".scpt", ".applescript"),
                    "script"),
    **dict.fromkeys((".exe", ".dll", ".com", ".scr", ".msi", ".pif", ".cpl", ".jar", ".apk",
                     ".app", ".lnk", ".reg", ".inf"), "program"),
}
#: Markup that browsers treat as a page, or that starts an SVG or XML document.
_MARKUP_START = re.compile(r"\A\s*<(?:[!?/]|[A-Za-z])")
_SVG_MARKUP = re.compile(r"<svg[\s>/]|<!doctype\s+svg", re.IGNORECASE)
_HTML_MARKUP = re.compile(
    r"<(?:!doctype\s+html|html|head|body|script|iframe|frame|frameset|object|embed)[\s>/]",
    re.IGNORECASE)
#: Elements that make a document without a ``<?xml`` declaration an HTML fragment.
_HTML_FRAGMENT = re.compile(
    r"<(?:meta|style|link|base|form|img|a|div|span|p|table|h[1-6]|br|b|i|font|title)[\s>/]"
    r"|<!--", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[\s?]", re.IGNORECASE)
_DANGEROUS_MARKUP = re.compile(
    r"<(?:!doctype|html|head|body|script|iframe|frame|object|embed|svg|meta|\?xml)[\s>/]",
    re.IGNORECASE)
#: How much of a text file is searched for markup; browsers sniff the first 512 bytes.
_MARKUP_WINDOW = 1024
_SAMPLE_CHARS = 64 * 1024


def inspect_text(handle: BinaryIO, head: bytes, name: str) -> FileType:
    """Plain text or CSV: UTF-8 throughout, no markup at the start, no script's name."""
    # Markup first, read leniently: a page with some binary after it is still a page.
    window = head[:_MARKUP_WINDOW * 4].decode("utf-8-sig", "replace")[:_MARKUP_WINDOW]
    if _MARKUP_START.match(window) or _DANGEROUS_MARKUP.search(window):
        if _SVG_MARKUP.search(window):
            refuse(MSG_SVG)
        if _HTML_MARKUP.search(window):
            refuse(MSG_HTML)
        if not _XML_DECLARATION.match(window) and _HTML_FRAGMENT.search(window):
            refuse(MSG_HTML)
        refuse(MSG_XML)
    if window.startswith("#!"):
        refuse(MSG_SCRIPT)
    own_extension = last_extension(name)
    refused = REFUSED_TEXT_EXTENSIONS.get(own_extension)
    if refused:
        refuse({"html": MSG_HTML, "svg": MSG_SVG, "xml": MSG_XML, "script": MSG_SCRIPT,
                "program": MSG_PROGRAM}[refused])
    sample = _decode_utf8(handle)
    if not sample.strip():
        refuse(MSG_EMPTY)
    if own_extension == ".csv" and _looks_like_csv(sample):
        return CSV
    return TEXT


def _decode_utf8(handle: BinaryIO) -> str:
    """Decode the whole file strictly as UTF-8 (BOM allowed); return its first 64 k chars."""
    handle.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    sample: list[str] = []
    sample_length = 0
    try:
        while chunk := handle.read(READ_CHUNK):
            if b"\x00" in chunk:
                refuse_unknown()
            text = decoder.decode(chunk)
            if sample_length < _SAMPLE_CHARS:
                sample.append(text)
                sample_length += len(text)
        text = decoder.decode(b"", final=True)
        sample.append(text)
    except UnicodeDecodeError:
        refuse(MSG_NOT_UTF8)
    return "".join(sample)[:_SAMPLE_CHARS]


#: csv.Sniffer's regular expressions take super-linear time: 16 s on 64 kB of ``,"`` pairs,
#: under 0.1 s on 4 kB.  It only ever sees this much, cut at a line end when there is one.
_CSV_SNIFF_CHARS = 4096


def _looks_like_csv(sample: str) -> bool:
    head = sample[:_CSV_SNIFF_CHARS]
    if len(sample) > _CSV_SNIFF_CHARS and "\n" in head:
        head = head[:head.rindex("\n")]  # not half a line
    try:
        csv.Sniffer().sniff(head, delimiters=",;\t|")
    except csv.Error:
        return False
    return True
