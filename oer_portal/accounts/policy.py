"""Who may do what with accounts.  Services and templates ask these, nothing else decides."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from oer_portal.accounts.models import Role, User
from oer_portal.core.errors import Forbidden


class Actor(Protocol):
    """Who acts: a ``User``, Flask-Login's anonymous user in a request, or :data:`PUBLIC`."""

    @property
    def is_authenticated(self) -> bool: ...


@dataclass(frozen=True)
class _Public:
    """Anyone at all: signed in as nobody and holding no role."""

    is_authenticated: bool = False


#: The public, for a service that asks what anyone may see whoever is acting (an arrangement
#: sent to review must show the public every material it includes), without reaching for
#: the web layer's anonymous user.
PUBLIC: Actor = _Public()


def _has(actor: Actor | None, role: Role) -> bool:
    return bool(actor and actor.is_authenticated and isinstance(actor, User)
                and actor.has_role(role))


def is_admin(actor: Actor | None) -> bool:
    return _has(actor, Role.ADMIN)


def is_teacher(actor: Actor | None) -> bool:
    return _has(actor, Role.TEACHER)


def is_moderator(actor: Actor | None) -> bool:
    return _has(actor, Role.MODERATOR)


def can_manage_roles(actor: Actor | None) -> bool:
    return is_admin(actor)


def can_decide_teacher_requests(actor: Actor | None) -> bool:
    return is_admin(actor)


def can_request_teacher_role(actor: Actor | None) -> bool:
    return bool(actor and actor.is_authenticated) and not is_teacher(actor)


def require(allowed: bool) -> None:
    """Raise :class:`Forbidden` unless ``allowed``."""
    if not allowed:
        raise Forbidden()


def can_manage_trust(actor: Actor | None) -> bool:
    """Moderators (and admins) decide whose submissions are published at once."""
    return is_moderator(actor) or is_admin(actor)
