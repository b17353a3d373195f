"""Attachments: from an uploaded stream to a ``StoredFile`` shared by every version using it.

The bytes go to a temporary file first; only after the content passed inspection are they
moved into the content-addressed store, so a refused upload leaves nothing behind.  Text
for search and a thumbnail are made once per distinct file.

A form that comes back with an error keeps the files it carried: they are stored already,
and the form holds a *claim* on each (``hold``), signed with the app's secret, bound to the
user and expiring, which ``redeem`` checks before the file is attached.  A hash alone
attaches nothing, so nobody can attach another user's file by knowing or guessing it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update

from oer_portal.core import blob_references
from oer_portal.core.errors import InvalidUpload
from oer_portal.core.storage import FileStore, file_store
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.materials.derivation import derive_after_commit, needs_derivation
from oer_portal.materials.models import StoredFile, VersionAttachment
from oer_portal.materials.uploads import inspect_upload

#: Every version's files are references that keep their blobs (``flask storage gc``).
blob_references.register("version_attachments", VersionAttachment.sha256)

#: How long (seconds) a form that came back may still attach the files it held: long enough
#: to fix a form, short enough that a copied page is of no use.  ``HELD_UPLOAD_MAX_AGE`` in
#: the configuration overrides it.
HELD_UPLOAD_MAX_AGE = 6 * 3600
#: Separates these signatures from every other use of the secret key.
_HOLD_SALT = "oer_portal.materials.held-upload"


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
    blob = store.keep(received)
    # Setting ``kept_at`` first makes the row fresh for the garbage collection (or finds
    # that it was just collected), in the same statement; see ``storage_gc``.
    existing = db.session.execute(
        update(StoredFile).where(StoredFile.sha256 == blob.sha256)
        .values(kept_at=utcnow())
        .returning(StoredFile.derived_at, StoredFile.has_thumbnail)).first()
    if existing is None:
        db.session.add(StoredFile(sha256=blob.sha256, size=blob.size,
                                  media_type=inspected.media_type, category=inspected.category,
                                  text=None, has_thumbnail=False))
        db.session.flush()
        derive_after_commit(blob.sha256)
    elif needs_derivation(store, blob.sha256, existing.derived_at is not None,
                          existing.has_thumbnail):
        derive_after_commit(blob.sha256)  # a crash lost it: these bytes bring it back
    return AttachmentRef(blob.sha256, inspected.display_name)


def attach(version_id: int, refs: Iterable[AttachmentRef]) -> None:
    """Write the attachment rows of a new version (they are immutable with it)."""
    for position, ref in enumerate(refs, start=1):
        db.session.add(VersionAttachment(version_id=version_id, position=position,
                                         sha256=ref.sha256, filename=ref.filename))


def refs_of(attachments: Iterable[VersionAttachment]) -> list[AttachmentRef]:
    return [AttachmentRef(a.sha256, a.filename) for a in attachments]


def _claims() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_HOLD_SALT)


def hold(user_id: int, ref: AttachmentRef) -> str:
    """A claim on a stored file that only ``user_id`` can redeem, for a while: the form
    that came back carries it instead of the file."""
    return _claims().dumps({"user": user_id, "sha256": ref.sha256, "name": ref.filename})


def redeem(user_id: int, claim: str) -> AttachmentRef:
    """The file ``claim`` holds for ``user_id``; ``InvalidUpload`` for a claim that is
    altered, expired, someone else's, or for a file no longer stored.  The refusal does not
    say which: it tells a prober nothing and the user what to do."""
    max_age = int(current_app.config.get("HELD_UPLOAD_MAX_AGE", HELD_UPLOAD_MAX_AGE))
    try:
        held = _claims().loads(claim, max_age=max_age)
    except SignatureExpired as error:
        raise InvalidUpload(_("A file you added earlier was kept too long to attach now. "
                              "Add it again.")) from error
    except BadSignature as error:
        raise _lost() from error
    if (not isinstance(held, dict) or held.get("user") != user_id
            or not isinstance(held.get("sha256"), str) or not isinstance(held.get("name"), str)
            or db.session.get(StoredFile, held["sha256"]) is None):
        raise _lost()
    return AttachmentRef(held["sha256"], held["name"])


def _lost() -> InvalidUpload:
    return InvalidUpload(_("A file you added earlier could not be kept. Add it again."))
