"""A change proposal and its thread.

A proposal is version-like but never a version: it holds the proposed title, summary and
text beside the published version it started from (``base_version_id``), and becomes a real
version only when an author accepts it (``version_id``), through the same save path as any
edit.  It is never public: only its proposer, the material's authors and staff see it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from oer_portal.accounts.models import User
from oer_portal.core import public_state
from oer_portal.core.types import UTCDateTime, utcnow
from oer_portal.extensions import db
from oer_portal.materials.models import Material, MaterialVersion


class ProposalStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class ChangeProposal(db.Model):
    __tablename__ = "change_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    material_id: Mapped[int] = mapped_column(ForeignKey("materials.id", ondelete="CASCADE"))
    #: The published version the proposer started from: the merge base on accepting.
    base_version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id"))
    proposer_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    #: Why: the proposer's summary, shown to the authors and kept as the version's summary.
    summary: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default=ProposalStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Why it was declined (required then).
    reason: Mapped[str | None] = mapped_column(Text)
    #: The version an accepted proposal became.
    version_id: Mapped[int | None] = mapped_column(ForeignKey("material_versions.id"))

    material: Mapped[Material] = relationship()
    base_version: Mapped[MaterialVersion] = relationship(foreign_keys=[base_version_id])
    version: Mapped[MaterialVersion | None] = relationship(foreign_keys=[version_id])
    proposer: Mapped[User] = relationship(foreign_keys=[proposer_id])

    __table_args__ = (
        CheckConstraint("status IN ('open', 'accepted', 'declined', 'withdrawn')",
                        name="known_status"),
        Index("ix_change_proposals_material_status", "material_id", "status"),
        Index("ix_change_proposals_proposer_id", "proposer_id"),
    )

    @property
    def is_open(self) -> bool:
        return self.status == ProposalStatus.OPEN


class ProposalComment(db.Model):
    """One message in a proposal's thread (its proposer and the material's authors)."""

    __tablename__ = "proposal_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(
        ForeignKey("change_proposals.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()

# Accepted proposals name their authors in the credits; the thread stays with the authors.
public_state.shown_to_public(ChangeProposal)
public_state.never_shown(ProposalComment)
