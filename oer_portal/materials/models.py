"""Materials and their immutable versions, attachments and stored files.

A ``Material`` is the stable identity (``/materials/<id>-<slug>``) with two pointers: the
head (``latest_version_id``, where the next edit starts) and what the public sees
(``published_version_id``).  A ``MaterialVersion`` is written once and never changed or
deleted; the database refuses an UPDATE or DELETE on it (triggers in the migration).  Review
state is therefore not a column of the version: it lives in ``review_requests`` (moderation)
and ``material_publications`` (which versions were ever published).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oer_portal.accounts.models import User
from oer_portal.core import public_state
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db


class MaterialKind(StrEnum):
    LESSON = "lesson"
    FILE = "file"
    LINK = "link"
    ARRANGEMENT = "arrangement"


class MaterialStatus(StrEnum):
    #: Never published: only its authors, moderators and admins see it.
    DRAFT = "draft"
    PUBLISHED = "published"
    #: Taken down; a tombstone page says when and why.
    WITHDRAWN = "withdrawn"


class Material(db.Model):
    __tablename__ = "materials"
    __table_args__ = (
        CheckConstraint("kind IN ('lesson', 'file', 'link', 'arrangement')", name="known_kind"),
        CheckConstraint("status IN ('draft', 'published', 'withdrawn')", name="known_status"),
        # Selective harvesting (OAI-PMH ``from``/``until``) and its keyset pages.
        Index("ix_materials_oai_datestamp", "oai_datestamp", "id"),
        # The published materials newest first (home page, feeds, API list, profiles):
        # ``migrations/versions/0029_hot_indexes.py``.
        Index("ix_materials_status_published", "status", "published_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    #: URL slug from the first title; the id alone identifies the material.
    slug: Mapped[str] = mapped_column(String(120))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=MaterialStatus.DRAFT, index=True)
    #: The head: every edit starts from it; saving is a compare-and-swap on it.
    latest_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("material_versions.id", use_alter=True, name="fk_materials_latest_version"))
    #: What the public sees; stays on the old version while a new one waits for review.
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("material_versions.id", use_alter=True, name="fk_materials_published_version"))
    #: The ``id`` of the interchange format, for idempotent imports.
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    #: Set for remixes: the version this material was derived from.
    derived_from_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("material_versions.id", use_alter=True, name="fk_materials_derived_from"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When what the public sees of the material last changed: a version published, the
    #: material withdrawn, taken offline or put back (whole seconds).  ``None`` while it was
    #: never published.  Saving a draft never moves it, so it reveals no draft; the OAI-PMH
    #: provider (``oer_portal.oai``) gives it as the record's datestamp.
    oai_datestamp: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    #: Taken down by a moderator (``lifecycle.unpublish``), not by its authors: only such a
    #: withdrawal can be undone (``lifecycle.reinstate``), and its tombstone says so.
    withdrawn_by_moderation: Mapped[bool] = mapped_column(Boolean, default=False,
                                                          server_default=false())
    #: Links only: the last check of the URL (``None`` = not checked yet).
    link_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    link_ok: Mapped[bool | None] = mapped_column(Boolean)
    link_problem: Mapped[str | None] = mapped_column(String(200))

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    latest_version: Mapped[MaterialVersion | None] = relationship(
        foreign_keys=[latest_version_id], post_update=True)
    published_version: Mapped[MaterialVersion | None] = relationship(
        foreign_keys=[published_version_id], post_update=True)
    co_author_rows: Mapped[list[MaterialCoAuthor]] = relationship(
        cascade="all, delete-orphan", lazy="selectin")

    @property
    def co_author_ids(self) -> frozenset[int]:
        return frozenset(row.user_id for row in self.co_author_rows)

    @property
    def is_withdrawn(self) -> bool:
        return self.status == MaterialStatus.WITHDRAWN

    @property
    def is_unpublished(self) -> bool:
        """Withdrawn by a moderator (and so can be reinstated), not by its authors."""
        return self.is_withdrawn and self.withdrawn_by_moderation


class MaterialCoAuthor(db.Model):
    __tablename__ = "material_co_authors"

    material_id: Mapped[int] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)


class MaterialVersion(db.Model):
    """One immutable state of a material."""

    __tablename__ = "material_versions"
    __table_args__ = (UniqueConstraint("material_id", "number", name="uq_version_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"), index=True)
    #: 1, 2, 3 … per material.
    number: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    #: Markdown.
    body: Mapped[str] = mapped_column(Text, default="")
    #: The body rendered and sanitised once, when the version is written (versions never
    #: change, and some Markdown takes Python-Markdown seconds: pay it once, not per view).
    body_html: Mapped[str] = mapped_column(Text, default="")
    #: ISO 639-1.
    language: Mapped[str] = mapped_column(String(8))
    #: SPDX id from the licence registry.
    licence: Mapped[str] = mapped_column(String(32))
    #: Links only: the external resource (http/https).
    link_url: Mapped[str | None] = mapped_column(String(2000))
    #: Subjects, levels, keywords, objectives, resource type, duration, age range, authors'
    #: names of imported work, source URL, attribution line: see ``metadata.py``.
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The author's edit summary (empty for none).
    summary: Mapped[str] = mapped_column(String(500), default="")
    #: The version the edit started from (``None`` for the first).
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("material_versions.id"))
    #: Set when this version was made by reverting to an older one.
    reverted_from_id: Mapped[int | None] = mapped_column(ForeignKey("material_versions.id"))
    #: Set when this version was merged automatically after a concurrent edit.
    merged: Mapped[bool] = mapped_column(Boolean, default=False)

    material: Mapped[Material] = relationship(foreign_keys=[material_id])
    author: Mapped[User] = relationship(foreign_keys=[author_id], lazy="joined")
    attachments: Mapped[list[VersionAttachment]] = relationship(
        order_by="VersionAttachment.position", lazy="selectin")


class StoredFile(db.Model):
    """Bytes in the content-addressed file store, shared by every version that uses them."""

    __tablename__ = "stored_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(20))
    #: Text extracted for search (PDF, office documents); ``None`` when there is none.
    text: Mapped[str | None] = mapped_column(Text)
    has_thumbnail: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When these bytes were last stored (the first upload, or an upload of the same bytes
    #: since): the garbage collection's clock for the row, as the blob's modification time
    #: is for the file (``materials/storage_gc.py``).
    kept_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: When text and thumbnail were derived, whatever that yielded (a scan has no text);
    #: ``None``: not yet (a crash after the commit), so ``files derive-missing`` will.
    derived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class VersionAttachment(db.Model):
    """A file attached to one version (immutable with it)."""

    __tablename__ = "version_attachments"
    __table_args__ = (UniqueConstraint("version_id", "position", name="uq_attachment_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id"), index=True)
    position: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(ForeignKey("stored_files.sha256"), index=True)
    #: Sanitised name shown and used for downloads.
    filename: Mapped[str] = mapped_column(String(200))

    file: Mapped[StoredFile] = relationship(lazy="joined")


class MaterialPublication(db.Model):
    """Each time a version became what the public sees: the public history lists these."""

    __tablename__ = "material_publications"
    __table_args__ = (Index("ix_publication_material_version", "material_id", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class VocabularyTerm(db.Model):
    """Controlled vocabularies (subjects, levels, resource types, languages) as data."""

    __tablename__ = "vocabulary_terms"
    __table_args__ = (UniqueConstraint("vocabulary", "code", name="uq_vocabulary_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vocabulary: Mapped[str] = mapped_column(String(32))
    code: Mapped[str] = mapped_column(String(64))
    #: For levels: ``havo`` has parent ``secondary``.
    parent_code: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    label_nl: Mapped[str] = mapped_column(String(120))
    label_en: Mapped[str] = mapped_column(String(120))

    def label(self, locale: str) -> str:
        return self.label_nl if locale == "nl" else self.label_en

# What of the materials the public sees (``core.public_state``): a draft saved moves only
# ``latest_version_id``; a new version, its attachments and files show once a material's
# published version points at them.
public_state.shown_to_public(
    Material, hidden_columns=("latest_version_id", "updated_at", "link_checked_at"))
public_state.shown_to_public(MaterialCoAuthor)
public_state.shown_to_public(MaterialVersion, new_rows_shown=False)
public_state.shown_to_public(VersionAttachment, new_rows_shown=False)
public_state.shown_to_public(StoredFile, new_rows_shown=False)
public_state.shown_to_public(MaterialPublication)
public_state.shown_to_public(VocabularyTerm)
