"""Writing an export's files into a ZIP without holding them in memory.

Both exports (``cartridge.py``, ``offline.py``) put the same kinds of entries in a ZIP:
small texts rendered here and attachments of any size from the file store.  Attachments
are copied in chunks through ``ZipFile.open(…, "w")``, so the memory an export needs does
not grow with its files; already compressed files (images, PDF, office documents, audio,
video) are stored as they are, which costs no time and loses nothing.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from datetime import datetime
from typing import Any, BinaryIO

from flask import current_app

from oer_portal.arrangements.export import ExportFile
from oer_portal.remix.credits import licence_label

#: ``open_blob(sha256)``: a stored file's bytes, opened for reading (``core.storage``).
OpenBlob = Callable[[str], BinaryIO]

COPY_CHUNK = 256 * 1024
_COMPRESSED_PREFIXES = ("image/", "audio/", "video/")
_COMPRESSED_TYPES = ("pdf", "zip", "openxmlformats", "opendocument", "epub")


def is_compressed(media_type: str) -> bool:
    """Whether deflating the file would only cost time (SVG is text, so it is not)."""
    media_type = media_type.lower()
    return (media_type.startswith(_COMPRESSED_PREFIXES) and "svg" not in media_type) \
        or any(word in media_type for word in _COMPRESSED_TYPES)


class ArchiveWriter:
    """A ZIP being written to ``target`` (any writable binary file, seekable or not), every
    entry dated ``written_at``."""

    def __init__(self, target: BinaryIO, written_at: datetime, open_blob: OpenBlob) -> None:
        self.zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED)
        self.date_time = max(written_at.timetuple()[:6], (1980, 1, 1, 0, 0, 0))
        self.open_blob = open_blob
        #: Every entry written, in order (the manifest lists them; tests compare).
        self.names: list[str] = []

    def _info(self, name: str, compress: bool) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.date_time)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        return info

    def text(self, name: str, content: str | bytes) -> None:
        data = content.encode() if isinstance(content, str) else content
        self.zip.writestr(self._info(name, compress=True), data)
        self.names.append(name)

    def stored_file(self, name: str, file: ExportFile) -> None:
        """An attachment, streamed from the store in chunks."""
        info = self._info(name, compress=not is_compressed(file.media_type))
        info.file_size = file.size
        with self.open_blob(file.sha256) as source, self.zip.open(info, "w") as sink:
            shutil.copyfileobj(source, sink, COPY_CHUNK)
        self.names.append(name)

    def close(self) -> None:
        self.zip.close()

    def __enter__(self) -> ArchiveWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


def render(template: str, **context: Any) -> str:
    """A template of ``templates/arrangements/export/`` rendered without a request (the CLI
    exports too): no context processors, so the templates get all they read here."""
    def label(spdx: str) -> tuple[str, str | None]:
        return licence_label(spdx, context.get("locale", "en"))

    return current_app.jinja_env.get_template(template).render(
        licence_label=label, **context)
