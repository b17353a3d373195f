"""The counts: one row per material, UTC day and kind of use, and nothing else.

No column can hold who used the material (no user, address, session or browser): the counts
are aggregated in memory (``counter.py``) and only the sums are written.  Rows follow their
material (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from oer_portal.core import public_state
from oer_portal.extensions import db

#: The kinds of use counted, as stored (``materials.usage.Use``'s values).
KINDS = ("view", "download")


class UsageCount(db.Model):
    __tablename__ = "usage_counts"
    __table_args__ = (
        CheckConstraint("kind IN ('view', 'download')", name="known_kind"),
        CheckConstraint("count > 0", name="positive_count"),
    )

    #: First in the primary key, so the key's index serves "one material's last 30 days".
    material_id: Mapped[int] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True)
    #: The UTC calendar day of the uses.
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)

public_state.never_shown(UsageCount)  # an author's figures, never the public's
