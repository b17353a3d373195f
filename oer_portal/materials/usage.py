"""Who hears that a material was used: its page shown, one of its files downloaded.

The statistics for authors (the ``usage`` feature) count these, but materials imports no
feature: the views tell this registry, and the feature registers a listener when it is
imported, as it would register a panel (``panels.py``) or a publication listener
(``publishing.py``).  A listener is called inside the view, before the response exists; it
must not write to the database (the counting feature keeps its counts in memory and decides
after the response whether they count).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from oer_portal.accounts.policy import Actor
from oer_portal.materials.models import Material


class Use(StrEnum):
    #: The material's page showed the version the public sees now.
    VIEW = "view"
    #: One of the material's files was sent.
    DOWNLOAD = "download"


#: ``listener(actor, material, use)``: ``actor`` is being shown ``material`` this way.
UseListener = Callable[[Actor, Material, Use], None]

_LISTENERS: list[UseListener] = []


def on_used(listener: UseListener) -> None:
    """Call ``listener`` on every use; registering it again changes nothing (each app
    created imports the registering modules again)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def used(actor: Actor, material: Material, use: Use) -> None:
    """Tell every listener, in the order they registered."""
    for listener in _LISTENERS:
        listener(actor, material, use)
