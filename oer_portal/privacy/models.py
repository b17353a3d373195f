"""The erasure mark: the one deliberate permission to delete a never-published material's
immutable rows (migration 0026_account_deletion)."""

from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from oer_portal.core import public_state
from oer_portal.extensions import db


class ErasureMark(db.Model):
    """"This material is being erased": written by the account deletion just before it
    deletes a draft, in the same transaction, and gone with the material (cascade).

    The database triggers on ``material_versions``, ``version_attachments`` and
    ``arrangement_nodes`` allow a DELETE only for a marked material that was never published,
    so no other code path (and no mistake) can delete a version, and no mark can delete a
    version anyone could ever see, cite or remix.
    """

    __tablename__ = "erasure_marks"

    material_id: Mapped[int] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True)

public_state.never_shown(ErasureMark)  # an erasure changes ``users`` and the rest
