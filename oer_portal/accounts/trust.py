"""Trusted teachers: a moderator trusts a teacher, whose submissions are then published at
once and looked at afterwards (post-review, ``materials.lifecycle.submit_for_review`` and
``moderation.post_review``).

Trust lives with the accounts, not with moderation, because ``materials`` asks it on every
submission and may import ``accounts`` but no feature.  Only a teacher can be trusted, and
trust counts only while the user holds the teacher role (a role taken away takes the trust
with it, without a second step).  Every grant and revocation is audited in the caller's
unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import aliased

from oer_portal.accounts import policy
from oer_portal.accounts.models import Role, TrustedTeacher, User, UserRole
from oer_portal.accounts.policy import Actor
from oer_portal.accounts.policy import require as require_permission
from oer_portal.core import audit
from oer_portal.core.errors import NotFound, ValidationError
from oer_portal.core.types import utcnow
from oer_portal.extensions import db

#: A longer note is cut (the form says so before sending).
MAX_NOTE_LENGTH = 1000
#: How many teachers a search on the trust page lists at most.
SEARCH_LIMIT = 20


def is_trusted(actor: Actor | None) -> bool:
    """``actor`` is a teacher whom a moderator trusts (one statement)."""
    if not policy.is_teacher(actor):
        return False
    user_id = actor.id  # type: ignore[union-attr]
    return bool(db.session.scalar(select(exists().where(TrustedTeacher.user_id == user_id))))


@dataclass(frozen=True)
class TrustedRow:
    """One trusted teacher as the trust page lists them."""

    user_id: int
    name: str
    email: str
    granted_at: datetime
    granted_by: str | None
    note: str | None
    #: Still a teacher (trust without the role counts for nothing; the list says so).
    is_teacher: bool


@dataclass(frozen=True)
class Candidate:
    """A user a search on the trust page found."""

    user_id: int
    name: str
    email: str
    is_teacher: bool
    trusted: bool


def trusted_teachers(actor: Actor) -> Sequence[TrustedRow]:
    """Every trusted teacher, newest trust first, in one statement."""
    require_permission(policy.can_manage_trust(actor))
    granter = aliased(User)
    teacher = exists().where(UserRole.user_id == User.id, UserRole.role == Role.TEACHER)
    rows = db.session.execute(
        select(User.id, User.display_name, User.email, TrustedTeacher.granted_at,
               granter.display_name, TrustedTeacher.note, teacher)
        .join(TrustedTeacher, TrustedTeacher.user_id == User.id)
        .outerjoin(granter, granter.id == TrustedTeacher.granted_by_id)
        .order_by(TrustedTeacher.granted_at.desc(), User.id))
    return [TrustedRow(*row) for row in rows]


def find_users(actor: Actor, query: str) -> Sequence[Candidate]:
    """Users whose name or e-mail address contains ``query`` (teachers first), for the
    form that grants trust; empty for an empty query."""
    require_permission(policy.can_manage_trust(actor))
    query = (query or "").strip().lower()[:254]
    if not query:
        return []
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    teacher = exists().where(UserRole.user_id == User.id, UserRole.role == Role.TEACHER)
    trusted = exists().where(TrustedTeacher.user_id == User.id)
    rows = db.session.execute(
        select(User.id, User.display_name, User.email, teacher, trusted)
        .where(or_(func.lower(User.display_name).like(pattern, escape="\\"),
                   User.email.like(pattern, escape="\\")))
        .order_by(teacher.desc(), User.display_name, User.id).limit(SEARCH_LIMIT))
    return [Candidate(*row) for row in rows]


def grant(actor: User, user_id: int, note: str = "") -> TrustedTeacher:
    """Trust the teacher ``user_id``.  Refused: for anyone but a moderator or admin
    (``Forbidden``), to oneself (a moderator does not vouch for their own work), to a user
    without the teacher role, and twice."""
    require_permission(policy.can_manage_trust(actor))
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    if user.id == actor.id:
        raise ValidationError(_("You cannot trust yourself: another moderator decides."))
    if not user.has_role(Role.TEACHER):
        raise ValidationError(_("Only teachers can be trusted: %(name)s is not a teacher.",
                                name=user.display_name))
    if db.session.get(TrustedTeacher, user.id) is not None:
        raise ValidationError(_("%(name)s is already trusted.", name=user.display_name))
    note = (note or "").strip()[:MAX_NOTE_LENGTH]
    row = TrustedTeacher(user_id=user.id, granted_by_id=actor.id, granted_at=utcnow(),
                         note=note or None)
    db.session.add(row)
    db.session.flush()
    audit.record("trust.granted", actor_id=actor.id, target=("user", user.id),
                 details={"note": note})
    return row


def revoke(actor: User, user_id: int, note: str = "") -> None:
    """Take the trust back: the teacher's next submission waits in the queue again (what
    is already published stays, and stays in post-review until a moderator looked)."""
    require_permission(policy.can_manage_trust(actor))
    row = db.session.get(TrustedTeacher, user_id)
    if row is None:
        raise ValidationError(_("This teacher is not trusted (any more)."))
    note = (note or "").strip()[:MAX_NOTE_LENGTH]
    db.session.delete(row)
    db.session.flush()
    audit.record("trust.revoked", actor_id=actor.id, target=("user", user_id),
                 details={"note": note})
