"""An export as web pages in a ZIP that work when opened from a disk (no server, no
network): ``index.html`` with the table of contents, ``parts/NNN-slug.html`` per part with
previous/next links, ``credits.html``, the portal's style sheets under ``css/`` and the
attachments under ``files/NNN-slug/``.  Every link between them is relative.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from flask import current_app

from oer_portal.arrangements.archive import ArchiveWriter, OpenBlob, render
from oer_portal.arrangements.export import Export, ExportFile, Part, file_places, with_file_links

#: The portal's style sheets the pages use, copied from ``static/css/``.
STYLE_SHEETS = ("portal.css", "markdown.css")


def write_offline(export: Export, target: BinaryIO, open_blob: OpenBlob,
                  locale: str) -> list[str]:
    """Stream ``export`` as web pages into ``target``; the names of the entries written."""
    with ArchiveWriter(target, export.written_at, open_blob) as archive:
        archive.text("index.html", render("arrangements/export/offline_index.html",
                                          export=export, root="", locale=locale))
        readable = export.readable
        places = file_places(export, _file_path)
        for position, part in enumerate(readable):
            page = f"parts/{part.folder}.html"
            archive.text(page, render(
                "arrangements/export/offline_part.html", export=export,
                part=with_file_links(export, part, page, places),
                root="../", locale=locale,
                previous=readable[position - 1] if position else None,
                following=readable[position + 1] if position + 1 < len(readable) else None))
            for file in part.files:
                archive.stored_file(_file_path(part, file), file)
        archive.text("credits.html", render("arrangements/export/offline_credits.html",
                                            export=export, root="", locale=locale))
        static = Path(current_app.static_folder or "static") / "css"
        for name in STYLE_SHEETS:
            archive.text(f"css/{name}", (static / name).read_bytes())
        return list(archive.names)


def _file_path(part: Part, file: ExportFile) -> str:
    return f"files/{part.folder}/{file.name}"
