"""A collection another institution publishes over OAI-PMH, and the records harvested from it.

Harvested records are not materials: they have no owner, no versions and no review, and they
never enter this portal's own OAI-PMH output, sitemap or feeds (no re-publishing of others'
records).  They are found in the same search (the outbox's ``record`` entity), open at their
home page elsewhere, and can be put on lists and into arrangements as links.  A record the
source deleted is kept as a row with ``deleted`` set, so an incremental harvest can tell
"deleted" from "never seen" and the search drops it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oer_portal.core import public_state
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db

NAME_MAX = 80
URL_MAX = 1000
#: The metadata formats a collection may be harvested in.
PREFIXES = ("oai_dc", "lom")
#: The outbox entity type of a harvested record (``core.outbox.record_change``).
OUTBOX_ENTITY = "record"


class Collection(db.Model):
    __tablename__ = "collections"
    __table_args__ = (
        CheckConstraint("metadata_prefix IN ('oai_dc', 'lom')", name="known_prefix"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Shown with every result from it and used on the command line; unique.
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    base_url: Mapped[str] = mapped_column(String(URL_MAX))
    metadata_prefix: Mapped[str] = mapped_column(String(16), default="oai_dc")
    set_spec: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: The source's own ``responseDate`` of the last harvest that succeeded: the next
    #: harvest asks ``from`` it (the source's clock, not ours).
    harvested_until: Mapped[str | None] = mapped_column(String(32))
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why the last attempt failed (``None`` once a harvest succeeds), for the admin page.
    last_error: Mapped[str | None] = mapped_column(Text)

    records: Mapped[list[HarvestedRecord]] = relationship(
        back_populates="collection", cascade="all, delete-orphan", passive_deletes=True)


class HarvestedRecord(db.Model):
    __tablename__ = "harvested_records"
    __table_args__ = (
        UniqueConstraint("collection_id", "identifier", name="uq_harvested_record_identifier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True)
    #: The OAI identifier at the source.
    identifier: Mapped[str] = mapped_column(String(URL_MAX))
    #: The source's datestamp, as the source wrote it.
    datestamp: Mapped[str] = mapped_column(String(32), default="")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    title: Mapped[str] = mapped_column(String(URL_MAX), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    #: The record's home page elsewhere, where a result opens.
    url: Mapped[str] = mapped_column(String(URL_MAX), default="")
    #: An SPDX id when the source's licence is one the registry knows, else as the source
    #: wrote it (a deed URL or a free text).
    licence: Mapped[str] = mapped_column(String(URL_MAX), default="")
    language: Mapped[str] = mapped_column(String(16), default="")
    #: Lists of strings: vocabulary codes where the source's value matched one of the
    #: portal's terms, the source's value as-is otherwise.
    subjects: Mapped[list[str]] = mapped_column(JSON, default=list)
    levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The resource type as the source named it.
    kind: Mapped[str] = mapped_column(String(80), default="")
    harvested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    collection: Mapped[Collection] = relationship(back_populates="records")

# Harvested records are found by search and shown on pages of their own.
public_state.never_shown(Collection)
public_state.never_shown(HarvestedRecord)
