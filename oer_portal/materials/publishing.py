"""Who hears that a version became public, or that a review continues with a new version.

Publishing is the lifecycle's own step (``lifecycle.publish``: a moderator's approval, an
admin's import, the demo data).  Features that build on materials react to it (the remix
feature tells the owners of remixes that their original has a new version) without
materials importing them: they register a listener when they are imported, as they register
hooks (``hooks.py``) and panels (``panels.py``).

A listener runs inside ``publish``, in the unit of work of the publication, so what it
writes (a notification) is committed with the publication or not at all.  It must not do
slow or outside work itself (an e-mail): that is registered with ``on_commit``.
"""

from __future__ import annotations

from collections.abc import Callable

from oer_portal.accounts.models import User
from oer_portal.materials.models import Material, MaterialVersion
from oer_portal.materials.reviews import ReviewRequest

#: ``listener(material, version, by)``: ``version`` of ``material`` was just made public by
#: ``by`` (``None``: the portal itself, as an import without a user).
PublishListener = Callable[[Material, MaterialVersion, User | None], None]

_LISTENERS: list[PublishListener] = []


def on_published(listener: PublishListener) -> None:
    """Call ``listener`` on every publication; registering it again changes nothing (an app
    is created per test, and each creation imports the registering modules' code again)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def published(material: Material, version: MaterialVersion, by: User | None) -> None:
    """Tell every listener, in the order they registered."""
    for listener in _LISTENERS:
        listener(material, version, by)


#: ``listener(request, by)``: ``by`` submitted a new version within the review ``request``
#: (its ``version`` is the new one), which waits again (or, for a trusted author, is
#: published again and waits for post-review).
ResubmitListener = Callable[[ReviewRequest, User], None]

_RESUBMIT_LISTENERS: list[ResubmitListener] = []


def on_resubmitted(listener: ResubmitListener) -> None:
    """Call ``listener`` whenever a review continues with a new version (the moderation
    feature tells the moderators who took part); idempotent like :func:`on_published`."""
    if listener not in _RESUBMIT_LISTENERS:
        _RESUBMIT_LISTENERS.append(listener)


def resubmitted(request: ReviewRequest, by: User) -> None:
    for listener in _RESUBMIT_LISTENERS:
        listener(request, by)
