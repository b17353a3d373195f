"""The outline of one arrangement version, stored as immutable rows in reading order.

A row belongs to a ``MaterialVersion`` and, like it, is written once: the database refuses
UPDATE and DELETE (triggers in the migration).  Editing an arrangement writes a new version
with a fresh outline, so every version keeps the structure it was published with.
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from oer_portal.arrangements.structure import MAX_URL, Node, NodeKind
from oer_portal.core import public_state
from oer_portal.extensions import db


class ArrangementNode(db.Model):
    __tablename__ = "arrangement_nodes"
    __table_args__ = (
        UniqueConstraint("version_id", "position", name="uq_arrangement_node_position"),
        CheckConstraint("kind IN ('section', 'page', 'material', 'link')",
                        name="known_node_kind"),
        # "Used in N arrangements" finds the rows that embed a material.
        Index("ix_arrangement_nodes_material_id", "material_id"),
        # Which outlines link a harvested record.
        Index("ix_arrangement_nodes_record_id", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("material_versions.id"))
    position: Mapped[int] = mapped_column()
    depth: Mapped[int] = mapped_column(default=0)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300), default="")
    #: A page's Markdown and its sanitised HTML, rendered once when the row is written.
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    material_id: Mapped[int | None] = mapped_column(ForeignKey("materials.id"))
    #: ``None``: the embedded material's newest published version is shown.
    pinned_version_id: Mapped[int | None] = mapped_column(ForeignKey("material_versions.id"))
    #: A link part's web address (its title is ``title``); the row keeps its own copy.
    url: Mapped[str] = mapped_column(String(MAX_URL), default="", server_default="")
    #: The harvested record a link was taken from.  Deliberately no foreign key: rows are
    #: immutable (``ON DELETE SET NULL`` would be a refused UPDATE) and removing a collection
    #: deletes its records; the link keeps working from its own title and address.
    record_id: Mapped[int | None] = mapped_column(Integer)

    def as_node(self) -> Node:
        return Node(kind=NodeKind(self.kind), depth=self.depth, title=self.title,
                    body=self.body, material_id=self.material_id,
                    pinned_version_id=self.pinned_version_id, url=self.url or "",
                    record_id=self.record_id)

# An arrangement's outline belongs to its version: it shows once the version is published.
public_state.shown_to_public(ArrangementNode, new_rows_shown=False)
