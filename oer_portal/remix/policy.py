"""Who may remix what, and who hears about changes upstream.

Licences are a separate question (``licences.compatibility``): this module says whether the
*person* may remix this *version*; the licence engine says whether the *work* may be adapted
and under which licences.
"""

from __future__ import annotations

from oer_portal.accounts.policy import Actor
from oer_portal.materials import policy as material_policy
from oer_portal.materials.models import Material, MaterialVersion

#: Kinds a remix can copy completely (an arrangement's outline is copied through its kind's
#: hooks: ``materials.hooks``).
REMIXABLE_KINDS = frozenset({"lesson", "file", "link", "arrangement"})


def may_remix_at_all(actor: Actor | None) -> bool:
    """Remixing writes a new material: teachers (and admins) only."""
    return material_policy.can_create(actor)


def is_remixable_version(material: Material, version: MaterialVersion,
                         published_ids: frozenset[int]) -> bool:
    """Only what the public has seen can be remixed: never a draft, a pending or rejected
    version (not even by a moderator who can see it), nor anything of a withdrawn material."""
    return (not material.is_withdrawn and version.material_id == material.id
            and version.id in published_ids and material.kind in REMIXABLE_KINDS)


def can_remix(actor: Actor | None, material: Material, version: MaterialVersion,
              published_ids: frozenset[int]) -> bool:
    return may_remix_at_all(actor) and is_remixable_version(material, version, published_ids)


def can_follow_upstream(actor: Actor | None, remix: Material) -> bool:
    """Upstream notices, the upstream diff, dismiss and pull: whoever may edit the remix."""
    return remix.derived_from_version_id is not None and material_policy.can_edit(actor, remix)
