"""E-mail-verified accounts: registration that tells nobody whether an address has an account,
a signed link that confirms the address, and the rule that an unconfirmed account cannot log
in.

Why this shape: the registration form used to answer "an account with this e-mail address
already exists", so anyone could test addresses.  Now every registration that passes the
form's checks gets the same answer ("check your inbox"), and the difference goes to the
address's owner by e-mail: a new address gets a confirmation link, an address that has an
account gets "someone tried to register with your address" and nothing else happens (no
second account; the typed name and password are discarded).  Both branches hash the password
and both give the caller one e-mail to send once the answer has gone out
(``core.mail.send_after_answer``), so neither takes noticeably longer.

The link is a token signed with the app's ``SECRET_KEY`` and a salt of its own (so no other
signed value of the portal can stand in for it), holding the account id and its address (a
link stops working if the address changes); it expires after ``EMAIL_CONFIRMATION_HOURS``.
Confirming twice is harmless.  Accounts made by the command line, the demo loader or an
administrator are confirmed when made (``service.create_user``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import force_locale, gettext
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from oer_portal.accounts import passwords, service
from oer_portal.accounts.models import Role, TeacherRequest, User, UserRole
from oer_portal.core import audit
from oer_portal.core.audit import AuditEntry
from oer_portal.core.errors import DomainError
from oer_portal.core.mail import Letter, reader_locale
from oer_portal.core.mail import subject as mail_subject
from oer_portal.core.types import utcnow
from oer_portal.core.web import absolute_url
from oer_portal.extensions import db

#: Signs confirmation links only: a token signed for another purpose (a password reset, the
#: session) does not verify with it.
SALT = "oer-portal.email-confirmation"


class LinkRefused(DomainError):
    """The confirmation link is not one the portal made, is for another account state, or
    has expired (``expired``): the page says which and offers a new link."""

    status_code = 400
    default_message = _l("This confirmation link is not valid.")

    def __init__(self, expired: bool = False) -> None:
        super().__init__(str(_l("This confirmation link has expired.")) if expired else None)
        self.expired = expired


class AddressNotConfirmed(DomainError):
    """The password was right but the account's address is not confirmed yet: no login.
    Raised only after the password matched, so it tells nothing to someone guessing."""

    status_code = 403
    default_message = _l("Your e-mail address is not confirmed yet.")

    def __init__(self, email: str) -> None:
        super().__init__()
        self.email = email


# --- the link ------------------------------------------------------------------------------


def payload_of(user: User) -> dict[str, Any]:
    """What a confirmation link carries: the account and the address it confirms."""
    return {"user": user.id, "email": user.email}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(user: User) -> str:
    return _serializer().dumps(payload_of(user))


def _lifetime_seconds() -> int:
    return int(current_app.config["EMAIL_CONFIRMATION_HOURS"] * 3600)


def user_of_token(token: str) -> User:
    """The account ``token`` confirms, or :class:`LinkRefused`; changes nothing."""
    try:
        data = _serializer().loads(token, max_age=_lifetime_seconds())
    except SignatureExpired as error:
        raise LinkRefused(expired=True) from error
    except BadSignature as error:
        raise LinkRefused() from error
    if not isinstance(data, Mapping):
        raise LinkRefused()
    user_id, email = data.get("user"), data.get("email")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not isinstance(email, str):
        raise LinkRefused()
    user = db.session.get(User, user_id)
    if user is None or user.email != email:
        raise LinkRefused()
    return user


def confirm(token: str) -> User:
    """Mark the address of the link's account confirmed (once; a second time changes
    nothing)."""
    user = user_of_token(token)
    mark_confirmed(user)
    return user


def mark_confirmed(user: User) -> None:
    """The owner opened a link mailed to the address (this one, or a password reset)."""
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record("account.email_confirmed", target=("user", user.id))


def refuse_unconfirmed(user: User) -> None:
    """Login's rule: an account whose address is not confirmed does not log in."""
    if user.email_confirmed_at is None:
        audit.record("login.failed", target=("user", user.id),
                     details={"reason": "address not confirmed"})
        raise AddressNotConfirmed(user.email)


# --- registering ---------------------------------------------------------------------------


def register(email: str, display_name: str, password: str,
             application: service.TeacherApplication | None, locale: str) -> list[Letter]:
    """Self-service registration; the same outcome for the caller whether or not ``email``
    has an account, and the e-mail to send once the answer has gone out.

    A new address gets an unconfirmed student account (with its teacher application, which
    admins see once the address is confirmed) and a confirmation link; an address with an
    account gets a warning to its owner (a new link if that account is still unconfirmed)
    and nothing changes.  ``locale`` is the interface
    language of the request, the language of the e-mail to a new address.  Refusals
    (:class:`FieldError`) depend only on what was typed, never on the database.
    """
    if application is not None:
        application = service._check_application(application)
    email = service._check_email(email)
    display_name = service._check_display_name(display_name)
    service._check_password(password)
    password_hash = passwords.hash_password(password)  # both branches take this time
    owner = service.find_by_email(email)
    if owner is None:
        user = _new_unconfirmed(email, display_name, password_hash)
        if user is not None:
            _keep_application(user, application)
            return [confirmation_letter(user, locale)]
        owner = service.find_by_email(email)  # registered at the same moment
        if owner is None:
            return []
    audit.record("registration.address_taken", target=("user", owner.id))
    if owner.email_confirmed_at is None:
        # Registered before and lost the e-mail: a new link is what the owner needs (what
        # was typed this time is discarded all the same).
        return [confirmation_letter(owner, owner.locale or locale)]
    return [address_taken_letter(owner)]


