"""A list turned into an arrangement draft in one step: the list's name as the title, its
materials as the parts and its harvested records as link parts, in the list's order; the
teacher goes on in the builder."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from oer_portal.accounts.policy import Actor
from oer_portal.arrangements import service as arrangements
from oer_portal.arrangements.structure import MAX_NODES, MAX_TITLE, Node, NodeKind, is_web_address
from oer_portal.collections import records
from oer_portal.core.errors import Forbidden
from oer_portal.extensions import db
from oer_portal.lists import policy, service
from oer_portal.materials.metadata import VersionFields
from oer_portal.materials.models import Material, MaterialKind


@dataclass(frozen=True)
class DraftFromList:
    material: Material
    #: How many of the list's items could not be parts (withdrawn, not published,
    #: arrangements themselves, records deleted at their source, or beyond the outline's
    #: size).
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
    order = service.ordered_items(material_list.id)
    ids = set(service.published_material_ids([key for kind, key in order
                                              if kind == "material"]))
    kinds = dict(db.session.execute(
        select(Material.id, Material.kind).where(Material.id.in_(ids))).all()) if ids else {}
    linked = records.record_links(key for kind, key in order if kind == "record")
    outline: list[Node] = []
    for kind, key in order:
        if kind == "material" and key in ids and kinds.get(key) != MaterialKind.ARRANGEMENT:
            outline.append(Node(NodeKind.MATERIAL, material_id=key))
        elif kind == "record" and key in linked and not linked[key].deleted \
                and is_web_address(linked[key].url):
            record = linked[key]
            outline.append(Node(NodeKind.LINK, title=(record.title or record.url)[:MAX_TITLE],
                                url=record.url, record_id=record.record_id))
    outline = outline[:MAX_NODES]
    skipped = len(order) - len(outline)
    fields = VersionFields(title=material_list.name, description=material_list.description)
    try:
        made = arrangements.create_arrangement(actor, fields, outline)
    except arrangements.InvalidOutline as error:
        refused = {index for index in error.errors if index is not None}
        outline = [node for index, node in enumerate(outline) if index not in refused]
        skipped += len(refused)
        made = arrangements.create_arrangement(actor, fields, outline)
    return DraftFromList(made, skipped)
