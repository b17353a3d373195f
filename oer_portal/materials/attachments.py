"""Attachments: from an uploaded stream to a ``StoredFile`` shared by every version using it.

The bytes go to a temporary file first; only after the content passed inspection are they
moved into the content-addressed store, so a refused upload leaves nothing behind.  Text
for search and a thumbnail are made once per distinct file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import BinaryIO

from flask import current_app
from sqlalchemy import update

from oer_portal.core.storage import FileStore, file_store
from oer_portal.core.uow import current_uow
from oer_portal.extensions import db
from oer_portal.materials.extract import extract_text, make_thumbnail
from oer_portal.materials.models import StoredFile, VersionAttachment
from oer_portal.materials.uploads import InspectedFile, inspect_upload

THUMBNAIL_NAME = "thumb.png"


@dataclass(frozen=True)
class Upload:
    """A file as it arrives: the stream and the name the user's computer gave it."""

    stream: BinaryIO
    filename: str


@dataclass(frozen=True)
class AttachmentRef:
    """A file already in the store, attached under ``filename``."""

    sha256: str
    filename: str


def store_upload(upload: Upload, store: FileStore | None = None) -> AttachmentRef:
    """Receive, inspect and keep one upload; raises ``InvalidUpload`` and keeps nothing.

    Text extraction and the thumbnail are derived after the commit (they can take seconds
    for a large PDF, and SQLite's write lock is held until the commit).
    """
    store = store or file_store()
    received = store.receive(upload.stream, current_app.config["MAX_UPLOAD_BYTES"])
    try:
        inspected = inspect_upload(received.path, upload.filename)
    except Exception:
        store.discard(received)
        raise
    existing = db.session.get(StoredFile, received.sha256)
    blob = store.keep(received)
    if existing is None:
        db.session.add(StoredFile(sha256=blob.sha256, size=blob.size,
                                  media_type=inspected.media_type, category=inspected.category,
                                  text=None, has_thumbnail=False))
        db.session.flush()
        current_uow().on_commit(partial(derive, blob.sha256, inspected))
    return AttachmentRef(blob.sha256, inspected.display_name)


def derive(sha256: str, inspected: InspectedFile) -> None:
    """Make the text for search and the thumbnail of a stored file, in a transaction of its
    own.  A projection: running it again gives the same result."""
    store = file_store()
    path = store.path(sha256)
    thumbnail = make_thumbnail(path, inspected)
    if thumbnail is not None:
        store.write_derived(sha256, THUMBNAIL_NAME, thumbnail)
    text = extract_text(path, inspected)
    db.session.execute(update(StoredFile).where(StoredFile.sha256 == sha256).values(
        text=text, has_thumbnail=thumbnail is not None))
    db.session.commit()


def attach(version_id: int, refs: Iterable[AttachmentRef]) -> None:
    """Write the attachment rows of a new version (they are immutable with it)."""
    for position, ref in enumerate(refs, start=1):
        db.session.add(VersionAttachment(version_id=version_id, position=position,
                                         sha256=ref.sha256, filename=ref.filename))


def refs_of(attachments: Iterable[VersionAttachment]) -> list[AttachmentRef]:
    return [AttachmentRef(a.sha256, a.filename) for a in attachments]