def _new_unconfirmed(email: str, display_name: str, password_hash: str) -> User | None:
    """The new account, or ``None`` when another request took the address just now."""
    user = User(email=email, display_name=display_name, password_hash=password_hash,
                email_confirmed_at=None)
    user.role_rows = [UserRole(role=Role.STUDENT.value)]
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        return None
    # No actor: an unconfirmed account has done nothing yet, and an audit row naming it as
    # actor would keep it from being purged (audit rows are never changed).
    audit.record("account.created", target=("user", user.id),
                 details={"roles": [Role.STUDENT.value]})
    return user


def _keep_application(user: User, application: service.TeacherApplication | None) -> None:
    if application is None:
        return
    request = TeacherRequest(user_id=user.id, school=application.school,
                             motivation=application.motivation)
    db.session.add(request)
    db.session.flush()
    audit.record("teacher_request.created", target=("teacher_request", request.id),
                 details={"user": user.id})


def send_again(email: str, locale: str) -> list[Letter]:
    """"Send the link again": a new link to an account that waits for confirmation; nothing
    for any other address (the caller answers the same way for all, and sends what this
    returns once the answer has gone out, so the mail server's time tells nothing)."""
    try:
        email = service.normalise_email(
            validate_email(email, check_deliverability=False).normalized)
    except EmailNotValidError:
        return []
    user = service.find_by_email(email)
    if user is not None and user.email_confirmed_at is None:
        return [confirmation_letter(user, user.locale or locale)]
    return []


def purge_unconfirmed(older_than_days: int | None = None) -> int:
    """Remove self-registered accounts still unconfirmed after ``UNCONFIRMED_ACCOUNT_DAYS``
    (their teacher applications go with them); returns how many.  An account that acted
    (an audit row names it as actor) is left alone: audit rows are never changed."""
    days = older_than_days if older_than_days is not None else \
        current_app.config["UNCONFIRMED_ACCOUNT_DAYS"]
    cutoff = utcnow() - timedelta(days=days)
    stale = db.session.scalars(
        select(User).where(User.email_confirmed_at.is_(None), User.created_at < cutoff,
                           ~exists().where(AuditEntry.actor_id == User.id))
    ).all()
    for user in stale:
        for request in db.session.scalars(select(TeacherRequest)
                                          .where(TeacherRequest.user_id == user.id)):
            db.session.delete(request)
        audit.record("account.purged", target=("user", user.id),
                     details={"reason": "address not confirmed"})
        db.session.delete(user)
    db.session.flush()
    return len(stale)


# --- the e-mails ---------------------------------------------------------------------------


def _signature() -> list[str]:
    return ["-- ", gettext("OER portal")]


def confirmation_letter(user: User, locale: str) -> Letter:
    """"Confirm your e-mail address", in ``locale``, with the link on ``PORTAL_URL``."""
    link = absolute_url("confirmation.confirm", token=token_for(user))
    with force_locale(locale):
        title = mail_subject(gettext("Confirm your e-mail address"))
        lines = [
            gettext("Hello %(name)s,", name=user.display_name), "",
            gettext("You created an account on the OER portal with this e-mail address. "
                    "Open this link to confirm the address; then you can log in:"),
            link or "", "",
            gettext("The link works for %(hours)d hours. If you did not create this "
                    "account, ignore this e-mail: an account that is not confirmed is "
                    "removed after %(days)d days.",
                    hours=current_app.config["EMAIL_CONFIRMATION_HOURS"],
                    days=current_app.config["UNCONFIRMED_ACCOUNT_DAYS"]), "",
            *_signature(),
        ]
    return Letter(address=user.email, name=user.display_name, subject=title,
                  body="\n".join(lines) + "\n",
                  failure_message=f"The confirmation e-mail to user {user.id} could not be "
                                  "sent")


def address_taken_letter(owner: User) -> Letter:
    """To the owner of an address someone tried to register again: in the owner's
    language, with the way to log in; the typed name and password are not repeated."""
    login = absolute_url("accounts.login")
    forgot = absolute_url("reset.forgot")
    with force_locale(reader_locale(owner.locale)):
        title = mail_subject(gettext("Someone tried to register with your e-mail address"))
        lines = [
            gettext("Hello %(name)s,", name=owner.display_name), "",
            gettext("Someone tried to create an account on the OER portal with your e-mail "
                    "address. You already have an account, so nothing has changed."), "",
            gettext("If it was you: log in with your existing account:"), login or "", "",
            gettext("If you forgot your password, choose a new one here:"), forgot or "", "",
            gettext("If it was not you, you can ignore this e-mail."), "",
            *_signature(),
        ]
    return Letter(address=owner.email, name=owner.display_name, subject=title,
                  body="\n".join(lines) + "\n",
                  failure_message=f"The e-mail about a second registration to user "
                                  f"{owner.id} could not be sent")
