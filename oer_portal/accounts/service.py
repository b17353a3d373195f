"""Account rules: registration, login, passwords, profiles, roles and teacher requests.

Every function takes the acting user and plain values, changes the session of the current
unit of work and never commits.  Checks come before changes, so a refused call leaves
nothing behind even if the caller forgets to roll back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import joinedload, with_expression

from oer_portal.accounts import passwords, policy, sessions
from oer_portal.accounts.models import (
    RequestStatus,
    Role,
    TeacherRequest,
    User,
    UserRole,
    new_session_token,
)
from oer_portal.accounts.policy import Actor
from oer_portal.core import audit
from oer_portal.core.errors import FieldError, NotFound, ValidationError
from oer_portal.core.types import utcnow
from oer_portal.extensions import db
from oer_portal.notifications import service as notifications
from oer_portal.notifications.models import NotificationKind, TargetType

MAX_PASSWORD_LENGTH = 4096
MAX_DISPLAY_NAME_LENGTH = 80
MAX_SCHOOL_LENGTH = 200
MAX_MOTIVATION_LENGTH = 4000


@dataclass(frozen=True)
class TeacherApplication:
    """What someone asking for the teacher role tells the admins."""

    school: str
    motivation: str


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


#: What waits for the moderators, as an expression of the user id column (``None`` for
#: users who are not moderators or admins): the moderation feature registers it
#: (``moderation.service.waiting_count_of``) because accounts cannot know what waits.
_staff_waiting: list[Callable[[ColumnElement[int]], ColumnElement[int | None]]] = []


def register_staff_waiting(
        expression: Callable[[ColumnElement[int]], ColumnElement[int | None]]) -> None:
    """Let the session loader read ``User.staff_waiting`` with ``expression``."""
    _staff_waiting[:] = [expression]


def load_session_user(cookie_id: str) -> User | None:
    """Flask-Login's loader: the user only if the cookie names a live session of theirs
    (``accounts.sessions``: its id and token, in one query with the user).

    The same query says whether a decision on a teacher request waits to be told
    (``User.unnoticed_decision_id``), how many notifications are unread and, for
    moderators, how much waits for them (the header's counts): every page asks, and pages
    have a query budget.
    """
    parsed = sessions.parse_cookie_id(cookie_id)
    if parsed is None:
        return None
    user_id, session_id, token = parsed
    found = db.session.execute(
        select(User, sessions.UserSession)
        .join(sessions.UserSession, sessions.UserSession.user_id == User.id)
        .where(User.id == user_id, sessions.UserSession.id == session_id)
        .options(joinedload(User.role_rows),
                 with_expression(User.unnoticed_decision_id, _unnoticed_decision()),
                 with_expression(User.unread_notifications,
                                 notifications.unread_count_of(User.id)),
                 *(with_expression(User.staff_waiting, expression(User.id))
                   for expression in _staff_waiting))
    ).unique().first()
    if found is None:
        return None
    user, row = found
    if not sessions.accept(user, row, cookie_id, token):
        return None
    return user


def _check_email(email: str) -> str:
    try:
        return normalise_email(validate_email(email, check_deliverability=False).normalized)
    except EmailNotValidError as error:
        raise FieldError("email", _("This is not a valid e-mail address.")) from error


def _check_display_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > MAX_DISPLAY_NAME_LENGTH:
        raise FieldError("display_name", _("A display name has 1 to %(max)d characters.",
                                           max=MAX_DISPLAY_NAME_LENGTH))
    return name


def _check_password(password: str) -> None:
    minimum = current_app.config["MIN_PASSWORD_LENGTH"]
    if not minimum <= len(password) <= MAX_PASSWORD_LENGTH:
        raise FieldError("password",
                         _("A password has at least %(min)d characters.", min=minimum))


def _check_application(application: TeacherApplication) -> TeacherApplication:
    """The application as it is stored (white space tidied), or the field that is missing."""
    school = " ".join(application.school.split())
    motivation = application.motivation.strip()
    if not school:
        raise FieldError("school", _("Fill in your school or institution."))
    if not motivation:
        raise FieldError("motivation", _("Tell us why you want the teacher role."))
    return TeacherApplication(school[:MAX_SCHOOL_LENGTH], motivation[:MAX_MOTIVATION_LENGTH])


def create_user(email: str, display_name: str, password: str, roles: Iterable[Role]) -> User:
    """Create a confirmed account with ``roles`` (the CLI, the demo data, tests): whoever
    makes it vouches for the address.  Self-registration is ``confirmation.register``."""
    email = _check_email(email)
    display_name = _check_display_name(display_name)
    _check_password(password)
    if find_by_email(email) is not None:
        raise FieldError("email", _("An account with this e-mail address already exists."))
    user = User(email=email, display_name=display_name,
                password_hash=passwords.hash_password(password), email_confirmed_at=utcnow())
    user.role_rows = [UserRole(role=role.value) for role in sorted(set(roles))]
    db.session.add(user)
    db.session.flush()
    audit.record("account.created", actor_id=user.id, target=("user", user.id),
                 details={"roles": sorted(r.value for r in roles)})
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user whose e-mail and password match, or ``None``; both outcomes are audited."""
    user = find_by_email(email)
    if user is None:
        passwords.burn_verification_time(password)
        audit.record("login.failed", details={"reason": "unknown account"})
        return None
    if not passwords.verify_password(user.password_hash, password):
        audit.record("login.failed", target=("user", user.id),
                     details={"reason": "wrong password"})
        return None
    if user.email_confirmed_at is None:  # issue 16: only after the password matched
        from oer_portal.accounts.confirmation import refuse_unconfirmed

        refuse_unconfirmed(user)  # raises AddressNotConfirmed
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    audit.record("login.succeeded", actor_id=user.id, target=("user", user.id))
    return user


def log_out_everywhere(user: User) -> None:
    """Invalidate every copy of every session cookie of ``user``."""
    user.session_token = new_session_token()
    sessions.end_all(user)
    audit.record("logout.everywhere", actor_id=user.id, target=("user", user.id))


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Replace the password; every other session of the user ends."""
    if not passwords.verify_password(user.password_hash, current_password):
        raise ValidationError(_("Your current password is not correct."))
    _check_password(new_password)
    user.password_hash = passwords.hash_password(new_password)
    user.session_token = new_session_token()
    sessions.end_all(user)  # the view starts a fresh one for this browser
    audit.record("password.changed", actor_id=user.id, target=("user", user.id))


def update_profile(user: User, display_name: str, locale: str | None) -> None:
    user.display_name = _check_display_name(display_name)
    set_locale(user, locale)


def set_locale(user: User | None, locale: str | None) -> None:
    """Remember the interface language on the account (``None`` means the default)."""
    if locale is not None and locale not in current_app.config["LANGUAGES"]:
        raise ValidationError(_("This language is not available."))
    if user is not None:
        user.locale = locale


# --- roles -------------------------------------------------------------------------------


def list_users(actor: Actor, query: str = "", page: int = 1, per_page: int = 50) -> Sequence[User]:
    """Users for the role admin page, optionally filtered by name or e-mail."""
    policy.require(policy.can_manage_roles(actor))
    statement = select(User).order_by(User.display_name, User.id)
    if query:
        pattern = f"%{query.strip().lower()}%"
        statement = statement.where(
            or_(func.lower(User.display_name).like(pattern), User.email.like(pattern))
        )
    statement = statement.limit(per_page + 1).offset((max(page, 1) - 1) * per_page)
    return db.session.scalars(statement).all()


def user_for_role_admin(actor: Actor, user_id: int) -> User:
    policy.require(policy.can_manage_roles(actor))
    return get_user(user_id)


def grant_role(actor: Actor, user_id: int, role: Role) -> None:
    policy.require(policy.can_manage_roles(actor))
    user = get_user(user_id)
    if user.has_role(role):
        return
    user.role_rows.append(UserRole(role=role.value))
    audit.record("role.granted", actor_id=_id(actor), target=("user", user.id),
                 details={"role": role.value})


def revoke_role(actor: Actor, user_id: int, role: Role) -> None:
    policy.require(policy.can_manage_roles(actor))
    user = get_user(user_id)
    if role is Role.ADMIN and user.id == _id(actor):
        raise ValidationError(_("You cannot take away your own admin role."))
    if not user.has_role(role):
        return  # nothing changes, so nothing is logged (as for a role granted twice)
    user.role_rows = [row for row in user.role_rows if row.role != role.value]
    audit.record("role.revoked", actor_id=_id(actor), target=("user", user.id),
                 details={"role": role.value})


def _id(actor: Actor) -> int | None:
    return actor.id if isinstance(actor, User) else None


# --- teacher requests --------------------------------------------------------------------


def pending_teacher_request(user: User) -> TeacherRequest | None:
    return db.session.scalar(
        select(TeacherRequest).where(TeacherRequest.user_id == user.id,
                                     TeacherRequest.status == RequestStatus.PENDING)
    )


def latest_teacher_request(user: User) -> TeacherRequest | None:
    return db.session.scalar(
        select(TeacherRequest).where(TeacherRequest.user_id == user.id)
        .order_by(TeacherRequest.id.desc()).limit(1)
    )


def request_teacher_role(user: User, school: str, motivation: str) -> TeacherRequest:
    policy.require(policy.can_request_teacher_role(user))
    if pending_teacher_request(user) is not None:
        raise ValidationError(_("You already have a request waiting for a decision."))
    application = _check_application(TeacherApplication(school, motivation))
    request = TeacherRequest(user_id=user.id, school=application.school,
                             motivation=application.motivation)
    db.session.add(request)
    db.session.flush()
    audit.record("teacher_request.created", actor_id=user.id,
                 target=("teacher_request", request.id))
    return request


def waiting_teacher_request_count(actor: Actor) -> int:
    """How many requests wait for an admin (the header shows it to admins)."""
    policy.require(policy.can_decide_teacher_requests(actor))
    return db.session.scalar(select(func.count()).select_from(TeacherRequest)
                             .where(TeacherRequest.status == RequestStatus.PENDING,
                                    _applicant_confirmed())) or 0


def pending_teacher_requests(actor: Actor) -> Sequence[TeacherRequest]:
    policy.require(policy.can_decide_teacher_requests(actor))
    return db.session.scalars(
        select(TeacherRequest).where(TeacherRequest.status == RequestStatus.PENDING,
                                     _applicant_confirmed())
        .order_by(TeacherRequest.created_at)
    ).all()


def get_teacher_request(actor: Actor, request_id: int) -> TeacherRequest:
    policy.require(policy.can_decide_teacher_requests(actor))
    request = db.session.get(TeacherRequest, request_id)
    if request is None or request.user.email_confirmed_at is None:
        raise NotFound()
    return request


def _applicant_confirmed() -> ColumnElement[bool]:
    """Admins see an application once its applicant confirmed the address (issue 16): an
    unconfirmed one may be someone else's address, and may be purged."""
    return TeacherRequest.user_id.in_(select(User.id).where(User.email_confirmed_at.is_not(None)))


def decide_teacher_request(actor: Actor, request_id: int, approve: bool, note: str = "") -> None:
    """Approve (grants the teacher role) or reject a pending request; the note is kept."""
    request = get_teacher_request(actor, request_id)
    if request.status != RequestStatus.PENDING:
        raise ValidationError(_("This request has already been decided."))
    request.status = RequestStatus.APPROVED if approve else RequestStatus.REJECTED
    request.decided_at = utcnow()
    request.decided_by_id = _id(actor)
    request.decision_note = note.strip() or None
    granted = approve and not request.user.has_role(Role.TEACHER)
    if granted:
        request.user.role_rows.append(UserRole(role=Role.TEACHER.value))
    details: dict[str, object] = {"user": request.user_id}
    if request.decision_note:
        details["note"] = request.decision_note
    if granted:
        details["role"] = Role.TEACHER.value
    audit.record("teacher_request." + request.status, actor_id=_id(actor),
                 target=("teacher_request", request.id), details=details)
    # The header tells the decision once (``claim_decision_notice``); the inbox keeps it.
    notifications.notify([request.user_id],
                         NotificationKind.TEACHER_APPROVED if approve
                         else NotificationKind.TEACHER_REJECTED,
                         (TargetType.TEACHER_REQUEST, request.id), actor_id=_id(actor))


# --- telling the applicant -----------------------------------------------------------------


def _unnoticed_decision() -> ColumnElement[int | None]:
    """The newest decided request of the user being loaded that they have not been told."""
    return (
        select(TeacherRequest.id)
        .where(TeacherRequest.user_id == User.id,
               TeacherRequest.status != RequestStatus.PENDING,
               TeacherRequest.notified_at.is_(None))
        .order_by(TeacherRequest.id.desc()).limit(1)
        .scalar_subquery()
    )


def claim_decision_notice(user: User, request_id: int) -> bool:
    """Record that ``user`` is being told the decision on ``request_id``.

    True for exactly one caller: two pages loading at the same moment show it once.  Older
    untold decisions of the same user (a request decided twice before they came back) are
    claimed with it; only the newest is worth telling.
    """
    claimed = db.session.execute(
        update(TeacherRequest)
        .where(TeacherRequest.user_id == user.id,
               TeacherRequest.id <= request_id,
               TeacherRequest.status != RequestStatus.PENDING,
               TeacherRequest.notified_at.is_(None))
        .values(notified_at=utcnow())
        .returning(TeacherRequest.id)
    ).scalars().all()
    return request_id in claimed


def decision_to_tell(user: User, request_id: int) -> TeacherRequest | None:
    """The decided request ``request_id`` if it is ``user``'s own (the id comes from their
    session, but a stale or foreign id must show nothing)."""
    request = db.session.get(TeacherRequest, request_id)
    if request is None or request.user_id != user.id or request.status == RequestStatus.PENDING:
        return None
    return request
