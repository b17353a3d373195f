"""Who may do what with lists.  The service, the panels and the templates ask this."""

from __future__ import annotations

from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.lists.models import MaterialList
from oer_portal.materials import policy as material_policy


def signed_in(actor: Actor | None) -> User | None:
    return actor if actor is not None and actor.is_authenticated and isinstance(actor, User) \
        else None


def can_keep_lists(actor: Actor | None) -> bool:
    """Every signed-in user, students included: the register page promises favourites."""
    return signed_in(actor) is not None


def is_owner(actor: Actor | None, material_list: MaterialList) -> bool:
    user = signed_in(actor)
    return user is not None and user.id == material_list.owner_id


def can_view(actor: Actor | None, material_list: MaterialList) -> bool:
    """A public list is for anyone with the link; a private one exists only for its owner
    (for everyone else, moderators included, it is *not found*)."""
    return material_list.is_public or is_owner(actor, material_list)


def can_make_arrangement(actor: Actor | None, material_list: MaterialList) -> bool:
    """The owner turns their list into an arrangement draft, if they may write materials."""
    return is_owner(actor, material_list) and material_policy.can_create(actor)
