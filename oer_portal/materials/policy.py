"""Who may see and change materials.  Services and templates ask these; nothing else decides.

The one rule that matters most: anything that is not (and never was) published — drafts,
pending revisions, rejected versions, withdrawn content — is visible only to the material's
authors, moderators and admins, through every channel.
"""

from __future__ import annotations

from oer_portal.accounts import policy as accounts_policy
from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.materials.models import Material, MaterialVersion


def _user(actor: Actor | None) -> User | None:
    return actor if actor is not None and actor.is_authenticated and isinstance(actor, User) \
        else None


def is_author(actor: Actor | None, material: Material) -> bool:
    user = _user(actor)
    return bool(user) and (user.id == material.owner_id or user.id in material.co_author_ids)


def is_staff(actor: Actor | None) -> bool:
    return accounts_policy.is_moderator(actor) or accounts_policy.is_admin(actor)


def can_create(actor: Actor | None) -> bool:
    return accounts_policy.is_teacher(actor) or accounts_policy.is_admin(actor)


def can_see_unpublished(actor: Actor | None, material: Material) -> bool:
    return is_author(actor, material) or is_staff(actor)


def can_view_material(actor: Actor | None, material: Material) -> bool:
    """Whether the material's page exists for ``actor``.  A withdrawn material that was
    published leaves a public tombstone; a draft that never was is gone for everyone but its
    authors and staff (its address would otherwise show its title in the slug)."""
    return material.published_version_id is not None or can_see_unpublished(actor, material)


def displayed_version_id(actor: Actor | None, material: Material) -> int | None:
    """The version the material's page shows ``actor``: the published one, or for its
    authors and staff the head while nothing is published; ``None`` for a tombstone."""
    if material.is_withdrawn and not can_see_unpublished(actor, material):
        return None
    return material.published_version_id or (
        material.latest_version_id if can_see_unpublished(actor, material) else None)


def can_view_version(actor: Actor | None, material: Material, version: MaterialVersion,
                     published_ids: frozenset[int]) -> bool:
    """``published_ids``: the versions of ``material`` that were ever published."""
    if can_see_unpublished(actor, material):
        return True
    return not material.is_withdrawn and version.id in published_ids


def can_edit(actor: Actor | None, material: Material) -> bool:
    if material.is_withdrawn:
        return False
    return is_author(actor, material) or accounts_policy.is_admin(actor)


def can_manage_authors(actor: Actor | None, material: Material) -> bool:
    """Only the owner (and admins) decide who else may edit."""
    user = _user(actor)
    return not material.is_withdrawn and bool(user) and (
        user.id == material.owner_id or accounts_policy.is_admin(user))


def can_withdraw(actor: Actor | None, material: Material) -> bool:
    return not material.is_withdrawn and (is_author(actor, material) or is_staff(actor))


def can_review(actor: Actor | None, material: Material, version: MaterialVersion) -> bool:
    """Moderators and admins, but never for their own work."""
    user = _user(actor)
    if user is None or not is_staff(user):
        return False
    return not is_author(user, material) and user.id != version.author_id


def can_moderate(actor: Actor | None, material: Material) -> bool:
    """Moderators and admins judge what others published, never their own work: a
    moderator who wrote the material would judge a report about it, or put it back after
    another moderator took it down (their own withdrawal is the authors' withdraw page)."""
    return is_staff(actor) and not is_author(actor, material)


def can_unpublish(actor: Actor | None, material: Material) -> bool:
    """A moderator takes a published material offline (a report, a post-review); a draft
    has nothing public to take down, and a withdrawn one is down already."""
    return can_moderate(actor, material) and not material.is_withdrawn \
        and material.published_version_id is not None


def can_reinstate(actor: Actor | None, material: Material) -> bool:
    """Only what a moderator took down comes back: an author's own withdrawal is their
    decision, which no moderator undoes."""
    return can_moderate(actor, material) and material.is_unpublished \
        and material.published_version_id is not None
