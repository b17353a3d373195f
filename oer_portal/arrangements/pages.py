"""The arrangement on the material page: its table of contents and the credits of what it
includes.  Kept apart from the builder views so the material page can use it without
importing them (they build on the material views)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from oer_portal.accounts.policy import Actor
from oer_portal.arrangements import service, structure
from oer_portal.arrangements.structure import NodeKind, Outline, TreeNode
from oer_portal.licences.compatibility import collection_credit_note
from oer_portal.materials.models import Material, MaterialKind, MaterialVersion
from oer_portal.remix import views as remix_views


@dataclass(frozen=True)
class Overview:
    """The arrangement part of the material page."""

    tree: list[TreeNode]
    embedded: dict[int, service.Embedded]
    collection_note: str
    #: Part index → URL of its page, title as the reader sees it.
    urls: dict[int, str]
    titles: dict[int, str]
    #: (material id, version id) → the credits of an included material, each once.
    item_credits: dict[tuple[int, int], Markup]


def part_url(material: Material, version: MaterialVersion, permalink: bool, index: int) -> str:
    if permalink:
        return url_for("arrangements.version_part", material_id=material.id,
                       number=version.number, part=index + 1)
    return url_for("arrangements.part", material_id=material.id, slug=material.slug,
                   part=index + 1)


def overview(actor: Actor, material: Material, version: MaterialVersion,
             permalink: bool, with_credits: bool = True, outline: Outline | None = None
             ) -> Overview | None:
    """Called by the material page for an arrangement (``None`` for other kinds); the pages
    of its parts leave out the credits of every included material (``with_credits``) and
    pass the ``outline`` they read already."""
    if material.kind != MaterialKind.ARRANGEMENT:
        return None
    outline = outline if outline is not None else service.outline_of(version.id)
    embedded = service.resolve(actor, outline)
    return Overview(
        tree=structure.tree(outline), embedded=embedded,
        collection_note=collection_credit_note(str(get_locale())),
        urls={i: part_url(material, version, permalink, i) for i in range(len(outline))},
        titles=titles(outline, embedded),
        item_credits={(item.material_id, item.version.id): remix_views.credits_html(
            item.material, item.version) for item in embedded.values()
            if with_credits and item.version is not None})


def used_in(material: Material, version: MaterialVersion, permalink: bool
            ) -> list[tuple[Material, str]]:
    """The published arrangements that include the material, for its own page (not for
    arrangements, and not on the permalinks of versions)."""
    if permalink or material.kind == MaterialKind.ARRANGEMENT \
            or version.id != material.published_version_id:
        return []
    return service.used_in(material.id)


def titles(outline: Outline, embedded: dict[int, service.Embedded]) -> dict[int, str]:
    """The title of every part as the reader sees it (an included material's own title,
    or "not available" when the reader may not see it)."""
    result = {}
    for index, node in enumerate(outline):
        if node.kind != NodeKind.MATERIAL:
            result[index] = node.title
            continue
        item = embedded.get(index)
        result[index] = node.title or (item.version.title if item and item.version
                                       else _("Material not available"))
    return result
