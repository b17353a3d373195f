"""Who may rate what.  The service and the material page ask this; nothing else decides."""

from __future__ import annotations

from oer_portal.accounts import policy as account_policy
from oer_portal.accounts.models import User
from oer_portal.accounts.policy import Actor
from oer_portal.materials import policy as material_policy
from oer_portal.materials.models import Material


def is_rateable(material: Material) -> bool:
    """Only what the public can see now: a published, not withdrawn material.  A draft has no
    public to rate it, and a withdrawn material's rating would no longer be shown anywhere."""
    return material.published_version_id is not None and not material.is_withdrawn


def can_rate(actor: Actor | None, material: Material) -> bool:
    """Signed-in users rate published materials, but never their own work: an author's stars
    (owner or co-author) would only inflate the score that search ranks by."""
    return (actor is not None and actor.is_authenticated and isinstance(actor, User)
            and is_rateable(material) and not material_policy.is_author(actor, material))


def can_review(actor: Actor | None, material: Material) -> bool:
    """A written review comes with a rating, so the same people may write one."""
    return can_rate(actor, material)


def may_mark_used_in_class(actor: Actor | None) -> bool:
    """Only teachers say "used in my class": from a student it would mislead colleagues."""
    return account_policy.is_teacher(actor)
