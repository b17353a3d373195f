"""Who may register, harvest and remove collections: administrators, and whoever runs the
command line on the server (it has the database anyway)."""

from __future__ import annotations

from dataclasses import dataclass

from oer_portal.accounts.policy import Actor, is_admin


@dataclass(frozen=True)
class _Operator:
    """The command line (``flask collections …``) and the scheduled harvest: no user."""

    is_authenticated: bool = False


#: The actor of the command line and the scheduled harvest.
OPERATOR: Actor = _Operator()


def can_manage_collections(actor: Actor | None) -> bool:
    return actor is OPERATOR or is_admin(actor)
