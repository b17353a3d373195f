"""A list turned into an arrangement draft in one step: the list's name as the title, its
materials as the parts, in the list's order; the teacher goes on in the builder."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from oer_portal.accounts.policy import Actor
from oer_portal.arrangements import service as arrangements
from oer_portal.arrangements.structure import MAX_NODES, Node, NodeKind
from oer_portal.core.errors import Forbidden
from oer_portal.extensions import db
from oer_portal.lists import policy, service
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialKind


@dataclass(frozen=True)
class DraftFromList:
    material: Material
    #: How many of the list's materials could not be parts (withdrawn, not published,
    #: arrangements themselves, or beyond the outline's size).
    skipped: int


def draft_from_list(actor: Actor, list_id: int) -> DraftFromList:
    """A new arrangement draft from the actor's own list (teachers only).

    Only published materials that are not arrangements become parts (an arrangement never
    includes another); should the arrangement service still refuse a part (an unknown
    licence), that part is left out rather than the whole step failing.
    """
    material_list = service.own_list(actor, list_id)
    if not policy.can_make_arrangement(actor, material_list):
        raise Forbidden()
    on_list = service.item_ids(material_list.id)
    ids = service.published_material_ids(on_list)
    kinds = dict(db.session.execute(
        select(Material.id, Material.kind).where(Material.id.in_(ids))).all())
    parts = [material_id for material_id in ids
             if kinds.get(material_id) != MaterialKind.ARRANGEMENT][:MAX_NODES]
    skipped = len(on_list) - len(parts)
    fields = VersionFields(title=material_list.name, description=material_list.description)
    outline = [Node(NodeKind.MATERIAL, material_id=material_id) for material_id in parts]
    try:
        made = arrangements.create_arrangement(actor, fields, outline)
    except arrangements.InvalidOutline as error:
        refused = {index for index in error.errors if index is not None}
        outline = [node for index, node in enumerate(outline) if index not in refused]
        skipped += len(refused)
        made = arrangements.create_arrangement(actor, fields, outline)
    return DraftFromList(made, skipped)
