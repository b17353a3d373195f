"""Password reset by e-mail (issue 16).

The link carries an itsdangerous token, signed with the secret key and timed
(``PASSWORD_RESET_MAX_AGE``, an hour), holding the user id and a fingerprint of the
account's password hash and session generation (``users.session_token``).  Using the link
sets a new password (a new hash, with a new salt) and ends every session (a new
generation), so the fingerprint no longer matches and every link sent before, this one too,
dies: single use without a table of tokens to store, hash and purge.  "Log out everywhere"
voids outstanding links as well.

Asking for a link answers the same for every address (the view shows one page) and does the
same work before answering: the audit row is written either way, and the mail of an existing
account leaves only after the answer (``reset_views``); only an existing account gets one, and
at most ``RESET_LIMIT_PER_ACCOUNT`` per address (more are dropped silently: the
owner's inbox is not flooded, and the links already sent stay good).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from flask import current_app
from flask_babel import force_locale, gettext, ngettext
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse

from oer_portal.accounts import confirmation, login_throttle, passwords, service, sessions
from oer_portal.accounts.devices import account_digest
from oer_portal.accounts.models import User, new_session_token
from oer_portal.core import audit, mail
from oer_portal.core.errors import ValidationError
from oer_portal.extensions import db, limiter

_SALT = "password-reset"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _fingerprint(user: User) -> str:
    state = f"{user.password_hash}\n{user.session_token}".encode()
    return hashlib.sha256(state).hexdigest()[:32]


def make_token(user: User) -> str:
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user)})


def user_for_token(token: str) -> User:
    """The user a reset link is for, if it is genuine, under an hour old and unused."""
    invalid = ValidationError(gettext(
        "This link to reset your password is no longer valid: it has been used, or it is "
        "more than an hour old. Ask for a new one."))
    if len(token) > 512:
        raise invalid
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except BadSignature as error:
        raise invalid from error
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise invalid
    user = db.session.get(User, data["u"])
    if user is None or not hmac.compare_digest(str(data.get("f", "")), _fingerprint(user)):
        raise invalid
    return user


def request_reset(email: str, link_for: Callable[[str], str]) -> mail.Letter | None:
    """The mail with a reset link if ``email`` names an account (and its quota allows);
    the caller sends it once the request has committed *and* answered (so the mail server's
    time does not tell whether the account exists) and answers the same whatever happened."""
    user = service.find_by_email(email[:254])
    audit.record("password_reset.requested",
                 target=("user", user.id) if user is not None else None,
                 details={} if user is not None else {"reason": "unknown account"})
    if user is None:
        return None
    quota = parse(current_app.config["RESET_LIMIT_PER_ACCOUNT"])
    if not limiter.limiter.hit(quota, "password-reset", account_digest(user.email)):
        return None
    return _letter(user, link_for(make_token(user)))


def _letter(user: User, link: str) -> mail.Letter:
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    with force_locale(mail.reader_locale(user.locale)):
        subject = mail.subject(gettext("Reset your password"))
        body = "\n".join([
            gettext("Hello %(name)s,", name=user.display_name), "",
            gettext("Someone (we hope you) asked to reset the password of your account on "
                    "the OER portal. Choose a new password with this link:"),
            link, "",
            ngettext("The link works once, for %(num)d hour.",
                     "The link works once, for %(num)d hours.", minutes // 60)
            if minutes % 60 == 0 and minutes else
            ngettext("The link works once, for %(num)d minute.",
                     "The link works once, for %(num)d minutes.", minutes),
            gettext("Setting a new password logs you out on every device."), "",
            gettext("Did you not ask for this? Then ignore this e-mail: your password stays "
                    "as it is."), "",
            "-- ",
            gettext("You get this e-mail because you have an account on the OER portal."),
        ])
    return mail.Letter(address=user.email, name=user.display_name, subject=subject, body=body,
                       failure_message=f"Password reset e-mail to user {user.id} could not "
                                       "be sent")


def reset_password(token: str, new_password: str) -> User:
    """Set the new password of the link's user: every session ends (and with them every
    reset link), the account's login delay is forgiven."""
    user = user_for_token(token)
    service._check_password(new_password)
    user.password_hash = passwords.hash_password(new_password)
    user.session_token = new_session_token()
    sessions.end_all(user)
    confirmation.mark_confirmed(user)  # the link reached the address
    login_throttle.forgive(user.email)
    audit.record("password.reset", actor_id=user.id, target=("user", user.id))
    return user
